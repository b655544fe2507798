"""The kiosk's log file is rotated by size: months of running never fill the disk."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.logs import LOG_FILES_KEPT, file_handler, install


def test_the_log_rotates_and_keeps_a_bounded_number_of_files(tmp_path: Path) -> None:
    handler = install(file_handler(tmp_path, max_bytes=2000))
    try:
        log = logging.getLogger("kiosk.test.rotation")
        for n in range(400):
            log.info("line %04d of a long-running kiosk", n)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["kiosk.log", *(f"kiosk.log.{i}" for i in range(1, LOG_FILES_KEPT + 1))]
    assert all((tmp_path / "logs" / f).stat().st_size <= 2000 for f in files)
    assert "line 0399" in (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
