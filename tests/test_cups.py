"""Printing through a real, private cupsd with a cups-pdf queue."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from kiosk.devices.base import DeviceError
from kiosk.devices.cups import CupsPrinter
from kiosk.devices.cupsd_daemon import CupsdDaemon
from kiosk.devices.status import DeviceState
from kiosk.documents.voucher import VoucherDocument, render_vouchers

SERIALS = ["840229740271", "877663584796"]


@pytest.fixture
def printer(cupsd: CupsdDaemon) -> Iterator[CupsPrinter]:
    p = CupsPrinter(cupsd.queue, server=cupsd.server, job_timeout_s=60)
    p.open()
    yield p
    p.close()


def vouchers() -> bytes:
    docs = [VoucherDocument(s, 100, "MOP", date(2026, 1, 1), date(2026, 12, 31), "陳大文",
                            "CHAN, TAI MAN", "5215***(8)", datetime(2026, 11, 28, 9, 30), "t1")
            for s in SERIALS]
    return render_vouchers(docs, "en")


def test_a_job_goes_through_cups_to_paper(printer: CupsPrinter, cupsd: CupsdDaemon,
                                          tmp_path: Path) -> None:
    assert printer.status.device is DeviceState.ONLINE
    result = printer.print_pdf(vouchers(), "vouchers-test-1").result(timeout=90)
    assert result.pages == 1 and result.job_id.startswith(cupsd.queue)
    [out] = list(cupsd.out.glob("vouchers-test-1*.pdf"))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout.replace(" ", "")
    assert all(s in text for s in SERIALS)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(out), str(tmp_path / "p")], check=True)
    scanned = subprocess.run(["zbarimg", "--raw", "-q", *map(str, tmp_path.glob("p*.png"))],
                             capture_output=True, text=True).stdout.split()
    assert sorted(scanned) == sorted(SERIALS)
    assert printer.status.device is DeviceState.ONLINE


def test_a_stopped_queue_refuses_the_job(printer: CupsPrinter, cupsd: CupsdDaemon) -> None:
    subprocess.run(["cupsdisable", "-h", cupsd.server, cupsd.queue], check=True)
    try:
        assert printer.refresh().device is DeviceState.OFFLINE
        assert printer.status.reason == "offline" and not printer.status.usable
        with pytest.raises(DeviceError) as err:
            printer.print_pdf(vouchers(), "vouchers-test-2").result(timeout=30)
        assert err.value.code == "offline"
    finally:
        subprocess.run(["cupsenable", "-h", cupsd.server, cupsd.queue], check=True)
    assert printer.refresh().device is DeviceState.ONLINE


def test_an_unknown_queue_and_a_bad_document(cupsd: CupsdDaemon) -> None:
    missing = CupsPrinter("no-such-queue", server=cupsd.server)
    assert missing.refresh().device is DeviceState.NO_DEVICE
    printer = CupsPrinter(cupsd.queue, server=cupsd.server)
    with pytest.raises(DeviceError) as err:
        printer.print_pdf(b"not a pdf", "junk").result(timeout=10)
    assert err.value.code == "bad_document"
    missing.close()
    printer.close()
