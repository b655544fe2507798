"""The gateway client's common modules and services against a real sandbox on
127.0.0.1: second factor, payments, idempotent replays, typed errors, strict
parsing of whatever comes back; and both sides held to openapi.json (the
client's requests, the sandbox's replies, schemathesis's generated calls)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kiosk.api import (
    Application,
    ErrorCode,
    GatewayClient,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
    OtpChallenge,
    Payment,
    PaymentItem,
    PaymentStatus,
    Profile,
    Refund,
)
from kiosk.api.models import Lookup, Submission, parse_applications
from kiosk.sandbox import schema
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.phone import SandboxPhone
from kiosk.sandbox.server import SandboxServer
from tests.conftest import CHAN, LEI, TERMINAL, TOKEN
from tests.test_sandbox_services import ALL, WITH_SUBMIT, key, make_every_call

AUTH = {"X-Terminal-Id": TERMINAL, "Authorization": f"Bearer {TOKEN}"}
CARD, IDN = CHAN.card_number, CHAN.id_number
FEEDBACK = {"category": "suggestion", "department": "safp", "text": "Longer opening hours."}


class Clock:
    """The sandbox's UTC clock, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path / "g.db", terminals={TERMINAL: TOKEN}, now=clock) as s:
        yield s


@pytest.fixture
def client(server: SandboxServer) -> Iterator[GatewayClient]:
    with GatewayClient(server.url, TERMINAL, TOKEN, retries=1, backoff_s=0.0,
                       sleep=lambda _s: None) as c:
        yield c


@pytest.fixture
def phone(server: SandboxServer) -> Iterator[SandboxPhone]:
    p = SandboxPhone(server.url)
    yield p
    p.close()


def paid_payment(client: GatewayClient, phone: SandboxPhone, service_id: str, amount: str,
                 citizen: Any = CHAN) -> str:
    payment = client.create_payment(citizen.card_number, citizen.id_number, service_id,
                                    Decimal(amount), "MOP", [PaymentItem("fee", Decimal(amount))],
                                    idempotency_key=key())
    assert phone.pay(payment.payment_id)
    return payment.payment_id


# --- common modules ---------------------------------------------------------------------


def test_profile(client: GatewayClient) -> None:
    assert client.profile(CARD, IDN) == Profile(
        name_zh=CHAN.name_zh, name_latin=CHAN.name_latin, phone_masked="+853 **** **01",
        email="chan.taiman@example.mo", address="澳門高士德大馬路 25 號 3 樓 B", has_phone=True)


def test_departments_status(client: GatewayClient) -> None:
    status = client.departments_status()
    assert len(status) == 10 and set(status.values()) == {"up"}


def test_application_progress_is_typed(client: GatewayClient) -> None:
    progress = client.application_progress(CARD, IDN)
    assert progress and all(isinstance(a, Application) for a in progress)
    assert {a.department for a in progress} == {"dsi", "ias"}
    ready = next(a for a in progress if a.status == "ready")
    assert ready.status_text["en"] == "Ready for collection"


# --- second factor -------------------------------------------------------------------------


def challenge(client: GatewayClient, service_id: str = "dsi.contact-update") -> OtpChallenge:
    return client.send_otp(CARD, IDN, service_id, idempotency_key=key())


def test_otp_round_trip_and_the_token_is_used_once(client, phone) -> None:
    sent = challenge(client)
    assert (sent.length, sent.expires_in_s, sent.resend_after_s) == (6, 300, 30)
    token = client.verify_otp(sent.challenge_id, phone.last_code() or "")
    assert client.verify_otp(sent.challenge_id, phone.last_code() or "") == token  # same code
    form = {"address": "澳門新馬路 1 號"}
    done = client.submit("dsi.contact-update", CARD, IDN, form, idempotency_key=key(),
                         otp_token=token)
    assert done.result == {"updated": ["address"]}
    with pytest.raises(GatewayRejected) as info:
        client.submit("dsi.contact-update", CARD, IDN, form, idempotency_key=key(),
                      otp_token=token)
    assert (info.value.status, info.value.code) == (403, ErrorCode.SECOND_FACTOR_REQUIRED)


