"""Fuzz targets for the gateway's replies: every call of the client against
edited replies, and the payment QR code a reply's payload becomes.

Seeds are real: the sandbox gateway runs in this process (its ``dispatch``, no
HTTP) and the real client does every service for the demo card through a
session that hands the requests to it, so each call's request and reply are
recorded as the kiosk would send and receive them (tests/fuzz_sandbox.py
fuzzes the requests; this module the replies).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import io
import json
import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from reportlab.graphics.barcode.qr import QrCodeWidget
from requests.structures import CaseInsensitiveDict

from kiosk.api import GatewayClient, GatewayError, Payment, PaymentItem
from kiosk.documents.codes import fit_code128
from kiosk.documents.thermal import BAR_HEIGHT, BAR_WIDTHS, ROLL80
from kiosk.sandbox import db
from kiosk.sandbox.core import Context, Request
from kiosk.sandbox.phone import SandboxPhone
from kiosk.sandbox.routes import dispatch
from tests.fuzz_targets import Source, Target, chance, json_bytes, mutate_json

TERMINAL, TOKEN = "demo-terminal-01", "sandbox-demo-token"
URL = "http://sandbox.invalid"  # never resolved: the session below answers in-process


@dataclass(frozen=True)
class Exchange:
    """One call as it went: the request the client sent, the reply it parsed."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    reply: bytes


def sandbox_context(name: str) -> Context:
    """A fresh sandbox database with the demo data, removed at exit."""
    where = Path(tempfile.mkdtemp(prefix=f"kiosk-fuzz-{name}-"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)
    today = date(2026, 6, 1)
    db.init_db(where / "gateway.db", today)
    return Context(where / "gateway.db", {TERMINAL: TOKEN}, lambda: today)


def response(status: int, body: bytes, headers: dict[str, str] | None = None
             ) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers = CaseInsensitiveDict({"Content-Type": "application/json", **(headers or {})})
    # The body as the client reads it off the wire: it streams replies (bounded).
    resp.raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=dict(resp.headers),
                                    status=status, preload_content=False)
    resp.encoding = "utf-8"
    return resp


class LoopbackSession(requests.Session):
    """Hands each request to the sandbox's dispatch and records the exchange."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.exchanges: list[Exchange] = []

    def request(self, method: str, url: str, *args: Any, json: Any = None,  # type: ignore[override]
                headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        body = b"" if json is None else _json.dumps(json).encode()
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        resp = dispatch(self.ctx, Request(method, urlsplit(url).path, lowered, body))
        raw = resp.body if isinstance(resp.body, bytes) else _json.dumps(
            resp.body, ensure_ascii=False).encode()
        self.exchanges.append(Exchange(method, urlsplit(url).path, dict(headers or {}), body,
                                       resp.status, raw))
        return response(resp.status, raw, resp.headers)


_json = json  # LoopbackSession.request's argument is named json, as requests' is


@cache
def exchanges() -> tuple[Exchange, ...]:
    """Every kind of call the kiosk makes, done for real against the sandbox."""
    from tests.test_sandbox_services import make_every_call

    session = LoopbackSession(sandbox_context("seeds"))
    client = GatewayClient(URL, TERMINAL, TOKEN, session=session, sleep=lambda _s: None)
    phone = SandboxPhone(URL)
    phone._http = session
    make_every_call(client, phone, TERMINAL)
    return tuple(e for e in session.exchanges if not e.path.startswith("/_sandbox/"))


Call = Callable[[GatewayClient, dict[str, Any]], Any]
CARD, IDN = "C0000001", "5215299(8)"
CALLS: dict[str, Call] = {
    "/v1/health": lambda c, b: c.health(),
    "/v1/ssm/vouchers/balance": lambda c, b: c.voucher_balance(CARD, IDN),
    "/v1/ssm/vouchers/issue": lambda c, b: c.issue_vouchers(CARD, IDN, 1, idempotency_key="k"),
    "/v1/profile": lambda c, b: c.profile(CARD, IDN),
    "/v1/otp/send": lambda c, b: c.send_otp(CARD, IDN, b["service_id"], idempotency_key="k"),
    "/v1/otp/verify": lambda c, b: c.verify_otp("c", "123456"),
    "/v1/payments": lambda c, b: c.create_payment(
        CARD, IDN, b["service_id"], Decimal(b["amount"]), "MOP",
        [PaymentItem("a", Decimal(b["amount"]))], idempotency_key="k"),
    "/v1/payments/status": lambda c, b: c.payment_status("p"),
    "/v1/payments/refund": lambda c, b: c.refund_payment("p", "r", idempotency_key="k"),
    "/v1/applications/progress": lambda c, b: c.application_progress(CARD, IDN),
    "/v1/departments/status": lambda c, b: c.departments_status(),
    "/v1/services/lookup": lambda c, b: c.lookup(b["service_id"], CARD, IDN),
    "/v1/services/submit": lambda c, b: c.submit(b["service_id"], CARD, IDN, {},
                                                 idempotency_key="k"),
    "/v1/terminals/demo-terminal-01/heartbeat": lambda c, b: c.heartbeat({}),
}


class ScriptedSession(requests.Session):
    """Answers every attempt of a call with the same reply."""

    reply: requests.Response

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return self.reply


@cache
def scripted_client() -> tuple[GatewayClient, ScriptedSession]:
    session = ScriptedSession()
    return GatewayClient(URL, TERMINAL, TOKEN, session=session, sleep=lambda _s: None), session


def keys_of(value: Any) -> list[str]:
    """Every key in a reply: what an edit may add elsewhere."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += [key, *keys_of(inner)]
    elif isinstance(value, list):
        for inner in value:
            found += keys_of(inner)
    return found


