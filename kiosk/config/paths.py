"""Where a terminal keeps its state.

Everything a terminal writes (databases, outbox, keys, logs, the simulators'
printouts) lives under one data directory, so two runs with different
``KIOSK_HOME`` never touch each other's state.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "KIOSK_HOME"
DEFAULT_HOME = Path("~/.local/share/kiosk")


def data_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``$KIOSK_HOME``, else the configured one, else the default.

    The environment wins so a test or a second demo can run beside a configured
    terminal without editing its file.
    """
    chosen = os.environ.get(ENV_HOME) or configured or DEFAULT_HOME
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