def test_wrong_codes_count_down_then_the_challenge_expires(client, phone, server) -> None:
    sent = challenge(client)
    wrong = "000000" if phone.last_code() != "000000" else "111111"
    lefts = []
    for _ in range(4):
        with pytest.raises(GatewayRejected) as info:
            client.verify_otp(sent.challenge_id, wrong)
        assert (info.value.status, info.value.code) == (422, "code_wrong")
        lefts.append(info.value.attempts_left)
    assert lefts == [4, 3, 2, 1]
    with pytest.raises(GatewayRejected) as info:
        client.verify_otp(sent.challenge_id, wrong)
    assert (info.value.status, info.value.code, info.value.attempts_left) == (
        410, "code_expired", None)
    with pytest.raises(GatewayRejected) as info:  # even the right code, now
        client.verify_otp(sent.challenge_id, phone.last_code() or "")
    assert info.value.code == "code_expired"
    # verify is never retried: each try counts.
    assert len([r for r in server.journal if r.path == "/v1/otp/verify"]) == 6


def test_a_code_expires_after_five_minutes(client, phone, clock: Clock) -> None:
    sent = challenge(client)
    clock.advance(sent.expires_in_s + 1)
    with pytest.raises(GatewayRejected) as info:
        client.verify_otp(sent.challenge_id, phone.last_code() or "")
    assert (info.value.status, info.value.code) == (410, "code_expired")


def test_a_token_is_for_its_service_and_citizen(client, phone, clock: Clock) -> None:
    sent = challenge(client, "ssm.voucher-transfer")
    token = client.verify_otp(sent.challenge_id, phone.last_code() or "")
    cases: list[tuple[str | None, dict[str, Any]]] = [
        (None, {"email": "a@example.mo"}),
        ("not-a-token", {"email": "a@example.mo"}),
        (token, {"email": "a@example.mo"}),  # issued for ssm.voucher-transfer
    ]
    for otp_token, form in cases:
        with pytest.raises(GatewayRejected) as info:
            client.submit("dsi.contact-update", CARD, IDN, form, idempotency_key=key(),
                          otp_token=otp_token)
        assert info.value.code == "second_factor_required"
    clock.advance(601)  # tokens last ten minutes
    with pytest.raises(GatewayRejected) as info:
        client.submit("ssm.voucher-transfer", CARD, IDN, {"member_id": "FM0000011", "count": 1},
                      idempotency_key=key(), otp_token=token)
    assert info.value.code == "second_factor_required"


def test_send_replayed_sends_one_sms(client, phone) -> None:
    k = key()
    first = client.send_otp(CARD, IDN, "dsi.contact-update", idempotency_key=k)
    again = client.send_otp(CARD, IDN, "dsi.contact-update", idempotency_key=k)
    assert first == again and len(phone.messages()) == 1
    resend = client.send_otp(CARD, IDN, "dsi.contact-update", idempotency_key=key())
    assert resend.challenge_id != first.challenge_id and len(phone.messages()) == 2


def test_unknown_challenge_is_not_found(client) -> None:
    with pytest.raises(GatewayRejected) as info:
        client.verify_otp("OTP000000000000", "123456")
    assert info.value.code == "not_found"


# --- payments ------------------------------------------------------------------------------


