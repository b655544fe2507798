"""GatewayClient against a real sandbox on 127.0.0.1: typed replies, typed
errors, retries only where safe, and strict parsing of whatever comes back."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.api import (
    GatewayClient,
    GatewayError,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
    Holder,
    Voucher,
    VoucherBalance,
    VoucherIssue,
)
from kiosk.sandbox import db, schema
from kiosk.sandbox.server import SandboxServer
from tests.conftest import BALANCE, CHAN, ISSUE, LEI, SOUSA, TERMINAL, TOKEN, WONG


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff delays the client asked for; nothing really sleeps."""
    return []


def make_client(url: str, sleeps: list[float], **kwargs: Any) -> GatewayClient:
    kwargs.setdefault("token", TOKEN)
    return GatewayClient(url, TERMINAL, sleep=sleeps.append, **kwargs)


@pytest.fixture
def client(server: SandboxServer, sleeps: list[float]) -> Iterator[GatewayClient]:
    with make_client(server.url, sleeps) as c:
        yield c


def issue_requests(server: SandboxServer) -> list[Any]:
    return [r for r in server.journal if r.path == ISSUE]


# --- happy paths ----------------------------------------------------------------


def test_health(client: GatewayClient) -> None:
    assert client.health()["status"] == "ok"


def test_voucher_balance(client: GatewayClient) -> None:
    balance = client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert balance == VoucherBalance(
        holder=Holder(CHAN.name_zh, CHAN.name_latin),
        available=6,
        value=100,
        currency="MOP",
        valid_until=date(date.today().year, 12, 31),
    )


def test_issue_vouchers(client: GatewayClient, server: SandboxServer) -> None:
    result = client.issue_vouchers(
        SOUSA.card_number, SOUSA.id_number, 2, idempotency_key=client.new_idempotency_key()
    )
    assert isinstance(result, VoucherIssue)
    assert result.holder == Holder(SOUSA.name_zh, SOUSA.name_latin)
    assert result.remaining == 1
    assert len(result.vouchers) == 2
    assert all(isinstance(v.valid_from, date) and len(v.serial) == 12 for v in result.vouchers)
    assert client.voucher_balance(SOUSA.card_number, SOUSA.id_number).available == 1
    assert sorted(v.serial for v in result.vouchers) == db.issued_serials(server.db_path)


def test_every_call_identifies_the_terminal(client: GatewayClient, server) -> None:
    client.health()
    client.voucher_balance(CHAN.card_number, CHAN.id_number)
    agents = {r.user_agent for r in server.journal}
    assert len(agents) == 1
    assert agents.pop().startswith("kiosk/")