def edited_reply(src: Source, raw: bytes) -> bytes:
    value = json.loads(raw)
    return json_bytes(src, mutate_json(src, value, keys_of(value)) if chance(src, 90) else value)


def gen_reply(src: Source) -> tuple[int, int, bytes, str | None]:
    """(which call, HTTP status, reply body, Retry-After) edited from a real reply."""
    seeds = exchanges()
    index = src.integer(0, len(seeds) - 1)
    seed = seeds[index]
    status = seed.status if chance(src, 80) else src.choice(
        (200, 201, 204, 301, 400, 401, 404, 409, 422, 429, 500, 502, 503, 504, 599))
    if status >= 400 and chance(src, 50):  # an error reply, as the gateway writes them
        body = json_bytes(src, mutate_json(src, {"error": {
            "code": "code_wrong", "message": "m", "attempts_left": 2}}, ["code"]))
    else:
        body = edited_reply(src, seed.reply)
    retry = src.choice((None, None, "1", "0", "-5", "1e9", "nan", "inf", "Fri, 31 Dec 1999",
                        src.text(6)))
    return index, status, body, retry


def check_reply(value: tuple[int, int, bytes, str | None]) -> None:
    index, status, body, retry = value
    seed = exchanges()[index]
    client, session = scripted_client()
    session.reply = response(status, body, {} if retry is None else {"Retry-After": retry})
    request = json.loads(seed.body) if seed.body else {}
    try:
        result = CALLS[seed.path](client, request)
    except GatewayError as e:
        after = e.retry_after_s
        assert after is None or (math.isfinite(after) and after >= 0)
        left = getattr(e, "attempts_left", None)
        assert left is None or (isinstance(left, int) and left >= 0)
        raise
    assert 200 <= status < 300, "a call succeeded on an error status"
    if seed.path.startswith("/v1/services/"):
        assert result.service_id == request["service_id"]


# --- the payment QR code --------------------------------------------------------------

PAYLOADS = ("https://pay.sandbox.gov.mo/p/PAY-20260312-0001", "x",
            "00020101021226360012mo.gov.pay0116PAY-2026-000153034465802MO6304ABCD")


def gen_payment(src: Source) -> dict[str, Any]:
    payment = {"payment_id": "PAY-1", "status": "pending", "amount": "110.00",
               "currency": "MOP", "qr_payload": src.choice(PAYLOADS), "expires_in_s": 600}
    payload = payment["qr_payload"]
    op = src.integer(0, 4)
    if op == 0:
        payment["qr_payload"] = src.text(40, min_size=1)
    elif op == 1:
        payment["qr_payload"] = payload * src.choice((2, 10, 40, 60, 100))
    elif op == 2:
        i = src.integer(0, len(payload))
        payment["qr_payload"] = payload[:i] + src.text(4) + payload[i:]
    elif op == 3:
        payment["qr_payload"] = src.choice(("陳大文", "\ud800", " ", "\x00", "é" * 300,
                                            "1" * 7000, "A" * 4300, "a" * 2400))
    return payment


@cache
def zbar() -> ctypes.CDLL:
    """libzbar (zbar-tools, which the tests already use to read printouts): the
    same decoder as ``zbarimg``, in this process, so a scan takes a millisecond."""
    lib = ctypes.CDLL(ctypes.util.find_library("zbar") or "libzbar.so.0")
    lib.zbar_image_scanner_create.restype = ctypes.c_void_p
    lib.zbar_image_create.restype = ctypes.c_void_p
    lib.zbar_image_first_symbol.restype = ctypes.c_void_p
    lib.zbar_image_first_symbol.argtypes = [ctypes.c_void_p]
    lib.zbar_symbol_next.restype = ctypes.c_void_p
    lib.zbar_symbol_next.argtypes = [ctypes.c_void_p]
    lib.zbar_symbol_get_data.restype = ctypes.c_void_p
    lib.zbar_symbol_get_data.argtypes = [ctypes.c_void_p]
    lib.zbar_symbol_get_data_length.argtypes = [ctypes.c_void_p]
    for name in ("zbar_image_set_format", "zbar_image_set_size", "zbar_image_set_data",
                 "zbar_scan_image", "zbar_image_destroy", "zbar_image_scanner_destroy",
                 "zbar_image_scanner_set_config"):
        getattr(lib, name).argtypes = None
    return lib