def test_payment_life(client, phone, clock: Clock) -> None:
    payment = client.create_payment(CARD, IDN, "dsi.id-renewal", Decimal("110.00"), "MOP",
                                    [PaymentItem({"zh-Hant": "續期", "pt": "Renovação",
                                                  "en": "Renewal"}, Decimal("100.00")),
                                     {"label": "express post", "amount": "10.00"}],
                                    idempotency_key=key())
    assert isinstance(payment, Payment)
    assert (payment.status, payment.amount, payment.currency) == ("pending", Decimal("110.00"),
                                                                  "MOP")
    assert payment.payment_id in payment.qr_payload
    assert client.payment_status(payment.payment_id).paid_at is None
    assert phone.pay(payment.payment_id)
    status = client.payment_status(payment.payment_id)
    assert isinstance(status, PaymentStatus) and status.status == "paid"
    assert status.paid_at is not None and status.paid_at.tzinfo is not None
    refund = client.refund_payment(payment.payment_id, "citizen cancelled",
                                   idempotency_key=key())
    assert refund == Refund(payment.payment_id, "refunded")
    assert client.payment_status(payment.payment_id).status == "refunded"
    # An unpaid payment expires after ten minutes and can no longer be paid.
    late = client.create_payment(CARD, IDN, "dsi.id-renewal", Decimal("110.00"), "MOP",
                                 [PaymentItem("renewal", Decimal("110.00"))],
                                 idempotency_key=key())
    clock.advance(late.expires_in_s + 1)
    assert client.payment_status(late.payment_id).status == "expired"
    assert not phone.pay(late.payment_id)
    with pytest.raises(GatewayRejected) as info:
        client.refund_payment(late.payment_id, "expired", idempotency_key=key())
    assert info.value.code == "conflict"


@pytest.mark.parametrize(
    ("amount", "items"),
    [
        (Decimal("110.00"), [PaymentItem("a", Decimal("100.00"))]),
        (Decimal("110.005"), [PaymentItem("a", Decimal("110.005"))]),
        (Decimal("0.00"), [PaymentItem("a", Decimal("0.00"))]),
        (Decimal("-1.00"), [PaymentItem("a", Decimal("-1.00"))]),
        (Decimal("1.00"), []),
        (Decimal("1.00"), [{"label": "a"}]),
        (Decimal("1.00"), [PaymentItem("", Decimal("1.00"))]),
    ],
)
def test_payment_arguments_are_checked_before_sending(client, server, amount, items) -> None:
    with pytest.raises(ValueError):
        client.create_payment(CARD, IDN, "dsi.id-renewal", amount, "MOP", items,
                              idempotency_key=key())
    assert server.journal == []


def test_a_fee_needs_a_paid_payment_of_exactly_the_amount_due(client, phone) -> None:
    form = {"option": "standard"}  # 110.00

    def submit(payment_id: str | None) -> Submission:
        return client.submit("dsi.id-renewal", CARD, IDN, form, idempotency_key=key(),
                             payment_id=payment_id)

    pending = client.create_payment(CARD, IDN, "dsi.id-renewal", Decimal("110.00"), "MOP",
                                    [PaymentItem("fee", Decimal("110.00"))],
                                    idempotency_key=key()).payment_id
    refused = [
        None,
        "PAY-NO-SUCH",
        pending,  # not paid
        paid_payment(client, phone, "dsi.id-renewal", "220.00"),  # the express fee
        paid_payment(client, phone, "dsi.travel-document", "110.00"),  # another service
        paid_payment(client, phone, "dsi.id-renewal", "110.00", citizen=LEI),  # someone else
    ]
    for payment_id in refused:
        with pytest.raises(GatewayRejected) as info:
            submit(payment_id)
        assert (info.value.status, info.value.code) == (402, ErrorCode.PAYMENT_REQUIRED)
    good = paid_payment(client, phone, "dsi.id-renewal", "110.00")
    done = submit(good)
    assert done.result["fee"] == "110.00" and done.status == "accepted"
    with pytest.raises(GatewayRejected) as info:
        submit(good)
    assert (info.value.status, info.value.code) == (409, "conflict")
    with pytest.raises(GatewayRejected) as info:
        client.refund_payment(good, "too late", idempotency_key=key())
    assert info.value.code == "conflict"


