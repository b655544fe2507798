"""The sandbox's services through the real client on 127.0.0.1: every one of
the 28 services looked up and done for the demo card, again and again; the
platform's rules (fees paid exactly and once, second factor, idempotency);
the demo data of the other citizens; the test control (transactions, SMS,
wallet, faults by department) and the demo phone."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from kiosk.api import (
    GatewayClient,
    GatewayRejected,
    GatewayUnavailable,
    PaymentItem,
    Submission,
)
from kiosk.sandbox.departments import DEPARTMENTS, SERVICES
from kiosk.sandbox.phone import SandboxPhone
from kiosk.sandbox.server import SandboxServer
from tests.conftest import CHAN, LEI, SOUSA, TERMINAL, TOKEN, WONG

ALL = sorted(SERVICES)
WITH_SUBMIT = sorted(s for s, svc in SERVICES.items() if svc.submit is not None)
LOOKUP_ONLY = sorted(set(ALL) - set(WITH_SUBMIT))


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[GatewayClient]:
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=1, backoff_s=0.0,
                       sleep=lambda _s: None) as c:
        yield c


@pytest.fixture
def phone(sandbox: SandboxServer) -> Iterator[SandboxPhone]:
    p = SandboxPhone(sandbox.url)
    yield p
    p.close()


def key() -> str:
    return GatewayClient.new_idempotency_key()


def total(amounts: list[str]) -> Decimal:
    return sum((Decimal(a) for a in amounts), Decimal(0))


def plan(service_id: str, records: dict[str, Any]) -> tuple[dict[str, Any], Decimal]:
    """What a citizen would choose from what the lookup offers, and its price."""
    if "options" in records and service_id.startswith("dsi."):
        chosen = records["options"][-1]
        return {"option": chosen["id"]}, Decimal(chosen["fee"])
    forms: dict[str, Any] = {
        "dsi.contact-update": lambda r: ({"email": "chan.new@example.mo"}, Decimal(0)),
        "ssm.voucher-transfer": lambda r: ({"member_id": next(
            m["member_id"] for m in r["family"] if m["kinship_verified"]), "count": 1},
            Decimal(0)),
        "ssm.kinship-verify": lambda r: ({"member_id": r["family"][-1]["member_id"]}, Decimal(0)),
        "fss.contribution-record": lambda r: ({}, Decimal(0)),
        "dsf.income-certificate": lambda r: ({"year": r["years"][0], "option": "pt"},
                                             Decimal(0)),
        "dsf.tax-payment": lambda r: ({"bill_ids": [b["bill_id"] for b in r["bills"]]},
                                      total([b["amount"] for b in r["bills"]])),
        "safp.feedback": lambda r: ({"category": "suggestion", "department": "dsat",
                                     "text": "More kiosks in Taipa, please."}, Decimal(0)),
        "dsaj.commercial-registration": lambda r: (
            {"registration_number": r["suggestions"][0]["registration_number"]},
            Decimal(r["options"][0]["fee"])),
        "dsaj.property-registration": lambda r: (
            {"property_number": r["suggestions"][0]["property_number"]},
            Decimal(r["options"][0]["fee"])),
        "ic.library-loans": lambda r: ({"loan_ids": [
            loan["loan_id"] for loan in r["loans"] if loan["renewable"]]}, Decimal(0)),
        "ic.library-card": lambda r: ({"email": "chan.library@example.mo"}, Decimal(0)),
        "dsat.vehicle-tax": lambda r: ({"plates": [v["plate"] for v in r["vehicles"]]},
                                       total([v["amount"] for v in r["vehicles"]])),
        "dsat.traffic-fines": lambda r: ({"fine_ids": [f["fine_id"] for f in r["fines"][:2]]},
                                         total([f["amount"] for f in r["fines"][:2]])),
    }
    if service_id.endswith("proof-of-life"):
        return {"face_verified": True, "liveness": True}, Decimal(0)
    return forms[service_id](records)


def complete(client: GatewayClient, phone: SandboxPhone, service_id: str,
             citizen: Any = CHAN) -> Submission:
    """Do a service as the kiosk would: look up, choose, second factor, pay, submit."""
    card, idn = citizen.card_number, citizen.id_number
    records = client.lookup(service_id, card, idn).records
    form, amount = plan(service_id, records)
    otp_token = payment_id = None
    if SERVICES[service_id].second_factor:
        challenge = client.send_otp(card, idn, service_id, idempotency_key=key())
        code = phone.last_code()
        assert code is not None
        otp_token = client.verify_otp(challenge.challenge_id, code)
    if amount:
        payment = client.create_payment(card, idn, service_id, amount, "MOP",
                                        [{"label": service_id, "amount": amount}],
                                        idempotency_key=key())
        assert phone.pay(payment.payment_id)
        assert client.payment_status(payment.payment_id).status == "paid"
        payment_id = payment.payment_id
    return client.submit(service_id, card, idn, form, idempotency_key=key(),
                         payment_id=payment_id, otp_token=otp_token)



def make_every_call(client: GatewayClient, phone: SandboxPhone, terminal_id: str,
                    citizen: Any = CHAN) -> None:
    """Every call the kiosk makes to the gateway, each at least once and as the
    kiosk makes it: the spec check, the reply schemas and the fuzz seeds all
    start from this walk."""
    card, idn = citizen.card_number, citizen.id_number
    client.health()
    for service_id in ALL:
        client.lookup(service_id, card, idn)
    for service_id in WITH_SUBMIT:
        complete(client, phone, service_id, citizen)
    client.lookup("dsaj.commercial-registration", card, idn,
                  {"registration_number": "12345(SO)"})
    client.profile(card, idn)
    client.application_progress(card, idn)
    client.departments_status()
    client.voucher_balance(card, idn)
    client.issue_vouchers(card, idn, 1, idempotency_key=key())
    fresh = client.create_payment(card, idn, "dsi.id-renewal", Decimal("1.00"), "MOP",
                                  [PaymentItem("a", Decimal(1))], idempotency_key=key())
    client.payment_status(fresh.payment_id)
    client.refund_payment(fresh.payment_id, "test", idempotency_key=key())
    client.heartbeat({"terminal_id": terminal_id, "app_version": "0", "uptime_s": 1.5,
                      "devices": [{"name": "printer", "state": "online"}], "alerts": [],
                      "outbox": dict.fromkeys(("pending", "delivering", "delivered", "dead",
                                               "dropped"), 0)})

# --- every service, for the demo card --------------------------------------------------


def test_the_catalog_has_the_28_services_of_the_ten_departments() -> None:
    assert len(ALL) == 28
    assert {s.split(".")[0] for s in ALL} == set(DEPARTMENTS)


@pytest.mark.parametrize("service_id", ALL)
def test_every_service_looks_up_for_the_demo_card(client: GatewayClient, service_id) -> None:
    lookup = client.lookup(service_id, CHAN.card_number, CHAN.id_number)
    assert lookup.service_id == service_id
    assert lookup.records  # something to show, whatever the service


@pytest.mark.parametrize("service_id", WITH_SUBMIT)
def test_every_service_completes_for_the_demo_card(client, phone, service_id) -> None:
    done = complete(client, phone, service_id)
    assert done.service_id == service_id and done.status in ("completed", "accepted")
    assert done.reference.startswith(service_id.split(".")[0].upper() + "-")


def test_the_demo_card_completes_every_service_three_times_in_one_sandbox(
        client, phone, sandbox: SandboxServer) -> None:
    # The autopilot may run the whole catalog several times against one sandbox:
    # fines, bills, taxes, loans and vouchers never run out for the demo card.
    for _ in range(3):
        for service_id in WITH_SUBMIT:
            complete(client, phone, service_id)
        client.issue_vouchers(CHAN.card_number, CHAN.id_number,
                              client.voucher_balance(CHAN.card_number, CHAN.id_number).available,
                              idempotency_key=key())
    submits = [t for t in sandbox.transactions if t["path"] == "/v1/services/submit"]
    assert len(submits) == 3 * len(WITH_SUBMIT)


@pytest.mark.parametrize("service_id", LOOKUP_ONLY)
def test_lookup_only_services_have_nothing_to_submit(client, service_id) -> None:
    with pytest.raises(GatewayRejected) as info:
        client.submit(service_id, CHAN.card_number, CHAN.id_number, {}, idempotency_key=key())
    assert (info.value.status, info.value.code) == (400, "invalid_request")


def test_applications_submitted_show_in_the_progress_of_every_department(client, phone) -> None:
    before = client.application_progress(CHAN.card_number, CHAN.id_number)
    assert {a.department for a in before} >= {"dsi", "ias"}
    renewal = complete(client, phone, "dsi.id-renewal")
    feedback = complete(client, phone, "safp.feedback")
    after = client.application_progress(CHAN.card_number, CHAN.id_number)
    added = {a.reference for a in after} - {a.reference for a in before}
    assert added == {renewal.reference, feedback.reference}
    mine = next(a for a in after if a.reference == renewal.reference)
    assert mine.status == "received" and set(mine.title) == {"zh-Hant", "pt", "en"}
    status = client.lookup("dsi.application-status", CHAN.card_number, CHAN.id_number)
    assert len(status.records["applications"]) == len(after)


# --- what each service does ---------------------------------------------------------------


def test_paid_fines_leave_the_list_and_cannot_be_paid_again(client, phone) -> None:
    fines = client.lookup("dsat.traffic-fines", LEI.card_number, LEI.id_number).records["fines"]
    assert len(fines) == 1
    fine = fines[0]
    amount = Decimal(fine["amount"])

    def pay() -> str:
        p = client.create_payment(LEI.card_number, LEI.id_number, "dsat.traffic-fines", amount,
                                  "MOP", [{"label": fine["offence"], "amount": amount}],
                                  idempotency_key=key())
        phone.pay(p.payment_id)
        return p.payment_id

    done = client.submit("dsat.traffic-fines", LEI.card_number, LEI.id_number,
                         {"fine_ids": [fine["fine_id"]]}, idempotency_key=key(), payment_id=pay())
    assert done.result["paid"] == [fine["fine_id"]] and done.result["amount"] == fine["amount"]
    assert client.lookup("dsat.traffic-fines", LEI.card_number, LEI.id_number).records[
        "fines"] == []
    with pytest.raises(GatewayRejected) as info:
        client.submit("dsat.traffic-fines", LEI.card_number, LEI.id_number,
                      {"fine_ids": [fine["fine_id"]]}, idempotency_key=key(), payment_id=pay())
    assert (info.value.status, info.value.code) == (409, "nothing_to_do")


def test_someone_elses_fine_is_not_found(client, phone) -> None:
    chan_fine = client.lookup("dsat.traffic-fines", CHAN.card_number,
                              CHAN.id_number).records["fines"][0]
    with pytest.raises(GatewayRejected) as info:
        client.submit("dsat.traffic-fines", LEI.card_number, LEI.id_number,
                      {"fine_ids": [chan_fine["fine_id"]]}, idempotency_key=key())
    assert info.value.code == "not_found"


def test_voucher_transfer_needs_a_verified_relation_and_enough_vouchers(client, phone) -> None:
    family = client.lookup("ssm.kinship-verify", CHAN.card_number, CHAN.id_number).records[
        "family"]
    son = next(m for m in family if not m["kinship_verified"])

    def transfer(member_id: str, count: int) -> Submission:
        challenge = client.send_otp(CHAN.card_number, CHAN.id_number, "ssm.voucher-transfer",
                                    idempotency_key=key())
        token = client.verify_otp(challenge.challenge_id, phone.last_code() or "")
        return client.submit("ssm.voucher-transfer", CHAN.card_number, CHAN.id_number,
                             {"member_id": member_id, "count": count}, idempotency_key=key(),
                             otp_token=token)

    with pytest.raises(GatewayRejected) as info:
        transfer(son["member_id"], 1)
    assert info.value.code == "conflict"
    verified = client.submit("ssm.kinship-verify", CHAN.card_number, CHAN.id_number,
                             {"member_id": son["member_id"]}, idempotency_key=key())
    assert verified.result["verified"] is True
    assert transfer(son["member_id"], 2).result == {
        "count": 2, "member_name_masked": son["name_masked"], "remaining": 4}
    with pytest.raises(GatewayRejected) as info:
        transfer(son["member_id"], 5)
    assert info.value.code == "insufficient_balance"
    assert client.voucher_balance(CHAN.card_number, CHAN.id_number).available == 4


def test_a_relation_not_in_the_records_stays_unverified(client) -> None:
    family = client.lookup("ssm.kinship-verify", CHAN.card_number, CHAN.id_number).records[
        "family"]
    daughter = family[-1]
    done = client.submit("ssm.kinship-verify", CHAN.card_number, CHAN.id_number,
                         {"member_id": daughter["member_id"]}, idempotency_key=key())
    assert done.status == "completed" and done.result["verified"] is False


def test_proof_of_life_only_for_beneficiaries(client) -> None:
    form = {"face_verified": True, "liveness": True}
    for service_id, citizen in (("fp.proof-of-life", SOUSA), ("fss.proof-of-life", WONG)):
        assert client.lookup(service_id, citizen.card_number,
                             citizen.id_number).records["beneficiary"] is False
        with pytest.raises(GatewayRejected) as info:
            client.submit(service_id, citizen.card_number, citizen.id_number, form,
                          idempotency_key=key())
        assert info.value.code == "nothing_to_do"
    done = client.submit("ias.proof-of-life", SOUSA.card_number, SOUSA.id_number, form,
                         idempotency_key=key())
    records = client.lookup("ias.proof-of-life", SOUSA.card_number, SOUSA.id_number).records
    assert records["next_due"] == done.result["next_due"]


def test_proof_of_life_needs_the_face_checked(client) -> None:
    with pytest.raises(GatewayRejected) as info:
        client.submit("fss.proof-of-life", CHAN.card_number, CHAN.id_number,
                      {"face_verified": False, "liveness": True}, idempotency_key=key())
    assert info.value.code == "invalid_request"


def test_library_loans_renew_twice_then_no_more(client) -> None:
    def loans() -> list[dict[str, Any]]:
        return client.lookup("ic.library-loans", SOUSA.card_number, SOUSA.id_number).records[
            "loans"]

    [loan] = loans()
    for _ in range(2):
        renewed = client.submit("ic.library-loans", SOUSA.card_number, SOUSA.id_number,
                                {"loan_ids": [loan["loan_id"]]}, idempotency_key=key())
        assert renewed.result["renewed"][0]["due_on"] > loan["due_on"]
        loan = loans()[0]
    assert loan["renewable"] is False
    with pytest.raises(GatewayRejected) as info:
        client.submit("ic.library-loans", SOUSA.card_number, SOUSA.id_number,
                      {"loan_ids": [loan["loan_id"]]}, idempotency_key=key())
    assert info.value.code == "conflict"


def test_library_registration_of_a_new_and_of_a_registered_reader(client) -> None:
    assert client.lookup("ic.library-loans", LEI.card_number, LEI.id_number).records == {
        "registered": False, "library_card_number": None, "loans": []}
    new = client.submit("ic.library-card", LEI.card_number, LEI.id_number,
                        {"phone": "+853 6688 1202"}, idempotency_key=key())
    assert new.result["already_registered"] is False
    again = client.submit("ic.library-card", LEI.card_number, LEI.id_number, {},
                          idempotency_key=key())
    assert again.result == {"library_card_number": new.result["library_card_number"],
                            "already_registered": True}


def test_registries_by_number_and_unknown_numbers(client) -> None:
    found = client.lookup("dsaj.commercial-registration", LEI.card_number, LEI.id_number,
                          {"registration_number": "67890 (so)"}).records
    assert found["registration_number"] == "67890(SO)" and found["suggestions"] == []
    with pytest.raises(GatewayRejected) as info:
        client.lookup("dsaj.property-registration", LEI.card_number, LEI.id_number,
                      {"property_number": "99999"})
    assert info.value.code == "not_found"


def test_contact_update_changes_the_profile(client, phone) -> None:
    done = complete(client, phone, "dsi.contact-update")
    assert done.result == {"updated": ["email"]}
    assert client.profile(CHAN.card_number, CHAN.id_number).email == "chan.new@example.mo"


def test_the_citizen_without_records(client) -> None:
    card, idn = WONG.card_number, WONG.id_number
    assert client.lookup("dsat.traffic-fines", card, idn).records["fines"] == []
    assert client.lookup("dsf.tax-payment", card, idn).records["bills"] == []
    assert client.lookup("ssm.voucher-transfer", card, idn).records["available"] == 0
    assert client.lookup("safp.voter-registration", card, idn).records["registered"] is False
    assert client.application_progress(card, idn) == ()


def test_unknown_citizen_is_not_found_everywhere(client) -> None:
    for service_id in ("dsat.traffic-fines", "dsi.card-check"):
        with pytest.raises(GatewayRejected) as info:
            client.lookup(service_id, CHAN.card_number, LEI.id_number)
        assert info.value.code == "not_found"


# --- the test control -----------------------------------------------------------------------


def test_transactions_list_every_accepted_change_without_personal_data(
        client, phone, sandbox: SandboxServer) -> None:
    done_key = key()
    client.submit("safp.feedback", CHAN.card_number, CHAN.id_number,
                  {"category": "praise", "department": "dsi", "text": "Quick and clear."},
                  idempotency_key=done_key)
    client.submit("safp.feedback", CHAN.card_number, CHAN.id_number,
                  {"category": "praise", "department": "dsi", "text": "Quick and clear."},
                  idempotency_key=done_key)
    client.lookup("dsat.traffic-fines", CHAN.card_number, CHAN.id_number)  # a read: not listed
    with pytest.raises(GatewayRejected):  # refused: not listed
        client.submit("safp.feedback", CHAN.card_number, LEI.id_number,
                      {"category": "praise", "department": "dsi", "text": "x"},
                      idempotency_key=key())
    client.issue_vouchers(CHAN.card_number, CHAN.id_number, 1, idempotency_key="v-1")
    resp = requests.get(sandbox.url + "/_sandbox/transactions", timeout=5)
    assert resp.status_code == 200
    listed = resp.json()
    assert [(t["path"], t["service_id"], t["idempotency_key"], t["replayed"]) for t in listed] == [
        ("/v1/services/submit", "safp.feedback", done_key, False),
        ("/v1/services/submit", "safp.feedback", done_key, True),
        ("/v1/ssm/vouchers/issue", "ssm.voucher-print", "v-1", False),
    ]
    assert {t["terminal_id"] for t in listed} == {TERMINAL}
    for secret in (CHAN.card_number, CHAN.id_number, CHAN.name_zh, "Quick"):
        assert secret not in resp.text


def test_the_phone_reads_codes_and_pays(client, phone) -> None:
    assert phone.messages() == [] and phone.last_code() is None
    challenge = client.send_otp(CHAN.card_number, CHAN.id_number, "dsi.contact-update",
                                idempotency_key=key())
    [sms] = phone.messages()
    assert sms["phone_masked"] == challenge.phone_masked == "+853 **** **01"
    assert sms["code"] == phone.last_code() and sms["code"] in sms["text"]
    assert len(sms["code"]) == challenge.length == 6
    payment = client.create_payment(CHAN.card_number, CHAN.id_number, "dsi.id-renewal",
                                    Decimal("110.00"), "MOP",
                                    [{"label": "renewal", "amount": Decimal("110.00")}],
                                    idempotency_key=key())
    assert phone.pay(payment.payment_id) and phone.pay(payment.payment_id)  # twice: harmless
    assert not phone.pay("PAY-NO-SUCH")


def test_phone_of_a_gateway_that_is_down_shows_nothing(sandbox: SandboxServer, phone) -> None:
    sandbox.set_online(False)
    assert phone.messages() == [] and phone.pay("PAY1") is False


def test_the_control_needs_no_terminal_credentials(sandbox: SandboxServer) -> None:
    with requests.Session() as http:
        assert http.get(sandbox.url + "/_sandbox/sms", timeout=5).json() == []
        added = http.post(sandbox.url + "/_sandbox/faults", timeout=5,
                          json={"department": "dsf", "mode": "down"})
        assert (added.status_code, added.json()) == (201, {"pending": 1})
        bad = http.post(sandbox.url + "/_sandbox/faults", timeout=5,
                        json={"mode": "error", "status": 200})
        assert bad.status_code == 400
        assert http.delete(sandbox.url + "/_sandbox/faults", timeout=5).json() == {"pending": 0}


# --- faults by department ----------------------------------------------------------------------


def add_fault(sandbox: SandboxServer, **fault: Any) -> None:
    resp = requests.post(sandbox.url + "/_sandbox/faults", json=fault, timeout=5)
    assert resp.status_code == 201, resp.text


def test_a_department_down_fails_its_services_and_only_those(client, sandbox) -> None:
    add_fault(sandbox, department="dsat", mode="down")
    assert client.departments_status() == {d: "down" if d == "dsat" else "up"
                                           for d in DEPARTMENTS}
    for service_id in ("dsat.traffic-fines", "dsat.vehicle-tax"):
        with pytest.raises(GatewayUnavailable) as info:
            client.lookup(service_id, CHAN.card_number, CHAN.id_number)
        assert (info.value.status, info.value.code) == (503, "department_unavailable")
    with pytest.raises(GatewayUnavailable):
        client.create_payment(CHAN.card_number, CHAN.id_number, "dsat.traffic-fines",
                              Decimal("1.00"), "MOP", [{"label": "x", "amount": "1.00"}],
                              idempotency_key=key())
    assert client.lookup("dsf.tax-payment", CHAN.card_number, CHAN.id_number).records["bills"]
    # Not retried: the gateway said the department is down, not that it stumbled.
    paths = [r.status for r in sandbox.journal if r.path == "/v1/services/lookup"]
    assert paths == [503, 503, 200]
    requests.delete(sandbox.url + "/_sandbox/faults", timeout=5)
    assert set(client.departments_status().values()) == {"up"}
    assert client.lookup("dsat.traffic-fines", CHAN.card_number, CHAN.id_number).records


def test_the_voucher_endpoints_belong_to_the_health_bureau(client, sandbox) -> None:
    add_fault(sandbox, department="ssm", mode="down", times=1)
    with pytest.raises(GatewayUnavailable) as info:
        client.voucher_balance(CHAN.card_number, CHAN.id_number)
    assert info.value.code == "department_unavailable"
    assert client.voucher_balance(CHAN.card_number, CHAN.id_number).available == 6


def test_an_error_fault_by_department_is_retried_then_succeeds(client, sandbox) -> None:
    add_fault(sandbox, department="dsf", mode="error", status=502, times=1)
    records = client.lookup("dsf.tax-payment", CHAN.card_number, CHAN.id_number).records
    assert records["bills"]
    statuses = [r.status for r in sandbox.journal if r.path == "/v1/services/lookup"]
    assert statuses == [502, 200]


def test_an_error_fault_by_path(client, sandbox) -> None:
    add_fault(sandbox, path="/v1/profile", mode="error", status=500, times=2)
    with pytest.raises(GatewayUnavailable) as info:
        client.profile(CHAN.card_number, CHAN.id_number)
    assert info.value.status == 500
    client.departments_status()  # another path: untouched


def test_slow_then_normal(sandbox) -> None:
    add_fault(sandbox, department="ic", mode="slow", delay_s=0.05, times=1)
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, read_timeout=5) as c:
        assert c.lookup("ic.library-card", CHAN.card_number, CHAN.id_number).records[
            "registered"]


def test_timeout_is_retried_for_a_read(sandbox) -> None:
    add_fault(sandbox, department="fss", mode="timeout", times=1)
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, read_timeout=0.3, retries=1,
                       sleep=lambda _s: None) as c:
        assert c.lookup("fss.benefit-status", CHAN.card_number, CHAN.id_number).records
    statuses = [r.status for r in sandbox.journal if r.path == "/v1/services/lookup"]
    assert statuses[-1] == 200


def test_timeout_on_a_submit_then_the_same_key_does_it_once(sandbox, client) -> None:
    # The gateway does the work, then the reply never comes.
    add_fault(sandbox, department="safp", mode="timeout", after_handler=True, times=1)
    form = {"category": "complaint", "department": "dsat", "text": "The bus was late."}
    done_key = key()
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, read_timeout=0.3, retries=0) as c, \
            pytest.raises(GatewayUnavailable):
        c.submit("safp.feedback", CHAN.card_number, CHAN.id_number, form,
                 idempotency_key=done_key)
    again = client.submit("safp.feedback", CHAN.card_number, CHAN.id_number, form,
                          idempotency_key=done_key)
    listed = [t for t in sandbox.transactions if t["idempotency_key"] == done_key]
    assert [t["replayed"] for t in listed] == [False, True]
    progress = client.application_progress(CHAN.card_number, CHAN.id_number)
    assert [a.reference for a in progress].count(again.reference) == 1


def test_down_by_path_hangs_up(client, sandbox) -> None:
    add_fault(sandbox, path="/v1/departments/status", mode="down", times=2)
    with pytest.raises(GatewayUnavailable):
        client.departments_status()
    assert [r.status for r in sandbox.journal if r.path.startswith("/v1/")] == [None, None]


def test_malformed_by_department_is_a_protocol_error(client, sandbox) -> None:
    from kiosk.api import GatewayProtocolError

    add_fault(sandbox, department="ias", mode="malformed", times=1)
    with pytest.raises(GatewayProtocolError):
        client.lookup("ias.allowance-status", CHAN.card_number, CHAN.id_number)
    assert client.lookup("ias.allowance-status", CHAN.card_number, CHAN.id_number).records


def test_faults_never_touch_the_control(sandbox, phone) -> None:
    add_fault(sandbox, mode="error")  # everything, until cleared
    assert phone.messages() == []
    assert requests.get(sandbox.url + "/_sandbox/transactions", timeout=5).status_code == 200
    assert requests.get(sandbox.url + "/v1/health", timeout=5).status_code == 503


# --- privacy -----------------------------------------------------------------------------------


def test_the_request_log_holds_no_personal_data(tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.sandbox")
    with SandboxServer(tmp_path / "g.db", terminals={TERMINAL: TOKEN}, verbose=True) as server, \
            GatewayClient(server.url, TERMINAL, TOKEN) as client:
        phone = SandboxPhone(server.url)
        for service_id in WITH_SUBMIT:
            complete(client, phone, service_id)
        client.profile(CHAN.card_number, CHAN.id_number)
        phone.close()
    text = caplog.text
    assert "POST /v1/services/submit 201" in text
    for secret in (CHAN.card_number, CHAN.id_number, CHAN.name_zh, "CHAN", "chan.new",
                   "5215299"):
        assert secret not in text