def scan(pixels: bytes, width: int, height: int) -> list[bytes]:
    """The data of every code zbar finds in an 8-bit grey image."""
    lib = zbar()
    scanner = ctypes.c_void_p(lib.zbar_image_scanner_create())
    image = ctypes.c_void_p(lib.zbar_image_create())
    buffer = ctypes.create_string_buffer(pixels, len(pixels))
    try:
        lib.zbar_image_scanner_set_config(scanner, 0, 0, 1)  # every symbology on
        lib.zbar_image_set_format(image, ctypes.c_ulong(0x30303859))  # "Y800": grey
        lib.zbar_image_set_size(image, ctypes.c_uint(width), ctypes.c_uint(height))
        lib.zbar_image_set_data(image, buffer, ctypes.c_ulong(len(pixels)), None)
        lib.zbar_scan_image(scanner, image)
        found, symbol = [], lib.zbar_image_first_symbol(image)
        while symbol:
            size = lib.zbar_symbol_get_data_length(symbol)
            found.append(ctypes.string_at(lib.zbar_symbol_get_data(symbol), size))
            symbol = lib.zbar_symbol_next(symbol)
        return found
    finally:
        lib.zbar_image_set_data(image, None, ctypes.c_ulong(0), None)
        lib.zbar_image_destroy(image)
        lib.zbar_image_scanner_destroy(scanner)


def qr_scan(payload: str) -> list[str]:
    """What a phone reads off the QR code the kiosk draws for ``payload``: the
    same encoder as the payment screen and the documents (reportlab, level M),
    modules of 4 pixels, the standard quiet zone, read back by zbar."""
    widget = QrCodeWidget(payload, barLevel="M")
    widget.qr.make()
    scale, border = 4, 4
    size = (len(widget.qr.modules) + 2 * border) * scale
    light = b"\xff" * size
    rows = [light] * (border * scale)
    for modules in widget.qr.modules:
        line = b"\xff" * (border * scale) + b"".join(
            (b"\x00" if dark else b"\xff") * scale for dark in modules) + b"\xff" * (border * scale)
        rows += [line] * scale
    rows += [light] * (border * scale)
    return [d.decode("utf-8", "replace") for d in scan(b"".join(rows), size, size)]


def check_payment(obj: dict[str, Any]) -> None:
    payment = Payment.from_json(obj)
    assert qr_scan(payment.qr_payload) == [payment.qr_payload]


# --- barcodes of what the gateway names: references, voucher serials -------------------

REFERENCES = ("DSI-2026-000123", "123456789012", "7F3K-92QD-M4XA", "SSM-20260601-0001", "A")


def gen_code128(src: Source) -> str:
    reference = src.choice(REFERENCES)
    op = src.integer(0, 3)
    if op == 0:
        return src.text(20)
    if op == 1:
        i = src.integer(0, len(reference))
        return reference[:i] + src.text(3) + reference[i:]
    return reference * src.integer(1, 6) if op == 2 else src.choice(("", " ", "\x7f", "a b"))


def check_code128(payload: str) -> None:
    """A reference's Code 128 as a receipt prints it: scanned back, the same."""
    code = fit_code128(payload, ROLL80.printed, BAR_WIDTHS, BAR_HEIGHT)
    code.validate()
    code.encode()
    code.decompose()
    # decomposed: a letter per bar (upper case) or space (lower), its width in
    # modules (A = 1); 3 pixels a module, 10 modules of quiet zone each side.
    line = b"\xff" * 30 + b"".join((b"\x00" if c.isupper() else b"\xff") * 3 *
                                    (ord(c.upper()) - ord("A") + 1) for c in code.decomposed)
    line += b"\xff" * 30
    assert [d.decode("latin-1") for d in scan(line * 20, len(line), 20)] == [payload]


TARGETS = [
    Target("gateway.reply", "a parsed reply on 2xx, else GatewayError with a sane "
           "retry_after_s and attempts_left; never another exception", gen_reply, check_reply,
           (GatewayError,)),
    Target("gateway.payment_qr", "GatewayProtocolError, or a payment whose QR code the "
           "kiosk can draw and a phone reads back as the same payload", gen_payment,
           check_payment, (GatewayError,), examples=100),
    Target("documents.code128", "ValueError, or a Code 128 that fits the receipt and scans "
           "back as the same reference", gen_code128, check_code128, (ValueError,)),
]
