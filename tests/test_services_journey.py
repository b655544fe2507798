"""Every one of the 28 services, from the attract screen to the end of the session,
against the sandbox gateway on loopback, with the simulated devices."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from kiosk.services.registry import load_services
from tests.service_driver import walk

SERVICES = sorted(load_services().services)
# What SERVICES.md says the citizen leaves with, by the kind of printout.
PRINTS = {
    "dsi.id-renewal": 2, "dsi.travel-document": 2, "dsi.criminal-record": 2,
    "dsi.personal-data-cert": 2, "dsi.card-check": 0, "dsi.contact-update": 1,
    "dsi.application-status": 0, "ssm.voucher-print": 1, "ssm.voucher-transfer": 1,
    "ssm.kinship-verify": 1, "ssm.voucher-balance": 1, "fss.proof-of-life": 1,
    "fss.contribution-record": 1, "fss.benefit-status": 0, "ias.proof-of-life": 1,
    "ias.allowance-status": 0, "fp.proof-of-life": 1, "dsf.income-certificate": 1,
    "dsf.tax-payment": 1, "dsf.wealth-partaking": 0, "safp.voter-registration": 0,
    "safp.feedback": 1, "dsaj.commercial-registration": 1, "dsaj.property-registration": 1,
    "ic.library-loans": 1, "ic.library-card": 1, "dsat.vehicle-tax": 1, "dsat.traffic-fines": 1,
}



def _printed(terminal) -> list[Path]:
    return sorted(Path(terminal.devices["printer"].out_dir).glob("*.pdf"))


def test_the_catalog_is_the_28_services() -> None:
    assert len(SERVICES) == 28 and set(PRINTS) == set(SERVICES)


@pytest.mark.parametrize("service_id", SERVICES)
def test_every_service_completes(service_id: str, host, journey, terminal, sandbox) -> None:
    before = requests.get(f"{sandbox.url}/_sandbox/transactions", timeout=5).json()
    done = walk(journey, host, terminal, service_id)
    assert done.error is None and done.outcome == "completed", (done.error, done.screens)
    printed = _printed(terminal)
    assert len(printed) == PRINTS[service_id], done.screens
    for pdf in printed:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert text.strip(), pdf.name
    after = requests.get(f"{sandbox.url}/_sandbox/transactions", timeout=5).json()
    mine = [t for t in after[len(before):] if t.get("service_id") == service_id]
    if service_id not in ("dsi.card-check", "dsi.application-status") and \
            "result" not in done.screens:
        # A service that changes something did it exactly once, with one key.
        assert len({t["idempotency_key"] for t in mine if t["path"].endswith("/submit")}) <= 1
    json.dumps(done.screens)


def test_slips_show_texts_in_the_citizens_language(host, journey, terminal, sandbox) -> None:
    walk(journey, host, terminal, "ssm.kinship-verify", lang="pt")
    (pdf,) = _printed(terminal)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "{" not in text and "zh-Hant" not in text  # no raw three-language record
    assert "Cônjuge" in text or "Filho" in text
