"""`kiosk print test`: field staff print a test page on the configured printer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from kiosk.devices.cupsd_daemon import CupsdDaemon

KIOSK = [sys.executable, "-m", "kiosk.cli"]


def print_test(home: Path, config: str | None = None) -> subprocess.CompletedProcess:
    args = [*KIOSK]
    if config is not None:
        path = home / "terminal.toml"
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(config)
        args += ["--config", str(path)]
    return subprocess.run([*args, "print", "test", "--lang", "en"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "KIOSK_HOME": str(home)})


def scan(pdf: Path, tmp: Path) -> list[str]:
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp / "page")], check=True)
    return subprocess.run(["zbarimg", "--raw", "-q", *map(str, tmp.glob("page*.png"))],
                          capture_output=True, text=True).stdout.split()


def test_test_page_on_the_simulated_printer(tmp_path: Path) -> None:
    result = print_test(tmp_path / "home")
    assert result.returncode == 0, result.stderr
    [pdf] = (tmp_path / "home" / "printed").glob("*test-page.pdf")
    reference = re.search(r"TEST-\d{14}", subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout).group(0)
    assert scan(pdf, tmp_path) == [reference, reference]  # the barcode and the QR


def test_a_printer_out_of_paper_says_so(tmp_path: Path) -> None:
    result = print_test(tmp_path / "home", "[devices.printer]\nsheets = 0\n")
    assert result.returncode == 1
    assert "paper_out" in result.stderr and "Traceback" not in result.stderr


def test_test_page_through_cups(tmp_path: Path, cupsd: CupsdDaemon) -> None:
    result = print_test(tmp_path / "home", f'[devices.printer]\ndriver = "cups"\n'
                                           f'queue = "{cupsd.queue}"\nserver = "{cupsd.server}"\n')
    assert result.returncode == 0, result.stderr
    assert cupsd.queue in result.stdout
    [pdf] = cupsd.out.glob("test-page*.pdf")
    assert len(scan(pdf, tmp_path)) == 2