def test_new_idempotency_key_is_a_fresh_uuid4() -> None:
    keys = {GatewayClient.new_idempotency_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(uuid.UUID(k).version == 4 for k in keys)


@pytest.mark.parametrize(("count", "key"), [(0, "k"), (-1, "k"), (True, "k"), (1, "")])
def test_issue_arguments_are_checked_before_sending(client, server, count, key) -> None:
    with pytest.raises(ValueError):
        client.issue_vouchers(CHAN.card_number, CHAN.id_number, count, idempotency_key=key)
    assert server.journal == []


# --- typed errors for rejections: never retried -----------------------------------


def test_wrong_token_is_rejected_unauthorized(server: SandboxServer, sleeps) -> None:
    with (
        make_client(server.url, sleeps, token="wrong") as client,
        pytest.raises(GatewayRejected) as info,
    ):
        client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert (info.value.status, info.value.code) == (401, "unauthorized")
    assert info.value.code == "unauthorized"
    assert len(server.journal) == 1 and sleeps == []


def test_unknown_citizen_is_rejected_not_found(client: GatewayClient, server, sleeps) -> None:
    with pytest.raises(GatewayRejected) as info:
        client.voucher_balance(CHAN.card_number, LEI.id_number)
    assert (info.value.status, info.value.code) == (404, "not_found")
    assert CHAN.card_number not in str(info.value) and LEI.id_number not in str(info.value)
    assert len(server.journal) == 1 and sleeps == []


def test_over_issue_is_rejected_insufficient_balance(client, server, sleeps) -> None:
    key = client.new_idempotency_key()
    with pytest.raises(GatewayRejected) as info:
        client.issue_vouchers(WONG.card_number, WONG.id_number, 1, idempotency_key=key)
    assert (info.value.status, info.value.code) == (409, "insufficient_balance")
    assert len(server.journal) == 1 and sleeps == []


def test_reused_key_is_rejected_idempotency_conflict(client: GatewayClient) -> None:
    key = client.new_idempotency_key()
    client.issue_vouchers(CHAN.card_number, CHAN.id_number, 1, idempotency_key=key)
    with pytest.raises(GatewayRejected) as info:
        client.issue_vouchers(CHAN.card_number, CHAN.id_number, 2, idempotency_key=key)
    assert (info.value.status, info.value.code) == (422, "idempotency_conflict")


def test_rejection_without_json_body_falls_back_on_status(client, server) -> None:
    server.faults.inject(BALANCE, status=401, body=b"<html>denied</html>")
    with pytest.raises(GatewayRejected) as info:
        client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert info.value.code == "unauthorized"


# --- unavailability and retries ---------------------------------------------------


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens here any more


def test_nothing_listening_is_unavailable_after_retries(sleeps: list[float]) -> None:
    with (
        make_client(closed_port_url(), sleeps, retries=2, backoff_s=0.2) as client,
        pytest.raises(GatewayUnavailable) as info,
    ):
        client.health()
    assert info.value.code == "gateway_unavailable"
    assert info.value.code == "gateway_unavailable"
    assert sleeps == [0.2, 0.4]  # exponential backoff between the 3 attempts


def test_503s_beyond_the_retries_are_unavailable(client, server, sleeps) -> None:
    server.faults.inject(BALANCE, status=503, times=3)
    with pytest.raises(GatewayUnavailable) as info:
        client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert info.value.status == 503
    assert [r.status for r in server.journal] == [503, 503, 503]
    assert len(sleeps) == 2


def test_one_503_then_issue_succeeds_with_the_same_key(client, server, sleeps) -> None:
    server.faults.inject(ISSUE, status=503)
    key = client.new_idempotency_key()
    result = client.issue_vouchers(CHAN.card_number, CHAN.id_number, 2, idempotency_key=key)
    assert result.remaining == 4
    assert [(r.status, r.idempotency_key) for r in issue_requests(server)] == [
        (503, key),
        (201, key),
    ]
    assert db.transaction_count(server.db_path) == 1
    assert db.vouchers_available(server.db_path, CHAN.card_number) == 4
    assert len(sleeps) == 1


def test_lost_reply_is_recovered_by_the_retry_without_issuing_twice(client, server) -> None:
    # The gateway issues, then the reply is lost (504 from a proxy, say).
    server.faults.inject(ISSUE, status=504, after_handler=True)
    key = client.new_idempotency_key()
    result = client.issue_vouchers(CHAN.card_number, CHAN.id_number, 3, idempotency_key=key)
    assert sorted(v.serial for v in result.vouchers) == db.issued_serials(server.db_path)
    assert db.transaction_count(server.db_path) == 1
    assert db.vouchers_available(server.db_path, CHAN.card_number) == 3
    assert {r.idempotency_key for r in issue_requests(server)} == {key}


def test_read_timeout_is_retried(server: SandboxServer, sleeps) -> None:
    server.faults.inject(BALANCE, status=200, delay_s=30)  # released when the server stops
    with make_client(server.url, sleeps, read_timeout=0.2) as client:
        balance = client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert balance.available == 6
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    ("header", "expected"), [(3, 3.0), (60, 5.0), (0, 0.0), ("nan", 0.2), ("soon", 0.2)]
)
def test_retry_after_is_honoured_and_capped(client, server, sleeps, header, expected) -> None:
    server.faults.inject(BALANCE, status=503, retry_after=header)
    client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert sleeps == [expected]


def test_500_is_not_retried(client: GatewayClient, server, sleeps) -> None:
    server.faults.inject(BALANCE, status=500)
    with pytest.raises(GatewayUnavailable) as info:
        client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert info.value.status == 500
    assert len(server.journal) == 1 and sleeps == []


def test_state_change_without_key_is_never_retried(client, server, sleeps) -> None:
    server.faults.inject(ISSUE, status=503, times=3)
    with pytest.raises(GatewayUnavailable):
        client._request("POST", ISSUE, {**_ref(CHAN), "count": 1})
    assert len(server.journal) == 1 and sleeps == []


