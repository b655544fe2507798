"""The soak run in its short form (CI): journeys across every service with
faults injected at random, through the real UI on one kiosk. No crash, no
stuck screen, no error logged, no thread or file descriptor leaked, no
personal data in any log. The long form (1,000 journeys, memory flat after
warm-up) is `kiosk soak --journeys 1000` (docs/soak.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kiosk.cli_soak import run_soak
from kiosk.services.registry import load_services
from kiosk.ui.soak import FAULTS, SoakReport, personal_markers, scan_logs

SERVICES = sorted(load_services().services)


def test_a_short_soak_with_random_faults_leaves_the_kiosk_whole(qapp, tmp_path: Path) -> None:
    journeys = len(SERVICES) + 12
    report = run_soak(journeys, seed=11, out=tmp_path / "soak")
    summary = report.summary()
    assert summary["journeys"] == journeys
    assert summary["services"] == len(SERVICES)  # every service, once at least
    faults = Counter(j.fault for j in report.journeys)
    assert len(faults) >= 5, faults  # the seed draws most kinds of fault
    assert summary["problems"] == [], summary["problems"]
    # The clean journeys complete; faults end journeys, they do not break the kiosk.
    clean = [(j.service, j.outcome, j.reason) for j in report.journeys if j.fault == "none"]
    assert all(outcome == "completed" for _, outcome, _ in clean), clean
    assert (tmp_path / "soak" / "soak-kiosk.log").stat().st_size > 10_000  # it did log
    # Memory is sampled with its parts, so a long run can tell a leak from the rest.
    assert all(j.heap_kb > 0 and 0 < j.rss_anon_kb < j.rss_kb for j in report.journeys)
    assert {"anon_growth", "file_growth", "heap_growth"} <= summary["rss_mb"].keys()


def test_the_soak_would_see_a_leak_a_stuck_screen_and_personal_data(tmp_path: Path) -> None:
    from kiosk.ui.soak import Journey

    def journey(n: int, threads: int, fds: int) -> Journey:
        return Journey(n, "ssm.voucher-print", "none", "completed", None, True, 1.0,
                       200_000, threads, fds)

    report = SoakReport([journey(1, 8, 20), journey(2, 8, 20), journey(3, 12, 30)],
                        stuck=[2])
    problems = report.summary()["problems"]
    assert any("did not come back" in p for p in problems)
    assert "threads 8 -> 12" in problems and "file descriptors 20 -> 30" in problems
    log = tmp_path / "kiosk.log"
    name = personal_markers()[1]
    log.write_text(f"2026-12-04 INFO kiosk.x: hello {name}\n", encoding="utf-8")
    assert scan_logs([log]) and name not in str(scan_logs([log]))


def test_every_fault_kind_is_known_to_the_docs() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "soak.md").read_text(encoding="utf-8")
    assert all(f"`{fault}`" in doc for fault in FAULTS)
