"""Every parser of outside bytes, fuzzed briefly (tests/fuzz_targets.py has the
targets and their contracts; scripts/fuzz.py runs them a million times), the
seeds they start from checked to be valid, and one case for each bug the long
run found, so it stays fixed.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import math
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from kiosk.api import GatewayProtocolError, Payment
from kiosk.devices.virtual_card import VirtualCard
from kiosk.identity.profile import CardProfile
from kiosk.maintenance.credentials import CredentialError, Gate, check_record
from kiosk.sandbox.core import Request
from kiosk.sandbox.routes import dispatch
from tests import fuzz_card, fuzz_devices, fuzz_gateway, fuzz_sandbox, fuzz_state
from tests.fuzz_targets import Target, all_targets, time_limit

TARGETS = all_targets()
ROOT = Path(__file__).resolve().parent.parent


def test_target_names_are_unique_and_each_says_its_contract() -> None:
    names = [t.name for t in TARGETS]
    assert len(set(names)) == len(names) >= 25
    assert all(t.contract and t.examples > 0 for t in TARGETS)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_fuzz(target: Target) -> None:
    @settings(max_examples=target.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(target.strategy())
    def run(value: Any) -> None:
        with time_limit(10.0):  # a hang fails, with its input, instead of stopping CI
            target.run(value)

    run()


# --- the seeds are valid: mutations start from inputs that pass ------------------------


def test_seeds_pass_their_own_checks() -> None:
    profile, _, _, answer = fuzz_card.genuine()
    fuzz_card.check_verify((dict(profile.files), answer, False))
    for name, check in (("identity", fuzz_card.check_identity), ("photo", fuzz_card.check_photo),
                        ("security", fuzz_card.check_security),
                        ("chip_key", fuzz_card.check_chip_key)):
        check(profile.files[name])
    fuzz_card.check_profile(profile.to_json())
    for variant in range(3):  # the genuine card reads in every way it can talk
        fuzz_devices.check_reader((variant, [a for _, a in fuzz_devices.transcript(variant)],
                                   False))
    for text in fuzz_state.config_seeds():
        fuzz_state.check_config(text)
    exchanges = fuzz_gateway.exchanges()
    assert {e.path for e in exchanges} == set(fuzz_gateway.CALLS)
    assert all(200 <= e.status < 300 for e in exchanges)
    fuzz_state.check_audit([list(r) for r in fuzz_state.audit_rows()])


def test_the_verify_check_tells_an_edited_card_from_the_genuine_one() -> None:
    profile = fuzz_card.genuine()[0]
    files = dict(profile.files, identity=profile.files["identity"][:-1] + b"4")
    with pytest.raises(AssertionError):  # the check would call the genuine card edited
        fuzz_card.check_verify((dict(profile.files), b"\x00" * 64, False))
    fuzz_card.check_verify((files, fuzz_card.genuine()[3], True))


# --- one case per bug the long run found --------------------------------------------------


def test_read_binary_odd_with_le_1_is_a_wrong_length_not_a_crash() -> None:
    card = fuzz_devices.card(0)
    card.push()
    card.process(bytes.fromhex("00A4040C08F04D4F5245534944"))  # SELECT the application
    card.process(bytes.fromhex("00B0810000"))  # READ BINARY by SFI: a current file
    assert card.process(bytes.fromhex("00B10000045402000001")) == b"\x67\x00"


def test_a_profile_with_an_unknown_key_algorithm_is_a_defective_card() -> None:
    profile = fuzz_card.genuine()[0]
    pem = profile.chip_private_key_pem.decode()
    der = bytearray(base64.b64decode("".join(pem.splitlines()[1:-1])))
    at = der.find(bytes.fromhex("2A8648CE3D0201"))  # id-ecPublicKey
    der[at + 1] ^= 0x01  # another OID: cryptography does not know the algorithm
    odd = "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(bytes(der)).decode() + \
        "\n-----END PRIVATE KEY-----\n"
    card = VirtualCard(CardProfile(files=profile.files,
                                                chip_private_key_pem=odd.encode()))
    card.process(bytes.fromhex("00A4040C08F04D4F5245534944"))
    assert card.process(bytes.fromhex("0088000010") + bytes(16) + b"\x00") == b"\x6f\x00"


@pytest.mark.parametrize("body", [
    b'{"service_id": [], "citizen": {"card_number": "C0000001", "id_number": "5215299(8)"}}',
    b'{"citizen": {"card_number": "\\ud800", "id_number": "5215299(8)"}}',
    b'{"citizen": {"card_number": "\xed\xa0\x80", "id_number": "5215299(8)"}}',
])
def test_the_sandbox_refuses_what_it_cannot_store_with_a_400(body: bytes) -> None:
    headers = {"x-terminal-id": fuzz_gateway.TERMINAL,
               "authorization": f"Bearer {fuzz_gateway.TOKEN}"}
    for path in ("/v1/services/lookup", "/v1/applications/progress"):
        assert dispatch(fuzz_sandbox.context(), Request("POST", path, headers, body)).status \
            == 400


def payment(qr_payload: str) -> dict[str, Any]:
    return {"payment_id": "PAY-1", "status": "pending", "amount": "1.00", "currency": "MOP",
            "qr_payload": qr_payload, "expires_in_s": 600}


@pytest.mark.parametrize("qr_payload", ["a" * 3000, "\ud800", "é" * 300, "陳大文", "a\nb"])
def test_a_qr_payload_the_screen_cannot_draw_or_a_phone_may_misread_is_refused(
        qr_payload: str) -> None:
    with pytest.raises(GatewayProtocolError, match="qr_payload"):
        Payment.from_json(payment(qr_payload))


def test_the_longest_qr_payload_allowed_scans_back() -> None:
    longest = "https://pay.example/" + "Ab9-~ " * 82
    assert len(longest) == 512
    fuzz_gateway.check_payment(payment(longest))
    assert Payment.from_json(payment(longest)).amount == Decimal("1.00")


@pytest.mark.parametrize("part, value", [
    (3, "1000000000"), (2, "0"), (2, "1000000"), (1, "1099511627776"), (4, "YQ"), (5, "a"),
    (5, "AAAA"),
])
def test_a_pin_hash_whose_check_would_hang_or_crash_is_refused(part: int, value: str) -> None:
    parts = fuzz_state.records()[0].split("$")
    parts[part] = value
    with time_limit(5.0), pytest.raises(CredentialError):
        check_record("$".join(parts))


@pytest.mark.parametrize("text", [
    '{"failures": 4, "locked_until": 0.0, "lockouts": 1000000000}',
    '{"failures": 4, "locked_until": 0.0, "lockouts": Infinity}',
    '{"failures": 0, "locked_until": Infinity, "lockouts": 0}',
    '{"failures": 0, "locked_until": NaN, "lockouts": 0}',
    '{"failures": -3, "locked_until": 0.0, "lockouts": 0}',
    "[" * 5000,
])
def test_an_edited_lockout_file_locks_with_a_finite_wait(tmp_path: Path, text: str) -> None:
    state = tmp_path / "lockout.json"
    state.write_text(text, encoding="utf-8")
    gate = Gate({"T001": fuzz_state.records()[0]}, state, max_failures=5, lockout_s=300.0,
                clock=lambda: 1_000_000.0)
    with time_limit(5.0):
        attempt = gate.try_pin("135790")
    assert not attempt.ok and 0 < attempt.locked_for_s < math.inf


@pytest.mark.parametrize("column, value", [
    (4, "[1]"), (4, '{"a": "\\ud800"}'), (4, "[" * 5000 + "]" * 5000), (1, b"2026"),
    (2, ("TEXT", b"cli\xff")), (6, "é" * 64), (3, 7),
])
def test_an_edited_audit_entry_is_named_not_a_crash(column: int, value: Any) -> None:
    rows = [list(r) for r in fuzz_state.audit_rows()]
    rows[1][column] = value
    log = fuzz_state.audit_log(rows)
    result = log.verify()
    assert (result.ok, result.bad_seq, result.reason) == (False, 2, "hash mismatch")
    entry = log.entries()[1]
    json.dumps(entry.to_json(), ensure_ascii=False).encode()
    assert isinstance(entry.details, dict)


# --- the long run's command ------------------------------------------------------------------


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("fuzz_script", ROOT / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_long_run_saves_a_failing_input_that_replays(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    script = load_script()

    def check(value: bytes) -> None:
        assert b"\x00" not in value, "a NUL"

    broken = Target("broken", "never a NUL", lambda src: src.binary(4, min_size=4), check)
    outcome = script.fuzz(broken, 400, None, 0, 5.0, tmp_path)
    assert outcome.inputs == 400 and outcome.failures > 0
    (kind, saved), = outcome.kinds.items()
    assert kind.startswith("AssertionError@test_fuzz.py")
    assert "never a NUL" in Path(saved).with_suffix(".txt").read_text()
    again = script.fuzz(broken, 400, None, 0, 5.0, tmp_path / "again")
    assert again.failures == outcome.failures  # the same seed, the same inputs


def test_the_long_run_command_reports_in_json(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "fuzz.py"), "--inputs", "600",
                           "--target", "tlv.decode", "--target", "escpos.status", "--json",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["inputs"] == 600 and report["failures"] == 0
    assert [t["target"] for t in report["targets"]] == ["tlv.decode", "escpos.status"]