def test_offline_gateway_is_unavailable(client: GatewayClient, server, sleeps) -> None:
    server.set_online(False)
    with pytest.raises(GatewayUnavailable):
        client.health()
    assert [r.status for r in server.journal] == [None, None, None]
    server.set_online(True)
    assert client.health()["status"] == "ok"


def test_no_retries_when_disabled(server: SandboxServer, sleeps) -> None:
    server.faults.inject(BALANCE, status=503)
    with make_client(server.url, sleeps, retries=0) as client, pytest.raises(GatewayUnavailable):
        client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert sleeps == []


def test_logs_never_hold_personal_data(client, server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server.faults.inject(ISSUE, status=503)
    key = client.new_idempotency_key()
    client.issue_vouchers(CHAN.card_number, CHAN.id_number, 1, idempotency_key=key)
    with pytest.raises(GatewayRejected):
        client.voucher_balance(CHAN.card_number, LEI.id_number)
    assert "retry 1/2" in caplog.text
    for secret in (CHAN.card_number, CHAN.id_number, LEI.id_number, CHAN.name_zh, "CHAN"):
        assert secret not in caplog.text


def _ref(citizen: Any) -> dict[str, str]:
    return {"card_number": citizen.card_number, "id_number": citizen.id_number}


# --- malformed replies ---------------------------------------------------------------

VALID_BALANCE = {
    "holder": {"name_zh": "陳大文", "name_latin": "CHAN, TAI MAN"},
    "available": 6,
    "value": 100,
    "currency": "MOP",
    "valid_until": "2031-12-31",
}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"\xff\xfe\x00",
        b"[]",
        b"null",
        b"{}",
        json.dumps({**VALID_BALANCE, "available": "6"}).encode(),
        json.dumps({**VALID_BALANCE, "available": True}).encode(),
        json.dumps({**VALID_BALANCE, "available": -1}).encode(),
        json.dumps({**VALID_BALANCE, "holder": "CHAN"}).encode(),
        json.dumps({**VALID_BALANCE, "holder": {"name_zh": None, "name_latin": ""}}).encode(),
        json.dumps({**VALID_BALANCE, "valid_until": "31/12/2031"}).encode(),
        json.dumps({**VALID_BALANCE, "valid_until": "2031-02-30"}).encode(),
        json.dumps({**VALID_BALANCE, "currency": "mop"}).encode(),
        b"[" * 100_000,
    ],
)
def test_malformed_balance_reply_is_a_protocol_error(client, server, body: bytes) -> None:
    server.faults.inject(BALANCE, status=200, body=body)
    with pytest.raises(GatewayProtocolError) as info:
        client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert info.value.code == "gateway_protocol"


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"transaction_id": "t", "holder": {"name_zh": "", "name_latin": ""},'
        b' "vouchers": [], "remaining": 0}',
        b'{"transaction_id": "t", "holder": {"name_zh": "", "name_latin": ""},'
        b' "vouchers": [{"serial": 123456789012}], "remaining": 0}',
    ],
)
def test_malformed_issue_reply_is_a_protocol_error(client, server, body: bytes) -> None:
    server.faults.inject(ISSUE, status=201, body=body)
    with pytest.raises(GatewayProtocolError):
        client.issue_vouchers(CHAN.card_number, CHAN.id_number, 1, idempotency_key="k")


@pytest.mark.parametrize("body", [b"not json", b'{"status": "down"}', b"[]"])
def test_malformed_health_reply_is_a_protocol_error(client, server, body: bytes) -> None:
    server.faults.inject("/v1/health", status=200, body=body)
    with pytest.raises(GatewayProtocolError):
        client.health()


def test_redirect_is_a_protocol_error(client: GatewayClient, server) -> None:
    server.faults.inject(BALANCE, status=302)
    with pytest.raises(GatewayProtocolError):
        client.voucher_balance(CHAN.card_number, CHAN.id_number)


def test_protocol_errors_name_the_field_not_the_value() -> None:
    bad = {**VALID_BALANCE, "holder": {"name_zh": "陳大文", "name_latin": 5215299}}
    with pytest.raises(GatewayProtocolError) as info:
        VoucherBalance.from_json(bad)
    assert "holder.name_latin" in str(info.value)
    assert "5215299" not in str(info.value) and "陳大文" not in str(info.value)


