"""kiosk.sdnotify against a real AF_UNIX datagram socket, as systemd listens."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import sdnotify


def _receive(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


@pytest.fixture
def listener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        yield sock


def test_ready_watchdog_stopping_status_reach_the_socket(listener: socket.socket) -> None:
    assert sdnotify.notify_ready()
    assert _receive(listener) == "READY=1"
    assert sdnotify.notify_watchdog()
    assert _receive(listener) == "WATCHDOG=1"
    assert sdnotify.notify_status("serving\ncitizens")
    assert _receive(listener) == "STATUS=serving citizens"
    assert sdnotify.notify_stopping("bye")
    assert _receive(listener) == "STOPPING=1\nSTATUS=bye"


def test_ready_with_status(listener: socket.socket) -> None:
    assert sdnotify.notify_ready("window shown")
    assert _receive(listener) == "READY=1\nSTATUS=window shown"


def test_abstract_namespace_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"kiosk-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.notify_watchdog()
        assert _receive(sock) == "WATCHDOG=1"


def test_no_op_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert not sdnotify.notify_ready()
    assert not sdnotify.notify_watchdog()
    assert not sdnotify.notify_stopping()


def test_a_socket_that_is_gone_is_not_an_error(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    assert not sdnotify.notify_watchdog()
    monkeypatch.setenv("NOTIFY_SOCKET", "vsock:2:1234")
    assert not sdnotify.notify_watchdog()


def test_watchdog_interval_is_half_of_watchdog_usec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval() == 15.0


@pytest.mark.parametrize("usec, pid", [
    (None, None), ("0", None), ("soon", None), ("-5", None),
    ("30000000", "1"),           # the watchdog of another process (e.g. cage's)
    ("30000000", "not-a-pid"),
])
def test_no_watchdog(monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None) -> None:
    for name, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pid)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert sdnotify.watchdog_interval() is None
