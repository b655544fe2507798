"""`kiosk print sample KIND --lang L [--media M] --out FILE.pdf`: every printed document,
with demo data.

For technicians checking a printer and for reviewing layouts: the documents are
filled with the sandbox's demo citizens and fixed references, so two runs give
the same PDF content.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

KINDS = ("voucher", "receipt", "slip", "proof-of-life", "certificate")
MEDIA = ("a4", "roll80", "roll58")  # what a voucher can be printed on (kiosk.documents.voucher)

# Fixed demo references: the tests read them back from the PDFs' text and codes.
SAMPLE_RECEIPT_REFERENCE = "TX2025030400017731"
SAMPLE_AMOUNT = Decimal("1234.50")
SAMPLE_APPLICATION = "AP2025-0304-00731"
SAMPLE_PROOF_REFERENCE = "PL2025030400042"
SAMPLE_VERIFICATION_CODE = "7F3K-92QD-M4XA"
SAMPLE_SERIALS = tuple(f"2025031{n:07d}" for n in (104, 27_318, 550_002, 1_000_017, 9_999_990, 7))
SAMPLE_TIME = datetime(2025, 3, 4, 10, 21, 37)


def add_print_commands(sub: Any) -> None:
    printing = sub.add_parser("print", help="printed documents")
    print_sub = printing.add_subparsers(metavar="ACTION")
    sample = print_sub.add_parser("sample", help="render a document with demo data")
    sample.add_argument("kind", choices=KINDS)
    from kiosk.i18n import LANGUAGES

    sample.add_argument("--lang", choices=LANGUAGES, default="pt")
    sample.add_argument("--media", choices=MEDIA, default=None,
                        help="the voucher's paper: A4 sheets or a receipt roll (default: a4); "
                             "the other kinds come on their own paper only")
    sample.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    sample.set_defaults(func=_sample)

    test = print_sub.add_parser("test", help="print a test page on a configured printer")
    test.add_argument("--printer", default="printer", help="the device name (default: printer)")
    test.add_argument("--lang", choices=LANGUAGES, default="pt")
    test.set_defaults(func=_test_page)

    kept = print_sub.add_parser("kept", help="printouts kept after a printer failed")
    kept.add_argument("--all", action="store_true",
                      help="also those already printed or expired (default: waiting only)")
    kept.add_argument("--json", action="store_true")
    kept.set_defaults(func=_kept)
    reprint = print_sub.add_parser("reprint", help="print a kept printout (same serials)")
    reprint.add_argument("reference", help="the reference the citizen was shown, e.g. 7K3Q-9F2A")
    reprint.set_defaults(func=_reprint)


def _kept(args: argparse.Namespace) -> int:
    """What technicians may see of kept printouts: references and errors, nothing personal."""
    import dataclasses
    import json
    import time

    from kiosk.app import kept_prints
    from kiosk.config import data_dir, load

    config = load(args.config)
    records = kept_prints(config, data_dir(config.terminal.data_dir or None)).all(
        waiting_only=not args.all)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in records], indent=2))
        return 0
    if not records:
        print("no kept printouts" + ("" if args.all else " waiting"))
    for r in records:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.kept_at))
        print(f"{r.reference}  {r.state.value:8}  {r.service_id:24}  {r.pages} page(s)  "
              f"kept {when}  {r.attempts} attempt(s), last: {r.last_error}")
    return 0


def _reprint(args: argparse.Namespace) -> int:
    from kiosk.app import build_printer, kept_prints
    from kiosk.cli_audit import record as audit
    from kiosk.config import data_dir, load
    from kiosk.devices.printer import Printer
    from kiosk.offline.kept_prints import KeptState, UnknownReference
    from kiosk.services.steps.printing import PrintFailed, print_kept

    config = load(args.config)
    home = data_dir(config.terminal.data_dir or None)
    kept = kept_prints(config, home)
    try:
        record = kept.get(args.reference)
    except UnknownReference:
        print(f"kiosk: no kept printout {args.reference!r}", file=sys.stderr)
        return 1
    if record.state is not KeptState.WAITING:
        print(f"kiosk: {record.reference} was already {record.state.value}"
              + (f" by {record.printed_by}" if record.printed_by else ""), file=sys.stderr)
        return 1
    printer = build_printer(config, home)
    try:
        assert isinstance(printer, Printer)
        result = print_kept(printer, kept, record.reference, "technician")
    except PrintFailed as e:
        print(f"kiosk: {record.reference} did not print: {e.cause.code}; it is still kept",
              file=sys.stderr)
        return 1
    finally:
        printer.close()
    audit(config, "print.reprint", reference=record.reference, service=record.service_id,
          job=str(result.job_id), pages=result.pages)
    print(f"{record.reference} printed: job {result.job_id}, {result.pages} page(s)")
    return 0


def _test_page(args: argparse.Namespace) -> int:
    """Field staff's check: print, follow the job to its end, say how it went."""
    from kiosk.app import build_printer
    from kiosk.config import data_dir, load
    from kiosk.devices.base import DeviceError
    from kiosk.maintenance.diagnostics import print_test_page

    if args.printer != "printer":
        print(f"kiosk: no printer named {args.printer!r} (this terminal has: printer)",
              file=sys.stderr)
        return 2
    config = load(args.config)
    printer = build_printer(config, data_dir(config.terminal.data_dir or None))
    try:
        try:
            result = print_test_page(printer, config, args.lang)
        except DeviceError as e:
            status = printer.status
            print(f"kiosk: the test page did not print: {e.code} (printer "
                  f"{status.device.value} {status.detail})".rstrip(), file=sys.stderr)
            return 1
        where = f" -> {result.path}" if result.path else ""
        print(f"test page printed: job {result.job_id}, {result.pages} page(s){where}")
        return 0
    finally:
        printer.close()


