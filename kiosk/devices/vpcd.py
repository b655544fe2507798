"""A virtual card in pcscd's virtual reader (vsmartcard's vpcd driver).

The vpcd driver, loaded by pcscd from a reader.conf.d entry, listens on a TCP
port (one per slot: P, P+1 ...); the card connects to it. Both ways every
message is a 2-byte big-endian length and a payload. A 1-byte payload from
vpcd is a control byte (00 power off, 01 on, 02 reset: no answer; 04: answer
the ATR); anything longer is a C-APDU, answered with the R-APDU. The card is
in the reader while connected, and pulled when the connection closes.

pcscd notices insertion and removal on its presence poll (every 400 ms for
vpcd, which asks for the ATR each time), so a status change lags a little.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from typing import Final

from kiosk.devices.virtual_card import CardPulled, VirtualCard
from kiosk.identity.profile import CardProfile

VPCD_DEFAULT_PORT: Final = 0x8C7B  # 35963, vpcd's default (slot 0)
CTRL_OFF: Final = 0x00
CTRL_ON: Final = 0x01
CTRL_RESET: Final = 0x02
CTRL_ATR: Final = 0x04
# How often serve_forever looks at its stop event while vpcd is silent.
STOP_CHECK_S: Final = 0.25
log = logging.getLogger(__name__)


class VpcdCard:
    """Serves a ``VirtualCard`` to vpcd at ``host:port``.

    ``insert()`` connects (retrying while pcscd is not listening yet, up to
    ``timeout``) and serves on a thread; ``remove()`` closes the connection,
    which pcscd sees as the card leaving. If pcscd drops the connection (it
    restarted), the card reconnects by itself: it is still in the reader.
    ``serve_forever(stop)`` runs the same loop on the caller's thread (for
    ``kiosk card emulate``).
    """

    def __init__(self, card: CardProfile | VirtualCard, host: str = "127.0.0.1",
                 port: int = VPCD_DEFAULT_PORT, *, retry_max_s: float = 0.5) -> None:
        self.card = card if isinstance(card, VirtualCard) else VirtualCard(card)
        self.host = host
        self.port = port
        self.retry_max_s = retry_max_s
        self.connections = 0  # how many times vpcd took the card (reconnections count)
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def insert(self, timeout: float = 10.0) -> None:
        """Put the card in the reader; ``TimeoutError`` if vpcd never listens."""
        if self.inserted:
            return
        self._stop = threading.Event()
        self.card.push()
        self._thread = threading.Thread(target=self.serve_forever, args=(self._stop,),
                                        name=f"vpcd-card-{self.port}", daemon=True)
        self._thread.start()
        if not self._connected.wait(timeout):
            self.remove()
            raise TimeoutError(f"no vpcd listening on {self.host}:{self.port}")

    def remove(self, timeout: float = 5.0) -> None:
        """Pull the card: an APDU in progress is abandoned, pcscd sees it gone."""
        self._stop.set()
        self.card.pull()
        self._drop_socket()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def __enter__(self) -> VpcdCard:
        self.insert()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.remove()

    # ----------------------------------------------------------------- serving

    def serve_forever(self, stop: threading.Event) -> None:
        """Connect to vpcd and answer it until ``stop`` is set; reconnects
        (with backoff) whenever the connection fails or drops."""
        backoff = 0.02
        while not stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError:
                stop.wait(backoff)
                backoff = min(backoff * 2, self.retry_max_s)
                continue
            backoff = 0.02
            with self._sock_lock:
                if stop.is_set():
                    sock.close()
                    break
                self._sock = sock
            self.connections += 1
            self._connected.set()
            log.info("virtual card connected to vpcd on port %d", self.port)
            try:
                self._serve(sock, stop)
            except (OSError, CardPulled):
                pass  # vpcd went away or the card was pulled: both end this connection
            finally:
                self._connected.clear()
                self._drop_socket()
                log.info("virtual card disconnected from vpcd on port %d", self.port)

    def _drop_socket(self) -> None:
        with self._sock_lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it
            sock.close()

    def _serve(self, sock: socket.socket, stop: threading.Event) -> None:
        # vpcd sends a whole message at once; the timeout only guards a half one.
        sock.settimeout(5.0)
        while not stop.is_set():
            readable, _, _ = select.select([sock], [], [], STOP_CHECK_S)
            if not readable:
                continue
            message = _recv_message(sock)
            if message is None:
                return
            if len(message) == 1:
                if message[0] == CTRL_ATR:
                    _send_message(sock, self.card.atr)
                elif message[0] in (CTRL_OFF, CTRL_ON, CTRL_RESET):
                    self.card.reset()
                continue
            _send_message(sock, self.card.process(message))


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        # vpcd writes the length and the payload as two segments; with Nagle on
        # its side the second waits for our ACK, which Linux would delay by up
        # to 40 ms. Quick ACKs (re-armed before every read) remove that stall.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_message(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    return _recv_exact(sock, int.from_bytes(header, "big"))


def _send_message(sock: socket.socket, payload: bytes) -> None:
    if len(payload) > 0xFFFF:
        raise OSError("vpcd messages carry at most 65535 bytes")
    sock.sendall(len(payload).to_bytes(2, "big") + payload)
