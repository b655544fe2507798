"""A printer that fails never costs a citizen what the backend issued.

The printout is kept (sealed) before the citizen hears of the failure; they
retry, print later on their next visit, or a technician reprints it: always the
same serials, and the backend shows one issue.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.offline.kept_prints import KeptState
from kiosk.sandbox import db as sandbox_db
from tests.test_journey import CARD, on, to_service


def _printed_text(pdf: Path) -> str:
    """The PDF's text with all white space gone: serials print in groups of digits."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return "".join(text.split())


def _printed_all(pdf: Path, serials: set[str]) -> bool:
    text = _printed_text(pdf)
    return bool(serials) and all(serial in text for serial in serials)


def _to_print_error(host, journey, terminal, *, fewer: int = 0) -> str:
    """Card, face, vouchers chosen and issued, then the printer fails: its reference."""
    to_service(host, journey)
    terminal.devices["card_reader"].insert(CARD)
    on(host, "quantity")
    for _ in range(fewer):
        journey.act("fewer")
    journey.act("confirm")
    on(host, "error")
    return host.view.data["reference"]


def _fail_print_and_choose_later(host, journey, terminal) -> str:
    terminal.devices["printer"].load_paper(1)  # 6 vouchers need 2 pages
    _to_print_error(host, journey, terminal, fewer=1)  # one left for another day
    view = host.view.data
    assert view["message"] == "error.device.paper_out"
    assert view["retry"] and view["later"]
    reference = view["reference"]
    journey.act("print_later")
    assert host.view.screen == "done"
    assert host.view.data == {"message": "ssm.vouchers.kept", "reference": reference}
    terminal.devices["card_reader"].remove()
    host.pump(lambda: bool(host.reports))
    assert host.reports[-1].outcome == "completed"
    return reference


def test_print_later_then_collect_on_the_next_visit(host, journey, terminal, sandbox) -> None:
    reference = _fail_print_and_choose_later(host, journey, terminal)
    issued = set(sandbox_db.issued_serials(sandbox.db_path, CARD))
    assert len(issued) == 5
    kept = terminal.kept_prints.get(reference)
    assert kept.state is KeptState.WAITING and kept.service_id == "ssm.voucher-print"
    assert kept.pages == 2 and kept.last_error == "paper_out"

    printer = terminal.devices["printer"]
    printer.load_paper(100)  # staff refilled it
    to_service(host, journey)
    terminal.devices["card_reader"].insert(CARD)
    on(host, "kept")  # after card and face: the kiosk offers what it kept
    assert host.view.data["references"] == [reference] and host.view.data["pages"] == 2
    journey.act("print_kept")
    on(host, "done")
    assert host.view.data["message"] == "ssm.vouchers.done"
    (pdf,) = sorted(Path(printer.out_dir).glob("*.pdf"))
    assert _printed_all(pdf, issued)  # the same vouchers, not new ones
    assert set(sandbox_db.issued_serials(sandbox.db_path, CARD)) == issued
    assert sandbox_db.transaction_count(sandbox.db_path) == 1
    assert terminal.kept_prints.get(reference).state is KeptState.PRINTED

    terminal.devices["card_reader"].remove()
    host.pump(lambda: len(host.reports) == 2)
    to_service(host, journey)  # a third visit: nothing waits any more
    terminal.devices["card_reader"].insert(CARD)
    on(host, "quantity")


def test_another_citizen_is_not_offered_someone_elses_printout(host, journey, terminal,
                                                               sandbox) -> None:
    _fail_print_and_choose_later(host, journey, terminal)
    terminal.devices["printer"].load_paper(100)
    to_service(host, journey)
    terminal.devices["card_reader"].insert("C0000002")
    on(host, "quantity")  # straight to their own vouchers


def test_a_citizen_may_skip_the_kept_printout(host, journey, terminal, sandbox) -> None:
    reference = _fail_print_and_choose_later(host, journey, terminal)
    terminal.devices["printer"].load_paper(100)
    to_service(host, journey)
    terminal.devices["card_reader"].insert(CARD)
    on(host, "kept")
    journey.act("skip")
    on(host, "quantity")
    assert terminal.kept_prints.get(reference).state is KeptState.WAITING


def test_a_citizen_who_walks_away_loses_nothing(host, journey, terminal, sandbox) -> None:
    terminal.devices["printer"].set_offline(False)
    terminal.devices["printer"].fail_next_job("offline")  # goes away mid-job
    reference = _to_print_error(host, journey, terminal)
    journey.end("timeout")  # the idle countdown ran out
    waiting = terminal.kept_prints.all(waiting_only=True)
    assert [k.reference for k in waiting] == [reference]
    assert waiting[0].last_error == "offline"


def test_a_failed_retry_counts_and_keeps_the_same_reference(host, journey, terminal,
                                                            sandbox) -> None:
    printer = terminal.devices["printer"]
    printer.load_paper(1)
    reference = _to_print_error(host, journey, terminal)
    printer.set_cover_open(True)
    printer.load_paper(100)
    journey.act("retry")
    host.pump(lambda: host.view.screen == "error" and
              host.view.data["message"] == "error.device.cover_open")
    assert host.view.data["reference"] == reference
    assert terminal.kept_prints.get(reference).attempts == 2
    printer.set_cover_open(False)
    journey.act("retry")
    on(host, "done")
    assert host.view.data == {"message": "ssm.vouchers.done"}
    assert terminal.kept_prints.get(reference).state is KeptState.PRINTED
    assert sandbox_db.transaction_count(sandbox.db_path) == 1


def _kiosk(*args: str, home: Path, config: Path) -> subprocess.CompletedProcess[str]:
    kiosk = Path(sys.executable).with_name("kiosk")
    return subprocess.run([str(kiosk), "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120,
                          env={"KIOSK_HOME": str(home), "PATH": "/usr/bin:/bin"})


def test_a_technician_lists_and_reprints_kept_printouts(host, journey, terminal, sandbox,
                                                        kiosk_home: Path,
                                                        tmp_path: Path) -> None:
    reference = _fail_print_and_choose_later(host, journey, terminal)
    issued = set(sandbox_db.issued_serials(sandbox.db_path, CARD))
    config = tmp_path / "terminal.toml"
    config.write_text("[devices.printer]\nseconds_per_page = 0.0\n")

    listed = _kiosk("print", "kept", "--json", home=kiosk_home, config=config)
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert entry["reference"] == reference and entry["state"] == "waiting"
    assert entry["service_id"] == "ssm.voucher-print" and entry["last_error"] == "paper_out"
    assert not {"owner", "document"} & set(entry)  # nothing personal for the list

    reprint = _kiosk("print", "reprint", reference.lower(), home=kiosk_home, config=config)
    assert reprint.returncode == 0, reprint.stderr
    (pdf,) = (kiosk_home / "printed").glob("*.pdf")
    assert _printed_all(pdf, issued)
    assert terminal.kept_prints.get(reference).printed_by == "technician"

    again = _kiosk("print", "reprint", reference, home=kiosk_home, config=config)
    assert again.returncode == 1 and "already printed" in again.stderr
    unknown = _kiosk("print", "reprint", "ZZZZ-ZZZZ", home=kiosk_home, config=config)
    assert unknown.returncode == 1 and "no kept printout" in unknown.stderr