def test_a_free_submit_refuses_a_payment(client, phone) -> None:
    payment_id = paid_payment(client, phone, "safp.feedback", "1.00")
    with pytest.raises(GatewayRejected) as info:
        client.submit("safp.feedback", CARD, IDN, FEEDBACK, idempotency_key=key(),
                      payment_id=payment_id)
    assert info.value.code == "invalid_request"


# --- idempotency -------------------------------------------------------------------------


def test_submit_replayed_gives_the_same_answer_once(client, phone, server) -> None:
    payment_id = paid_payment(client, phone, "dsaj.property-registration", "150.00")
    k = key()
    first = client.submit("dsaj.property-registration", CARD, IDN, {"property_number": "22002"},
                          idempotency_key=k, payment_id=payment_id)
    again = client.submit("dsaj.property-registration", CARD, IDN, {"property_number": "22002"},
                          idempotency_key=k, payment_id=payment_id)
    assert again == first  # the same verification code: one certificate, paid once
    with pytest.raises(GatewayRejected) as info:
        client.submit("dsaj.property-registration", CARD, IDN, {"property_number": "22001"},
                      idempotency_key=k, payment_id=payment_id)
    assert (info.value.status, info.value.code) == (422, "idempotency_conflict")
    raw = requests.post(server.url + "/v1/services/submit", headers={
        **AUTH, "Idempotency-Key": k}, timeout=5, json={
        "service_id": "dsaj.property-registration",
        "citizen": {"card_number": CARD, "id_number": IDN},
        "form": {"property_number": "22002"}, "payment_id": payment_id})
    assert raw.status_code == 201 and raw.headers["Idempotent-Replayed"] == "true"


def test_a_lost_reply_is_recovered_with_the_same_key(client, phone, server) -> None:
    server.faults.inject("/v1/services/submit", status=504, after_handler=True)
    payment_id = paid_payment(client, phone, "dsat.traffic-fines", "600.00")
    done = client.submit("dsat.traffic-fines", CARD, IDN, {"fine_ids": ["TF01000001"]},
                         idempotency_key=key(), payment_id=payment_id)
    assert done.result["paid"] == ["TF01000001"]
    listed = [t for t in server.transactions if t["path"] == "/v1/services/submit"]
    assert [t["replayed"] for t in listed] == [False, True]


def test_keys_are_needed_for_changes(client, server) -> None:
    with pytest.raises(ValueError):
        client.submit("safp.feedback", CARD, IDN, FEEDBACK, idempotency_key="")
    with pytest.raises(ValueError):
        client.send_otp(CARD, IDN, "dsi.contact-update", idempotency_key="")
    with pytest.raises(ValueError):
        client.refund_payment("PAY1", "x", idempotency_key="")
    assert server.journal == []
    resp = requests.post(server.url + "/v1/services/submit", headers=AUTH, timeout=5, json={
        "service_id": "safp.feedback", "citizen": {"card_number": CARD, "id_number": IDN},
        "form": FEEDBACK})
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "invalid_request")


# --- malformed replies -------------------------------------------------------------------