# --- from_json never fails with anything but GatewayProtocolError ---------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["2031-12-31", "2031-02-30", "123456789012", "MOP", "", "１２"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
holders = st.fixed_dictionaries({"name_zh": st.text(), "name_latin": st.text()})
dates = st.dates().map(date.isoformat)
vouchers = st.fixed_dictionaries(
    {
        "serial": st.from_regex(r"\A[0-9]{12}\Z"),
        "value": st.integers(min_value=1),
        "currency": st.from_regex(r"\A[A-Z]{3}\Z"),
        "valid_from": dates,
        "valid_until": dates,
    }
)
VALID = {
    Holder: holders,
    VoucherBalance: st.fixed_dictionaries(
        {
            "holder": holders,
            "available": st.integers(min_value=0),
            "value": st.integers(min_value=1),
            "currency": st.just("MOP"),
            "valid_until": dates,
        }
    ),
    Voucher: vouchers,
    VoucherIssue: st.fixed_dictionaries(
        {
            "transaction_id": st.text(min_size=1),
            "holder": holders,
            "vouchers": st.lists(vouchers, min_size=1, max_size=3),
            "remaining": st.integers(min_value=0),
        }
    ),
}


@st.composite
def damaged(draw: st.DrawFn, model: type) -> Any:
    """A valid reply with one field (maybe nested) replaced, dropped or kept."""
    obj = draw(VALID[model])
    node = obj
    while True:
        key = draw(st.sampled_from(sorted(node)))
        child = node[key]
        if isinstance(child, list) and child:
            child = child[0]
        if isinstance(child, dict) and draw(st.booleans()):
            node = child
            continue
        action = draw(st.sampled_from(["replace", "drop", "keep"]))
        if action == "replace":
            node[key] = draw(json_values)
        elif action == "drop":
            del node[key]
        return obj


def _parse_or_protocol_error(model: type, obj: Any) -> None:
    try:
        result = model.from_json(obj)
    except GatewayProtocolError:
        return
    assert isinstance(result, model)
    # Whatever the client accepts, the spec allows: the two never drift apart.
    assert schema.validate(obj, {"$ref": f"#/components/schemas/{model.__name__}"}) == []


MODELS = [Holder, VoucherBalance, Voucher, VoucherIssue]


@pytest.mark.parametrize("model", MODELS)
@given(data=st.data())
def test_from_json_of_arbitrary_json(model: type, data: st.DataObject) -> None:
    _parse_or_protocol_error(model, data.draw(json_values))


@pytest.mark.parametrize("model", MODELS)
@given(data=st.data())
def test_from_json_of_nearly_valid_replies(model: type, data: st.DataObject) -> None:
    _parse_or_protocol_error(model, data.draw(damaged(model)))


@given(obj=VALID[VoucherBalance])
def test_from_json_of_valid_balance_keeps_the_values(obj: dict[str, Any]) -> None:
    balance = VoucherBalance.from_json(obj)
    assert balance.available == obj["available"]
    assert balance.valid_until.isoformat() == obj["valid_until"]
    assert balance.holder == Holder(**obj["holder"])


def test_errors_form_one_hierarchy() -> None:
    for cls in (GatewayUnavailable, GatewayRejected, GatewayProtocolError):
        assert issubclass(cls, GatewayError)


# --- contract: the client calls only what the spec describes ---------------------------


def test_every_call_the_client_makes_is_in_the_spec(client: GatewayClient, server) -> None:
    client.health()
    client.voucher_balance(CHAN.card_number, CHAN.id_number)
    client.issue_vouchers(CHAN.card_number, CHAN.id_number, 1, idempotency_key="k")
    spec = schema.load_spec()
    described = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    called = {(r.method, r.path) for r in server.journal}
    assert called == {("GET", "/v1/health"), ("POST", BALANCE), ("POST", ISSUE)}
    assert called <= described  # the rest of the API: tests/test_api_gateway.py
    issue_op = spec["paths"][ISSUE]["post"]
    params = [schema.resolve(p, spec)["name"] for p in issue_op["parameters"]]
    assert "Idempotency-Key" in params and issue_requests(server)[0].idempotency_key == "k"
