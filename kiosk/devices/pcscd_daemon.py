"""A private pcscd with a vpcd virtual reader, for tests, benchmarks and development.

A terminal in the field uses the system's pcscd and a real reader. On a
development machine or in CI, ``PcscdDaemon`` runs ``pcscd -f -c DIR`` with its
own reader.conf.d naming a vpcd port, so ``VpcdCard`` can play the card.

pcscd's client socket path is fixed when pcsc-lite is built (/run/pcscd), so
only one pcscd can serve clients at a time: a pcscd already running is stopped
first (it needs root) and started again, as it was, by ``close()``. Our pcscd
gets SIGTERM if the thread that started it dies (a crashed test run must not
leave it holding /run/pcscd), so start it from a long-lived thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from typing import Final

from smartcard import scard

VPCD_DRIVER: Final = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
FRIENDLY_NAME: Final = "Kiosk Virtual PCD"
# The vpcd driver opens VICC_MAX_SLOTS slots on consecutive ports (two with
# pcsc-lite 1.9); the first is reader "<name> 00 00".
VPCD_SLOTS: Final = 2
PR_SET_PDEATHSIG: Final = 1
log = logging.getLogger(__name__)


def free_port_pair(slots: int = VPCD_SLOTS) -> int:
    """A TCP port P such that P .. P+slots-1 are free (vpcd binds all of them)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("0.0.0.0", 0))
            port = probe.getsockname()[1]
        if port + slots > 65535:
            continue
        try:
            held = []
            for p in range(port, port + slots):
                s = socket.socket()
                held.append(s)
                s.bind(("0.0.0.0", p))
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
        return port
    raise RuntimeError("no free TCP port range for vpcd")


def _die_with_parent() -> None:
    # A test run that crashes must not leave its pcscd holding /run/pcscd: the
    # kernel sends SIGTERM when the thread that started pcscd dies.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def processes(what: str = "comm") -> list[tuple[int, str]]:
    """Every process on this machine, as (pid, its /proc ``what``: "comm" the
    executable's name, "cmdline" its arguments, NULs as spaces); those gone
    meanwhile are left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                text = (entry / what).read_bytes().replace(b"\0", b" ")
                found.append((int(entry.name), text.decode(errors="replace").strip()))
    return found


def running_pcscd() -> list[int]:
    """PIDs of pcscd processes on this machine (from /proc, by executable name)."""
    return [pid for pid, name in processes() if name == "pcscd"]


def wait_pid_exit(pid: int, timeout: float) -> bool:
    """Wait for a process that is not our child to exit (pidfd: no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


class PcscdDaemon:
    """pcscd in the foreground with a reader.conf.d under ``workdir``."""

    def __init__(self, workdir: str | Path, *, port: int | None = None,
                 friendly_name: str = FRIENDLY_NAME, take_over: bool = True) -> None:
        self.workdir = Path(workdir)
        self.confdir = self.workdir / "reader.conf.d"
        self.port = port if port is not None else free_port_pair()
        self.friendly_name = friendly_name
        self.take_over = take_over
        self.displaced: list[list[str]] = []  # command lines of pcscds we stopped
        self.log_tail: deque[str] = deque(maxlen=200)
        self._proc: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._exited = threading.Event()  # pcscd's output ended: it is gone

    @property
    def reader_name(self) -> str:
        return f"{self.friendly_name} 00 00"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, *, with_reader: bool = True, timeout: float = 10.0) -> None:
        if self.running:
            return
        self._displace_others(timeout)
        self.confdir.mkdir(parents=True, exist_ok=True)
        conf = self.confdir / "kiosk-vpcd"
        if with_reader:
            conf.write_text(
                f'FRIENDLYNAME "{self.friendly_name}"\n'
                f"DEVICENAME /dev/null:0x{self.port:04X}\n"
                f"LIBPATH {VPCD_DRIVER}\n"
                f"CHANNELID 0x{self.port:04X}\n")
        else:
            conf.unlink(missing_ok=True)  # the reader "vanished"
        self._ready.clear()
        self._exited.clear()
        # -i: info level, so pcscd logs "daemon ready" (its reader.conf.d readers
        # are loaded by then).
        self._proc = subprocess.Popen(
            ["pcscd", "--foreground", "--info", "--config", str(self.confdir)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, start_new_session=True, preexec_fn=_die_with_parent)
        threading.Thread(target=self._pump, args=(self._proc,), daemon=True,
                         name="pcscd-log").start()
        if not self._ready.wait(timeout):
            tail = "\n".join(list(self.log_tail)[-20:])
            self.stop()
            raise RuntimeError(f"pcscd did not get ready in {timeout} s:\n{tail}")
        # pcscd 1.9 logs "daemon ready" before its client socket exists, and says
        # nothing once it does: probe until a context can be established.
        deadline = time.monotonic() + timeout
        while not self._service_up() and time.monotonic() < deadline:
            if self._exited.wait(0.01):
                break
        listed = self.readers()
        if with_reader and self.reader_name not in listed:
            tail = "\n".join(list(self.log_tail)[-20:])
            self.stop()
            raise RuntimeError(f"pcscd lists {listed}, not {self.reader_name!r}:\n{tail}")

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)

    def restart(self, *, with_reader: bool = True, timeout: float = 10.0) -> None:
        self.stop(timeout)
        self.start(with_reader=with_reader, timeout=timeout)

    def close(self) -> None:
        """Stop our pcscd and start again any pcscd we displaced."""
        self.stop()
        for argv in filter(None, self.displaced):  # one that exited meanwhile left no argv
            log.warning("restarting the pcscd we displaced: %s", shlex.join(argv))
            with contextlib.suppress(OSError):
                subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.displaced.clear()

    def _service_up(self) -> bool:
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr == scard.SCARD_S_SUCCESS:
            scard.SCardReleaseContext(ctx)
        return hr == scard.SCARD_S_SUCCESS

    def readers(self) -> list[str]:
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr != scard.SCARD_S_SUCCESS:
            return []
        try:
            hr, names = scard.SCardListReaders(ctx, [])
            return list(names) if hr == scard.SCARD_S_SUCCESS else []
        finally:
            scard.SCardReleaseContext(ctx)

    def _displace_others(self, timeout: float) -> None:
        mine = self._proc.pid if self._proc is not None else None
        for pid in running_pcscd():
            if pid == mine:
                continue
            if not self.take_over:
                raise RuntimeError(f"a pcscd (pid {pid}) is already running")
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                self.displaced.append([a.decode() for a in argv if a])
                os.kill(pid, signal.SIGTERM)
            except (OSError, ProcessLookupError):
                continue
            log.warning("stopped a running pcscd (pid %d) to start a private one", pid)
            if not wait_pid_exit(pid, timeout):
                raise RuntimeError(f"pcscd pid {pid} did not stop")

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.log_tail.append(line.rstrip())
            if "daemon ready" in line:
                self._ready.set()
        self._exited.set()