CALLS: dict[str, tuple[str, Callable[[GatewayClient], Any]]] = {
    "profile": ("/v1/profile", lambda c: c.profile(CARD, IDN)),
    "send_otp": ("/v1/otp/send",
                 lambda c: c.send_otp(CARD, IDN, "dsi.contact-update", idempotency_key="k")),
    "verify_otp": ("/v1/otp/verify", lambda c: c.verify_otp("OTP1", "123456")),
    "create_payment": ("/v1/payments", lambda c: c.create_payment(
        CARD, IDN, "dsi.id-renewal", Decimal("1.00"), "MOP", [PaymentItem("a", Decimal(1))],
        idempotency_key="k")),
    "payment_status": ("/v1/payments/status", lambda c: c.payment_status("PAY1")),
    "refund_payment": ("/v1/payments/refund",
                       lambda c: c.refund_payment("PAY1", "x", idempotency_key="k")),
    "application_progress": ("/v1/applications/progress",
                             lambda c: c.application_progress(CARD, IDN)),
    "departments_status": ("/v1/departments/status", lambda c: c.departments_status()),
    "lookup": ("/v1/services/lookup", lambda c: c.lookup("dsat.traffic-fines", CARD, IDN)),
    "submit": ("/v1/services/submit",
               lambda c: c.submit("safp.feedback", CARD, IDN, FEEDBACK, idempotency_key="k")),
}
MALFORMED = [
    b"not json",
    b"[]",
    b"{}",
    b'{"malformed": true}',
    json.dumps({"service_id": "dsat.traffic-fines", "reference": "X", "status": "completed",
                "records": {"fines": "none"}, "result": {"receipt_number": 1},
                "departments": {"dsi": "sideways"}, "applications": [{}]}).encode(),
]


@pytest.mark.parametrize("body", MALFORMED)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_malformed_replies_are_protocol_errors(client, server, call: str, body: bytes) -> None:
    path, do = CALLS[call]
    server.faults.inject(path, status=200, body=body)
    with pytest.raises(GatewayProtocolError) as info:
        do(client)
    assert info.value.code == ErrorCode.GATEWAY_PROTOCOL


def test_malformed_mode_of_the_control(client, server) -> None:
    requests.post(server.url + "/_sandbox/faults", timeout=5,
                  json={"path": "/v1/services/", "mode": "malformed", "times": 2})
    with pytest.raises(GatewayProtocolError):
        client.lookup("dsf.wealth-partaking", CARD, IDN)
    with pytest.raises(GatewayProtocolError):
        client.submit("safp.feedback", CARD, IDN, FEEDBACK, idempotency_key=key())


def test_a_reply_about_another_service_is_a_protocol_error(client, server) -> None:
    other = client.lookup("dsf.wealth-partaking", CARD, IDN)
    server.faults.inject("/v1/services/lookup", status=200, body=json.dumps(
        {"service_id": other.service_id, "records": other.records}).encode())
    with pytest.raises(GatewayProtocolError):
        client.lookup("safp.voter-registration", CARD, IDN)


def test_department_unavailable_is_typed_and_not_retried(client, server) -> None:
    server.faults.add(mode="down", department="dsaj", times=None)
    with pytest.raises(GatewayUnavailable) as info:
        client.lookup("dsaj.property-registration", CARD, IDN)
    assert info.value.code == ErrorCode.DEPARTMENT_UNAVAILABLE
    assert [r.status for r in server.journal] == [503]


# --- the client's parsers against the spec, on real replies and damaged ones --------------


class Replies(dict[str, tuple[Any, str, Callable[[Any], Any]]]):
    def __repr__(self) -> str:  # hypothesis prints its arguments
        return f"<{len(self)} replies>"


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory) -> Replies:
    """One real reply of each kind: (body, its schema, the client's parser)."""
    out = Replies()
    with SandboxServer(tmp_path_factory.mktemp("replies") / "g.db",
                       terminals={TERMINAL: TOKEN}) as server:
        http = Recording()
        with GatewayClient(server.url, TERMINAL, TOKEN, session=http) as client:
            phone = SandboxPhone(server.url)
            make_every_call(client, phone, TERMINAL)
            phone.close()
    parsers: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
        "/v1/profile": ("Profile", lambda o, s: Profile.from_json(o)),
        "/v1/otp/send": ("OtpChallenge", lambda o, s: OtpChallenge.from_json(o)),
        "/v1/payments": ("Payment", lambda o, s: Payment.from_json(o)),
        "/v1/payments/status": ("PaymentStatus", lambda o, s: PaymentStatus.from_json(o)),
        "/v1/payments/refund": ("Refund", lambda o, s: Refund.from_json(o)),
        "/v1/applications/progress": ("Applications", lambda o, s: parse_applications(o)),
        "/v1/services/lookup": ("Lookup", lambda o, s: Lookup.from_json(o, s)),
        "/v1/services/submit": ("Submission", lambda o, s: Submission.from_json(o, s)),
    }
    for call in http.calls:
        if call.path not in parsers or call.response.status_code >= 300:
            continue
        body = call.response.json()
        service_id = (call.body or {}).get("service_id", "")
        name = call.path + (f" {service_id}" if call.path.startswith("/v1/services/") else "")
        schema_name, parse = parsers[call.path]
        out.setdefault(name, (body, schema_name,
                              lambda o, p=parse, s=service_id: p(o, s)))
    return out


