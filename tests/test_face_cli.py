"""``kiosk face verify`` and ``kiosk face evaluate`` on the real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli_face import main
from tests.test_face_data import CLIP, FACES, STRETCHES


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["verify", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_verify_the_clip_against_mirandas_photo(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = STRETCHES["turn_right,turn_left"]
    code, out = verify(capsys, "--reference", str(FACES / "miranda-1.png"),
                       "--source", str(CLIP), "--frames", f"{a}:{b}",
                       "--challenge", "turn_right,turn_left")
    assert code == 0 and out["match"] is True
    assert out["distance"] < out["threshold"]
    assert out["frames_seen"] == b - a and out["frames_used"] >= 5
    assert out["liveness"] == {"passed": True, "challenge": ["turn_right", "turn_left"],
                               "reason": None}
    assert set(out["timings_ms"]) >= {"enroll", "observe_median", "decide", "total"}


def test_verify_the_clip_against_obamas_photo_fails(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = STRETCHES["turn_left"]
    code, out = verify(capsys, "--reference", str(FACES / "obama-1.jpg"),
                       "--source", str(CLIP), "--frames", f"{a}:{b}", "--no-liveness")
    assert code == 1 and out["match"] is False and out["outcome"] == "mismatch"
    assert out["liveness"]["passed"] is None


def test_verify_a_still_photo_fails_liveness(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = verify(capsys, "--reference", str(FACES / "miranda-1.png"),
                       "--source", str(FACES / "miranda-1.png"), "--still-frames", "12")
    assert code == 1 and out["outcome"] == "match" and out["match"] is False
    assert out["liveness"]["passed"] is False
    assert out["liveness"]["reason"] == "static_image"


def test_evaluate_photo_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "pairs.tsv"
    rows = [("obama-1.jpg", "obama-2.jpg", "same"), ("biden-1.jpg", "biden-2.jpg", "same"),
            ("obama-1.jpg", "biden-1.jpg", "different"),
            ("miranda-1.png", "obama-2.jpg", "different"),
            ("obama-1.jpg", "two-people.jpg", "different")]
    pairs.write_text("# reference\tprobe\tlabel\n" + "".join(
        f"{FACES / a}\t{FACES / b}\t{label}\n" for a, b, label in rows), encoding="utf-8")
    assert main(["evaluate", "--json", str(pairs)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["false_accepts"] == 0 and out["false_rejects"] == 0
    assert out["genuine"]["n"] == 2 and out["genuine"]["max"] < 0.45
    assert out["impostor"]["n"] == 2 and out["impostor"]["min"] > 0.69
    assert out["pairs"][-1]["error"] == "several" and not out["pairs"][-1]["accepted"]
