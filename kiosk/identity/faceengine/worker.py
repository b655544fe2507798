"""The engine in a warm worker process, and the same interface in-process.

dlib holds the GIL while it detects and encodes, so in the kiosk's process it
would freeze the UI for ~100 ms a frame; in its own process it cannot. The
worker is started with "spawn" (never fork a process that has Qt threads),
loads the models once and serves calls until closed. Frames and encodings
stay in the worker: replies are handles, boxes, codes, geometry and distances.
A worker that dies or hangs is replaced on the next call; references it held
are gone with it (``FaceError("reference_lost")``), and the journey enrols
the card photo again.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import threading
from multiprocessing.connection import Connection
from typing import Any

from kiosk.identity.face import FaceError

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 120.0  # model loading on a cold disk of a slow kiosk PC
CALL_TIMEOUT_S = 30.0


# The calls that carry a camera frame, and where it is among their arguments.
FRAME_ARGUMENT = {"observe": 3, "locate": 2}


def dispatch(engine: Any, op: str, args: tuple[Any, ...], calls: int) -> Any:
    if op == "enroll":
        return engine.enroll(args[0])
    if op in FRAME_ARGUMENT:
        try:
            return getattr(engine, op)(*args)
        finally:
            frame = args[FRAME_ARGUMENT[op]]
            if isinstance(frame, bytearray):  # our copy of the frame: wipe it now
                frame[:] = bytes(len(frame))
    if op == "forget":
        return engine.forget(args[0])
    if op == "compare_photo":
        return engine.compare_photo(*args)
    if op == "stats":
        return {**engine.stats(), "pid": os.getpid(), "calls": calls}
    raise ValueError(f"unknown engine call {op!r}")


def serve(conn: Connection, options: dict[str, Any]) -> None:
    """The worker process's main loop."""
    from kiosk.identity.faceengine.engine import FaceEngine

    try:
        engine = FaceEngine(**options)
    except Exception as e:  # models missing or broken: say so instead of dying silently
        conn.send(("failed", repr(e)))
        return
    conn.send(("ready", os.getpid()))
    calls = 0
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError):
            break
        if op == "close":
            break
        calls += 1
        try:
            conn.send(("ok", dispatch(engine, op, args, calls)))
        except FaceError as e:
            conn.send(("error", e.code, str(e)))
        except Exception as e:
            log.exception("face engine call %s failed", op)
            conn.send(("error", "engine_unavailable", repr(e)))


class LocalEngine:
    """The engine in this process: for tools, benchmarks and tests of the engine itself."""

    def __init__(self, options: dict[str, Any]) -> None:
        from kiosk.identity.faceengine.engine import FaceEngine

        self._engine = FaceEngine(**options)
        self._lock = threading.Lock()
        self._calls = 0
        self.epoch = 1
        self.pid = os.getpid()

    def call(self, op: str, *args: Any) -> Any:
        # Frames as copies, as the worker gets them through its pipe: dispatch wipes
        # its copy, and the caller's frame (a preview still to draw) is left alone.
        args = tuple(bytearray(a) if isinstance(a, bytearray) else a for a in args)
        with self._lock:
            self._calls += 1
            return dispatch(self._engine, op, args, self._calls)

    def close(self) -> None:
        pass


class WorkerEngine:
    """Client of the worker process; calls are serialised, one at a time."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: Connection | None = None
        self._ready = False
        self.epoch = 0
        self.pid: int | None = None
        with self._lock:
            self._start()  # now: the models load while the citizen reads the card

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=serve, args=(child, self._options),
                                 name="kiosk-face-engine", daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn, self._ready = proc, parent, False
        self.epoch += 1
        self.pid = proc.pid
        log.info("face engine worker started, pid %s", proc.pid)

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        self._proc, self._conn = None, None

    def call(self, op: str, *args: Any, timeout: float = CALL_TIMEOUT_S) -> Any:
        with self._lock:
            if self._proc is None or not self._proc.is_alive():
                self._stop()
                self._start()
            conn = self._conn
            assert conn is not None
            try:
                if not self._ready:
                    self._await_ready(conn)
                conn.send((op, args))
                if not conn.poll(timeout):
                    raise TimeoutError(f"face engine gave no answer to {op} in {timeout} s")
                reply = conn.recv()
            except (EOFError, OSError, TimeoutError) as e:
                log.error("face engine worker lost: %s", e)
                self._stop()
                raise FaceError("engine_unavailable", str(e)) from None
        if reply[0] == "ok":
            return reply[1]
        raise FaceError(reply[1], reply[2])

    def _await_ready(self, conn: Connection) -> None:
        if not conn.poll(READY_TIMEOUT_S):
            raise TimeoutError("face engine did not start")
        reply = conn.recv()
        if reply[0] != "ready":
            raise OSError(f"face engine failed to start: {reply[1]}")
        self._ready = True

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._proc is not None and self._proc.is_alive():
                try:
                    self._conn.send(("close", ()))
                    self._proc.join(5)
                except OSError:
                    pass
            self._stop()