REPLY_KINDS = (
    [f"/v1/services/lookup {s}" for s in ALL]
    + [f"/v1/services/submit {s}" for s in WITH_SUBMIT]
    + ["/v1/profile", "/v1/otp/send", "/v1/payments", "/v1/payments/status",
       "/v1/payments/refund", "/v1/applications/progress"]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3000) | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["2031-12-31", "2031-02-30", "110.00", "1.5", "MOP", "", "paid",
                       "2031-12-31T10:00:00+00:00", "dsi.id-renewal"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["zh-Hant", "pt", "en", "x"]), children, max_size=3),
    max_leaves=8,
)


@st.composite
def damaged(draw: st.DrawFn, reply: Any) -> Any:
    """The reply with one value somewhere in it replaced, dropped or kept."""
    obj = copy.deepcopy(reply)
    node = obj
    while True:
        if isinstance(node, list):
            if not node:
                return obj
            index = draw(st.integers(0, len(node) - 1))
        else:
            if not node:
                return obj
            index = draw(st.sampled_from(sorted(node)))
        child = node[index]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        action = draw(st.sampled_from(["replace", "drop", "keep"]))
        if action == "replace":
            node[index] = draw(json_values)
        elif action == "drop":
            del node[index]
        return obj


@pytest.mark.parametrize("kind", REPLY_KINDS)
def test_the_client_parses_every_real_reply(replies, kind: str) -> None:
    body, schema_name, parse = replies[kind]
    parse(body)
    assert schema.validate(body, {"$ref": f"#/components/schemas/{schema_name}"}) == []


@pytest.mark.parametrize("kind", REPLY_KINDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_whatever_the_client_accepts_the_spec_allows(replies, kind: str, data) -> None:
    body, schema_name, parse = replies[kind]
    damaged_body = data.draw(damaged(body))
    try:
        parse(damaged_body)
    except GatewayProtocolError:
        return
    assert schema.validate(damaged_body, {"$ref": f"#/components/schemas/{schema_name}"}) == []


# --- the client's requests conform to the spec -------------------------------------------


class Call:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: Any,
                 response: RecordedReply) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body
        self.response = response


class RecordedReply:
    """A reply as the client read it: the client streams the body itself (to
    bound its size), so what it read is kept on the way through."""

    def __init__(self, resp: requests.Response) -> None:
        self.status_code = resp.status_code
        self.headers = resp.headers
        self.content = b""
        read1 = resp.raw.read1

        def keep(*args: Any, **kwargs: Any) -> bytes:
            data = read1(*args, **kwargs)
            self.content += data
            return data

        resp.raw.read1 = keep

    def json(self) -> Any:
        return json.loads(self.content)


def _spec_path(path: str) -> str:
    """The spec's name of a path: a templated one ({terminal_id}) for what fills it."""
    for template in schema.load_spec()["paths"]:
        pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template))
        if "{" in template and re.fullmatch(pattern, path):
            return template
    return path


