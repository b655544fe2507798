"""The kiosk side of the crash tests, run in a subprocess the test kills with SIGKILL.

    python -m tests.outbox_child enqueue ROUND [KEY SERVICE]   (KIOSK_HOME: the terminal)
        re-enqueue KEY (prints "dup ID KEY"), then enqueue r<ROUND>-0000, -0001 ...
        printing "ack ID KEY" once each enqueue has returned, until killed;
    python -m tests.outbox_child flush URL
        `kiosk queue flush --backend URL`, its log on stdout line by line.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from tests.outbox_helpers import SERVICES, enqueue, open_outbox


def service_of(key: str) -> str:
    """The service an enqueue round gives the key ``r<round>-<index>``."""
    return SERVICES[int(key.rsplit("-", 1)[1]) % len(SERVICES)]


def _enqueue(round_no: int, again: list[str]) -> int:
    box = open_outbox(Path(os.environ["KIOSK_HOME"]))
    if again:
        key, service = again
        print(f"dup {enqueue(box, service, key).id} {key}", flush=True)
    index = 0
    while True:
        key = f"r{round_no:02d}-{index:04d}"
        item = enqueue(box, service_of(key), key)
        print(f"ack {item.id} {key}", flush=True)
        index += 1


def _flush(url: str) -> int:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(name)s %(message)s")
    from kiosk.cli import main

    return main(["queue", "flush", "--backend", url])


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    sys.exit(_enqueue(int(rest[0]), rest[1:]) if command == "enqueue" else _flush(rest[0]))