def _sample(args: argparse.Namespace) -> int:
    media = args.media
    if media is not None and args.kind != "voucher":
        print(f"kiosk: --media is for the voucher; a {args.kind} has its own paper",
              file=sys.stderr)
        return 2
    pdf = sample_pdf(args.kind, args.lang) if media is None else _voucher(args.lang, media)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    shown = args.lang if media is None else f"{args.lang}, {media}"
    print(f"{args.kind} ({shown}): {args.out} ({len(pdf):,} bytes)", file=sys.stderr)
    return 0


def sample_pdf(kind: str, lang: str) -> bytes:
    """The PDF of document ``kind`` filled with demo data, in ``lang`` (a voucher on A4)."""
    renderers: dict[str, Callable[[str], bytes]] = {
        "voucher": _voucher,
        "receipt": _receipt,
        "slip": _slip,
        "proof-of-life": _proof_of_life,
        "certificate": _certificate,
    }
    if kind not in renderers:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {KINDS}")
    return renderers[kind](lang)


def _voucher(lang: str, media: str = "a4") -> bytes:
    """The six sample vouchers, on ``media`` (see ``MEDIA``)."""
    from kiosk.documents import VoucherDocument, mask_id_number, render_vouchers
    from kiosk.sandbox.demo import DEMO_CITIZENS

    citizen = DEMO_CITIZENS[0]
    vouchers = [
        VoucherDocument(
            serial=serial,
            value=100,
            currency="MOP",
            valid_from=date(2025, 1, 1),
            valid_until=date(2027, 12, 31),
            holder_name_zh=citizen.name_zh,
            holder_name_latin=citizen.name_latin,
            id_number_masked=mask_id_number(citizen.id_number),
            issued_at=SAMPLE_TIME,
            terminal_id="KSK-0007",
        )
        for serial in SAMPLE_SERIALS
    ]
    return render_vouchers(vouchers, lang, media)


def _receipt(lang: str) -> bytes:
    from kiosk.documents.slips import ReceiptDocument, render_receipt

    receipt = ReceiptDocument(
        department="document.header.identification",
        service="document.service.id_card_renewal",
        amount=SAMPLE_AMOUNT,
        currency="MOP",
        payment_method="document.payment.bank_card",
        reference=SAMPLE_RECEIPT_REFERENCE,
        paid_at=SAMPLE_TIME,
        terminal_id="KSK-0007",
    )
    return render_receipt(receipt, lang)


def _slip(lang: str) -> bytes:
    from kiosk.documents.slips import ApplicationSlipDocument, render_application_slip

    slip = ApplicationSlipDocument(
        department="document.header.identification",
        service="document.service.id_card_renewal",
        application_number=SAMPLE_APPLICATION,
        submitted_at=SAMPLE_TIME,
        collect_from=date(2025, 3, 18),
        collect_place="document.place.dsi_service_centre",
        terminal_id="KSK-0007",
    )
    return render_application_slip(slip, lang)


def _proof_of_life(lang: str) -> bytes:
    from kiosk.documents.slips import ProofOfLifeDocument, render_proof_of_life

    proof = ProofOfLifeDocument(
        fund="document.header.pension_fund",
        reference=SAMPLE_PROOF_REFERENCE,
        recorded_at=SAMPLE_TIME,
        status="queued",
        terminal_id="KSK-0007",
    )
    return render_proof_of_life(proof, lang)


def _certificate(lang: str) -> bytes:
    from kiosk.documents import mask_id_number
    from kiosk.documents.certificate import CertificateDocument, render_certificate
    from kiosk.sandbox.demo import DEMO_CITIZENS

    citizen = DEMO_CITIZENS[2]
    certificate = CertificateDocument(
        title="document.service.contribution_record",
        department="document.header.social_security",
        holder_name_zh=citizen.name_zh,
        holder_name_latin=citizen.name_latin,
        lines=(
            ("document.label.id_number", mask_id_number(citizen.id_number)),
            ("document.label.social_security_number", "0301-2748-19"),
            ("document.label.period", "2015-01 – 2024-12"),
            ("document.label.months_contributed", "120"),
        ),
        issued_on=SAMPLE_TIME.date(),
        verification_code=SAMPLE_VERIFICATION_CODE,
    )
    return render_certificate(certificate, lang)
