"""Personal data never reaches a log: every service, every log record, checked."""

from __future__ import annotations

import logging

from kiosk.sandbox.demo import personal_data
from kiosk.services.registry import load_services
from tests.service_driver import walk

SERVICES = sorted(load_services().services)


def test_no_log_record_of_any_service_holds_personal_data(host, journey, terminal, sandbox,
                                                          caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        for service_id in SERVICES:
            done = walk(journey, host, terminal, service_id)
            assert done.outcome == "completed", (service_id, done.error)
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 100  # the services did log
    leaks = sorted({p for p in personal_data() if p in text})
    assert leaks == [], [r.getMessage() for r in caplog.records
                         if any(p in r.getMessage() for p in leaks)][:5]