class Recording(requests.Session):
    """A session that keeps every request the client sends and its reply."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        resp = super().request(method, url, *args, **kwargs)
        self.calls.append(Call(str(method), _spec_path(urlsplit(str(url)).path),
                               dict(kwargs.get("headers") or {}), kwargs.get("json"),
                               RecordedReply(resp)))
        return resp


def test_every_request_the_client_sends_is_what_the_spec_describes(server: SandboxServer) -> None:
    http = Recording()
    with GatewayClient(server.url, TERMINAL, TOKEN, session=http) as client:
        phone = SandboxPhone(server.url)
        make_every_call(client, phone, TERMINAL)
        phone.close()
    spec = schema.load_spec()
    described = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    control = {(m, p) for m, p in described if p.startswith("/_sandbox/")}
    called = {(c.method, c.path) for c in http.calls}
    assert called == described - control - {("GET", "/v1/openapi.json")}
    for c in http.calls:
        op = spec["paths"][c.path][c.method.lower()]
        if "requestBody" in op:
            assert schema.validate(c.body, schema.request_schema(c.method, c.path)) == [], c.path
        params = {schema.resolve(p, spec)["name"] for p in op.get("parameters", [])}
        assert ("Idempotency-Key" in c.headers) == ("Idempotency-Key" in params), c.path
        if "Idempotency-Key" in params:
            assert schema.validate(c.headers["Idempotency-Key"], schema.header_schema(
                c.method, c.path, "Idempotency-Key")) == []
        if op.get("security", spec["security"]):
            assert c.headers["X-Terminal-Id"] == TERMINAL
            assert c.headers["Authorization"] == f"Bearer {TOKEN}"
        status = str(c.response.status_code)
        assert status in op["responses"], (c.path, status)
        reply = schema.resolve(op["responses"][status], spec)["content"]["application/json"]
        assert schema.validate(c.response.json(), reply["schema"], spec) == [], c.path


# --- schemathesis: generated calls against the sandbox -------------------------------------

SPEC = schemathesis.openapi.from_dict(schema.load_spec())
OPERATIONS = [
    op for op in (result.ok() for result in SPEC.get_all_operations())
    if "sandbox-control" not in (op.tags or [])  # it would inject faults into the run
]
WITH_BODY = [op for op in OPERATIONS if op.method.upper() == "POST"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """One sandbox for the generated calls (they may change its data: no matter)."""
    with SandboxServer(tmp_path_factory.mktemp("fuzz") / "g.db",
                       terminals={TERMINAL: TOKEN}) as s:
        yield s


def _as_demo(body: Any, draw: st.DrawFn) -> Any:
    """Half the generated bodies name a demo citizen (else nearly every call is a
    404), and a payment's amount is its items' sum (else every one is a 400)."""
    if not isinstance(body, dict):
        return body
    if isinstance(body.get("citizen"), dict) and draw(st.booleans()):
        citizen = draw(st.sampled_from(DEMO_CITIZENS))
        body = {**body, "citizen": {"card_number": citizen.card_number,
                                    "id_number": citizen.id_number}}
    items = body.get("items")
    if isinstance(items, list) and all(isinstance(i, dict) and "amount" in i for i in items):
        try:
            total = sum(Decimal(i["amount"]) for i in items)
        except (ArithmeticError, TypeError, ValueError):
            return body
        if total > 0 and total < Decimal("1e9"):
            body = {**body, "amount": f"{total:.2f}"}
    return body


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_schemathesis_valid_calls_get_described_replies(fuzzed: SandboxServer,
                                                        operation) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        if case.body is not None and isinstance(case.body, dict):
            case.body = _as_demo(case.body, data.draw)
        response = case.call(base_url=fuzzed.url, headers=AUTH)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("operation", WITH_BODY, ids=lambda op: op.label)
def test_schemathesis_invalid_calls_are_refused(fuzzed: SandboxServer, operation) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case: Any) -> None:
        response = case.call(base_url=fuzzed.url, headers=AUTH)
        case.validate_response(response, checks=[not_a_server_error, negative_data_rejection,
                                                 content_type_conformance,
                                                 response_schema_conformance])

    run()
