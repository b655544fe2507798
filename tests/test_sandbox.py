"""The sandbox gateway over real HTTP on 127.0.0.1: auth, vouchers,
idempotency, faults, privacy of its log, and its agreement with openapi.json."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.sandbox import db, schema
from kiosk.sandbox.routes import ROUTES
from kiosk.sandbox.serials import luhn_check_digit, luhn_valid, new_serial
from kiosk.sandbox.server import SandboxServer
from tests.conftest import BALANCE, CHAN, ISSUE, LEI, SOUSA, TERMINAL, TOKEN, WONG

AUTH = {"X-Terminal-Id": TERMINAL, "Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def ref(citizen: Any) -> dict[str, str]:
    return {"card_number": citizen.card_number, "id_number": citizen.id_number}


def post(
    http: requests.Session,
    server: SandboxServer,
    path: str,
    body: Any,
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    h = dict(AUTH if headers is None else headers)
    if key is not None:
        h["Idempotency-Key"] = key
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.post(server.url + path, data=data, headers=h, timeout=10)


def issue(http, server, citizen, count: int, key: str) -> requests.Response:
    return post(http, server, ISSUE, {**ref(citizen), "count": count}, key=key)


def error_code(resp: requests.Response) -> str:
    return resp.json()["error"]["code"]


# --- basics and auth --------------------------------------------------------


def test_health_needs_no_auth(server: SandboxServer, http: requests.Session) -> None:
    resp = http.get(server.url + "/v1/health")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
    assert schema.validate(resp.json(), {"$ref": "#/components/schemas/Health"}) == []


def test_openapi_is_served_from_the_one_file(server: SandboxServer, http) -> None:
    resp = http.get(server.url + "/v1/openapi.json")
    assert resp.status_code == 200
    on_disk = (Path(schema.__file__).parent / "openapi.json").read_bytes()
    assert resp.content == on_disk
    assert resp.json()["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Terminal-Id": TERMINAL},
        {"Authorization": f"Bearer {TOKEN}"},
        {"X-Terminal-Id": TERMINAL, "Authorization": "Bearer wrong"},
        {"X-Terminal-Id": "other-terminal", "Authorization": f"Bearer {TOKEN}"},
        {"X-Terminal-Id": TERMINAL, "Authorization": f"Basic {TOKEN}"},
    ],
    ids=["none", "no-token", "no-terminal", "wrong-token", "unknown-terminal", "not-bearer"],
)
@pytest.mark.parametrize("path", [BALANCE, ISSUE])
def test_auth_required(server: SandboxServer, http, headers: dict[str, str], path: str) -> None:
    resp = post(http, server, path, {**ref(CHAN), "count": 1}, key="k", headers=headers)
    assert resp.status_code == 401
    assert error_code(resp) == "unauthorized"
    assert db.vouchers_available(server.db_path, CHAN.card_number) == 6


def test_each_terminal_has_its_own_token(tmp_path: Path, http) -> None:
    terminals = {"t1": "secret-1", "t2": "secret-2"}
    with SandboxServer(tmp_path / "g.db", terminals=terminals) as server:
        ok = post(http, server, BALANCE, ref(CHAN), headers=_auth("t2", "secret-2"))
        crossed = post(http, server, BALANCE, ref(CHAN), headers=_auth("t1", "secret-2"))
        default = post(http, server, BALANCE, ref(CHAN))
    assert (ok.status_code, crossed.status_code, default.status_code) == (200, 401, 401)


def _auth(terminal: str, token: str) -> dict[str, str]:
    return {"X-Terminal-Id": terminal, "Authorization": f"Bearer {token}"}


# --- balance ------------------------------------------------------------------


def test_balance_of_a_demo_citizen(server: SandboxServer, http) -> None:
    resp = post(http, server, BALANCE, ref(CHAN))
    assert resp.status_code == 200
    assert resp.json() == {
        "holder": {"name_zh": CHAN.name_zh, "name_latin": CHAN.name_latin},
        "available": 6,
        "value": 100,
        "currency": "MOP",
        "valid_until": f"{date.today().year}-12-31",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"card_number": CHAN.card_number, "id_number": LEI.id_number},
        {"card_number": "C9999999", "id_number": CHAN.id_number},
        {"card_number": CHAN.card_number, "id_number": "0000000(0)"},
    ],
    ids=["card-and-id-of-different-citizens", "unknown-card", "unknown-id"],
)
def test_balance_mismatch_is_not_found(server: SandboxServer, http, body) -> None:
    resp = post(http, server, BALANCE, body)
    assert resp.status_code == 404
    assert error_code(resp) == "not_found"
    assert CHAN.name_latin not in resp.text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'"text"',
        {"card_number": CHAN.card_number},
        {"card_number": 1, "id_number": CHAN.id_number},
        {"card_number": "", "id_number": CHAN.id_number},
        {**ref(CHAN), "extra": True},
    ],
)
def test_balance_bad_body_is_invalid_request(server: SandboxServer, http, body) -> None:
    resp = post(http, server, BALANCE, body)
    assert resp.status_code == 400
    assert error_code(resp) == "invalid_request"


# --- issuing ------------------------------------------------------------------


def test_issue_decrements_balance_and_serials_are_unique_12_digits(server, http) -> None:
    first = issue(http, server, CHAN, 2, "key-1")
    second = issue(http, server, CHAN, 3, "key-2")
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json()["remaining"], second.json()["remaining"]) == (4, 1)
    serials = [v["serial"] for r in (first, second) for v in r.json()["vouchers"]]
    assert len(serials) == 5 == len(set(serials))
    assert all(len(s) == 12 and s.isdigit() and luhn_valid(s) for s in serials)
    today = date.today()
    for voucher in first.json()["vouchers"]:
        assert voucher["value"] == 100 and voucher["currency"] == "MOP"
        assert voucher["valid_from"] == today.isoformat()
        assert voucher["valid_until"] == f"{today.year}-12-31"
    assert post(http, server, BALANCE, ref(CHAN)).json()["available"] == 1
    assert sorted(serials) == db.issued_serials(server.db_path, CHAN.card_number)


def test_serials_are_unique_across_citizens(server: SandboxServer, http) -> None:
    for n, citizen in enumerate((CHAN, LEI, SOUSA)):
        assert issue(http, server, citizen, citizen.vouchers_available, f"k{n}").status_code == 201
    serials = db.issued_serials(server.db_path)
    assert len(serials) == 15 == len(set(serials))


def test_issue_dates_follow_the_gateway_clock(tmp_path: Path, http) -> None:
    with SandboxServer(tmp_path / "g.db", today=lambda: date(2031, 12, 31)) as server:
        voucher = issue(http, server, CHAN, 1, "k").json()["vouchers"][0]
    assert (voucher["valid_from"], voucher["valid_until"]) == ("2031-12-31", "2031-12-31")


def test_replay_with_same_key_returns_same_vouchers_once(server: SandboxServer, http) -> None:
    first = issue(http, server, CHAN, 2, "same-key")
    again = issue(http, server, CHAN, 2, "same-key")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert db.vouchers_available(server.db_path, CHAN.card_number) == 4
    assert db.transaction_count(server.db_path) == 1


def test_concurrent_requests_with_same_key_issue_once(server: SandboxServer) -> None:
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    replies: list[requests.Response] = []
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as session:
            barrier.wait()
            resp = issue(session, server, CHAN, 3, "racing-key")
        with lock:
            replies.append(resp)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in replies] == [201] * threads_n
    assert len({json.dumps(r.json(), sort_keys=True) for r in replies}) == 1
    assert db.transaction_count(server.db_path) == 1
    assert len(db.issued_serials(server.db_path)) == 3
    assert db.vouchers_available(server.db_path, CHAN.card_number) == 3


def test_same_key_different_body_is_a_conflict(server: SandboxServer, http) -> None:
    assert issue(http, server, CHAN, 1, "k").status_code == 201
    resp = issue(http, server, CHAN, 2, "k")
    assert resp.status_code == 422
    assert error_code(resp) == "idempotency_conflict"
    assert db.vouchers_available(server.db_path, CHAN.card_number) == 5


def test_keys_are_scoped_per_terminal(tmp_path: Path, http) -> None:
    terminals = {"t1": "s1", "t2": "s2"}
    body = {**ref(CHAN), "count": 1}
    with SandboxServer(tmp_path / "g.db", terminals=terminals) as server:
        a = post(http, server, ISSUE, body, key="k", headers=_auth("t1", "s1"))
        b = post(http, server, ISSUE, body, key="k", headers=_auth("t2", "s2"))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["transaction_id"] != b.json()["transaction_id"]


@pytest.mark.parametrize(("citizen", "count"), [(CHAN, 7), (SOUSA, 4), (WONG, 1)])
def test_over_issue_is_insufficient_balance(server, http, citizen, count: int) -> None:
    resp = issue(http, server, citizen, count, "k")
    assert resp.status_code == 409
    assert error_code(resp) == "insufficient_balance"
    assert db.vouchers_available(server.db_path, citizen.card_number) == (
        citizen.vouchers_available
    )
    # A refused request stores nothing: the key stays free for a good request.
    assert issue(http, server, CHAN, 1, "k").status_code == 201


def test_issue_needs_an_idempotency_key(server: SandboxServer, http) -> None:
    resp = post(http, server, ISSUE, {**ref(CHAN), "count": 1})
    assert resp.status_code == 400
    assert error_code(resp) == "invalid_request"


@pytest.mark.parametrize("count", [0, -1, "2", 1.5, True, None, 101])
def test_issue_count_must_be_a_positive_integer(server: SandboxServer, http, count) -> None:
    resp = post(http, server, ISSUE, {**ref(CHAN), "count": count}, key="k")
    assert resp.status_code == 400
    assert error_code(resp) == "invalid_request"


def test_issue_for_unknown_citizen_is_not_found(server: SandboxServer, http) -> None:
    resp = post(http, server, ISSUE, {"card_number": "X", "id_number": "Y", "count": 1}, key="k")
    assert resp.status_code == 404
    assert error_code(resp) == "not_found"


def test_restart_on_same_file_keeps_state(tmp_path: Path, http) -> None:
    path = tmp_path / "g.db"
    with SandboxServer(path) as server:
        first = issue(http, server, CHAN, 2, "k").json()
    with SandboxServer(path) as server:
        assert post(http, server, BALANCE, ref(CHAN)).json()["available"] == 4
        assert issue(http, server, CHAN, 2, "k").json() == first
    assert db.vouchers_available(path, CHAN.card_number) == 4


# --- routing, faults, offline ---------------------------------------------------


def test_unknown_path_and_wrong_method_reply_json(server: SandboxServer, http) -> None:
    missing = http.get(server.url + "/v1/nothing-here", headers=AUTH)
    assert (missing.status_code, error_code(missing)) == (404, "not_found")
    wrong = http.get(server.url + BALANCE, headers=AUTH)
    assert (wrong.status_code, error_code(wrong)) == (405, "method_not_allowed")
    assert wrong.headers["Allow"] == "POST"
    odd = http.request("TRACE", server.url + "/v1/health")
    assert odd.json()["error"]["code"] == "method_not_allowed"


def test_injected_faults_hit_matching_paths_the_given_number_of_times(server, http) -> None:
    server.faults.inject("/v1/ssm/", status=503, times=2, retry_after=1)
    assert http.get(server.url + "/v1/health").status_code == 200  # prefix does not match
    first = post(http, server, BALANCE, ref(CHAN))
    assert (first.status_code, error_code(first)) == (503, "unavailable")
    assert first.headers["Retry-After"] == "1"
    assert post(http, server, BALANCE, ref(CHAN)).status_code == 503
    assert post(http, server, BALANCE, ref(CHAN)).status_code == 200
    assert server.faults.pending == 0


def test_injected_raw_body_and_clear(server: SandboxServer, http) -> None:
    server.faults.inject("/v1/health", status=200, body=b"not json", times=5)
    assert http.get(server.url + "/v1/health").content == b"not json"
    server.faults.clear()
    assert http.get(server.url + "/v1/health").json()["status"] == "ok"


def test_fault_after_handler_loses_the_reply_not_the_work(server: SandboxServer, http) -> None:
    server.faults.inject(ISSUE, status=504, after_handler=True)
    assert issue(http, server, CHAN, 2, "k").status_code == 504
    assert db.vouchers_available(server.db_path, CHAN.card_number) == 4
    retry = issue(http, server, CHAN, 2, "k")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"


def test_offline_server_hangs_up(server: SandboxServer, http) -> None:
    server.set_online(False)
    with pytest.raises(requests.ConnectionError):
        http.get(server.url + "/v1/health", timeout=5)
    with pytest.raises(requests.ConnectionError):
        post(http, server, BALANCE, ref(CHAN))
    server.set_online(True)
    assert http.get(server.url + "/v1/health").status_code == 200
    assert [r.status for r in server.journal] == [None, None, 200]


# --- privacy of the log ---------------------------------------------------------


def test_request_log_holds_no_personal_data(tmp_path: Path, http, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.sandbox")
    with SandboxServer(tmp_path / "g.db", verbose=True) as server:
        post(http, server, BALANCE, ref(CHAN))
        issue(http, server, CHAN, 1, "k")
        post(http, server, BALANCE, {"card_number": CHAN.card_number, "id_number": "nope"})
        http.get(f"{server.url}/v1/citizens/{CHAN.id_number}?name={CHAN.name_latin}")
    text = caplog.text
    assert f"POST {BALANCE} 200" in text and f"POST {ISSUE} 201" in text
    assert "<unrouted> 404" in text
    for secret in (CHAN.card_number, CHAN.id_number, CHAN.name_zh, "CHAN", "nope"):
        assert secret not in text


def test_quiet_unless_verbose(server: SandboxServer, http, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.sandbox")
    post(http, server, BALANCE, ref(CHAN))
    assert caplog.records == []


# --- the OpenAPI description is the contract --------------------------------------


def _operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, item in spec["paths"].items() for m in item}


def test_every_spec_operation_is_routed_and_every_route_described(server, http) -> None:
    spec = schema.load_spec()
    routed = {(m, p) for p, methods in ROUTES.items() for m in methods}
    assert _operations(spec) == routed
    for method, path in _operations(spec):
        resp = http.request(method, server.url + path, headers={**AUTH, "Idempotency-Key": "x"})
        assert resp.status_code not in (404, 405), (method, path)


def test_every_ref_in_the_spec_resolves() -> None:
    spec = schema.load_spec()

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    refs = set(walk(spec))
    assert refs
    for r in refs:
        assert isinstance(schema.resolve({"$ref": r}, spec), dict), r
    op_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(op_ids) == len(set(op_ids))


def _response_schema(spec: dict[str, Any], method: str, path: str, status: int) -> Any:
    response = schema.resolve(spec["paths"][path][method.lower()]["responses"][str(status)], spec)
    return response["content"]["application/json"]["schema"]


def test_replies_match_the_spec(server: SandboxServer, http) -> None:
    spec = schema.load_spec()
    replies = [
        ("GET", "/v1/health", http.get(server.url + "/v1/health")),
        ("GET", "/v1/openapi.json", http.get(server.url + "/v1/openapi.json")),
        ("POST", BALANCE, post(http, server, BALANCE, ref(CHAN))),
        ("POST", ISSUE, issue(http, server, CHAN, 2, "k")),
        ("POST", BALANCE, post(http, server, BALANCE, b"{}")),
        ("POST", BALANCE, post(http, server, BALANCE, ref(CHAN), headers={})),
        ("POST", BALANCE, post(http, server, BALANCE, {"card_number": "x", "id_number": "y"})),
        ("POST", ISSUE, issue(http, server, CHAN, 99, "k2")),
        ("POST", ISSUE, issue(http, server, CHAN, 3, "k")),
    ]
    server.faults.inject(BALANCE, status=503)
    replies.append(("POST", BALANCE, post(http, server, BALANCE, ref(CHAN))))
    statuses = [resp.status_code for *_, resp in replies]
    assert statuses == [200, 200, 200, 201, 400, 401, 404, 409, 422, 503]
    for method, path, resp in replies:
        body_schema = _response_schema(spec, method, path, resp.status_code)
        # Checks every property the spec requires, with its type and format.
        assert schema.validate(resp.json(), body_schema, spec) == [], (path, resp.status_code)


def test_validator_reports_where_not_what() -> None:
    bad = {"holder": {"name_zh": 1}, "available": "secret-value", "value": 100}
    problems = schema.validate(bad, {"$ref": "#/components/schemas/VoucherBalance"})
    assert "$.holder.name_latin: missing" in problems
    assert "$.available: expected integer" in problems
    assert "$.currency: missing" in problems
    assert not any("secret-value" in p for p in problems)


# --- serials ------------------------------------------------------------------


def test_luhn() -> None:
    assert luhn_check_digit("7992739871") == "3"  # the textbook example
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    serials = {new_serial() for _ in range(500)}
    assert all(len(s) == 12 and s[0] != "0" and luhn_valid(s) for s in serials)
