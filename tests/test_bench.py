"""``kiosk bench``: every benchmark reports, in the documented structure; never its speed.

The quick form runs each benchmark at a smoke size, each in its own process.
No figure is asserted: these machines are noisy, and speed is a benchmark's
business, not a test's. card_read is skipped on request: it starts a private
pcscd on the one socket (/run/pcscd) the PC/SC tests use, and other tests may
run beside this one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk import cli_bench
from kiosk.cli import main

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT.parent / "shared" / "testdata" / "faces"
# Need nothing beyond the repository and the kiosk's own dependencies.
SELF_CONTAINED = ("event_loop_stall", "outbox_bench", "render_bench", "sandbox_gateway")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("bench-home")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["KIOSK_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "bench", "--quick", "--json", "--skip", "card_read"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def test_every_benchmark_reports(report: dict[str, Any]) -> None:
    folder = cli_bench.benchmarks_dir()
    assert folder is not None
    names = list(cli_bench.available(folder))
    assert {p.stem for p in folder.glob("*.py")} >= set(names)
    assert [b["name"] for b in report["benchmarks"]] == names
    by_name = {b["name"]: b for b in report["benchmarks"]}
    for b in report["benchmarks"]:
        assert b["status"] in ("ok", "skipped"), b
        assert b["title"]
        if b["status"] == "ok":
            assert b["figures"], b
        else:
            assert b["reason"] and not b["figures"], b
    assert by_name["card_read"]["status"] == "skipped"
    assert "--skip" in by_name["card_read"]["reason"]
    for name in SELF_CONTAINED:
        assert by_name[name]["status"] == "ok", by_name[name]
    if (FACES / "miranda-live-clip.mp4").is_file():
        assert by_name["face_bench"]["status"] == "ok", by_name["face_bench"]


def test_each_figure_stands_beside_its_baseline(report: dict[str, Any]) -> None:
    figures = [f for b in report["benchmarks"] for f in b["figures"]]
    assert figures
    for f in figures:
        assert set(f) == {"name", "figure", "unit", "baseline", "baseline_name", "ratio",
                          "notes"}
        assert f["name"] and f["unit"] and f["baseline_name"], f
        assert isinstance(f["figure"], int | float) and f["figure"] >= 0, f
        if f["baseline"]:  # the ratio is figure / baseline, whatever the figures are
            assert f["ratio"] == pytest.approx(f["figure"] / f["baseline"], rel=1e-2, abs=1e-3)
        else:  # an idle loop with no stall over 50 ms has nothing to divide by
            assert f["ratio"] is None
    # Every baseline of the self-contained benchmarks ran.
    for b in report["benchmarks"]:
        if b["name"] in SELF_CONTAINED and b["name"] != "event_loop_stall":
            assert all(f["baseline"] for f in b["figures"]), b


def test_the_report_names_the_machine_the_commit_and_the_date(report: dict[str, Any]) -> None:
    assert report["quick"] is True
    assert datetime.fromisoformat(report["date"]).tzinfo is not None
    machine = report["machine"]
    assert machine["cpu"] and machine["cores"] >= 1 and machine["python"].split()[1]
    assert machine["platform"] and machine["os"]
    assert len(machine["load_average"]) == 3
    commit = report["kiosk"]["commit"]
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    assert "same process" in report["ratio"]


def test_the_table_and_the_markdown_show_every_figure(report: dict[str, Any]) -> None:
    text, md = cli_bench.table(report), cli_bench.markdown(report)
    for b in report["benchmarks"]:
        assert b["name"] in text
        for f in b["figures"]:
            assert f["name"] in text and f["baseline_name"] in text
    rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
    figures = sum(len(b["figures"]) for b in report["benchmarks"])
    skipped = sum(b["status"] != "ok" for b in report["benchmarks"])
    assert len(rows) == 1 + figures + skipped  # the header row, then one a figure or a skip


def test_an_unknown_benchmark_is_refused(kiosk_home: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--only", "no_such_bench"]) == 2
    err = capsys.readouterr().err
    assert "no_such_bench" in err and "render_bench" in err


def test_without_a_clone_it_says_where_the_benchmarks_are(
        kiosk_home: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_bench, "benchmarks_dir", lambda: None)
    assert main(["bench", "--quick"]) == 2
    assert "clone of the repository" in capsys.readouterr().err
