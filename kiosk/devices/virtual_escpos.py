"""A virtual ESC/POS receipt printer on TCP, for tests and demos without hardware.

It parses the byte stream as a printer does: text and line feeds, GS v 0 raster
bands (stitched into one image per cut), GS V cuts, and answers DLE EOT 1/2/3/4
and GS r 1 with the bytes an Epson printer sends. It can be told to run short
of paper, run out (now, or after N more bytes, i.e. mid-job), open its cover, go
away (close every connection and stop listening) or fall silent, and recover.

While stopped (paper out, cover open) it behaves like a printer that stopped
printing: print data is parsed but not printed, the page in progress is lost,
GS r 1 is not answered, and DLE EOT still is (real-time commands always are).
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from PIL import Image

_ESC, _GS, _DLE = 0x1B, 0x1D, 0x10
# Styling commands of one parameter byte, parsed so the stream stays in step and
# otherwise ignored: ESC ! - 3 E G J M R V a e t {, and GS ! B H f h w.
_ESC_ONE = frozenset(b"!-3EGJMRVaet{")
_GS_ONE = frozenset(b"!BHfhw")


class VirtualEscPosPrinter:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.images: list[Image.Image] = []  # one per cut page of raster data
        self.texts: list[str] = []  # one per cut receipt of text
        self.received = 0  # bytes received, all connections
        self.cuts = 0
        self._bands: list[Image.Image] = []
        self._text = io.StringIO()
        self._near_end = self._paper_end = self._cover = self._silent = False
        self._gone = False
        self._paper_out_at: int | None = None
        self._offline_at: int | None = None
        self._cond = threading.Condition()
        self._server: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> VirtualEscPosPrinter:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The same port must be bound again by recover() after go_offline().
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((self.host, self.port))
        srv.listen(4)
        self.port = srv.getsockname()[1]
        self._server = srv
        thread = threading.Thread(target=self._accept, args=(srv,), daemon=True,
                                  name=f"virtual-escpos-{self.port}")
        self._threads.append(thread)
        thread.start()
        return self

    def stop(self) -> None:
        self._drop_connections(close_server=True)
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> VirtualEscPosPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the test tells it --------------------------------------------------

    def paper_near_end(self) -> None:
        with self._cond:
            self._near_end = True

    def paper_out(self, after_bytes: int | None = None) -> None:
        with self._cond:
            if after_bytes is None:
                self._set_paper_end()
            else:
                self._paper_out_at = self.received + after_bytes

    def cover_open(self) -> None:
        with self._cond:
            self._cover = True
            self._lose_page()

    def go_offline(self, after_bytes: int | None = None, *, silent: bool = False) -> None:
        """Go away (``silent=False``: connections closed, port closed) or stay
        connected but answer and print nothing (``silent=True``)."""
        if silent:
            with self._cond:
                self._silent = True
            return
        if after_bytes is not None:
            with self._cond:
                self._offline_at = self.received + after_bytes
            return
        self._drop_connections(close_server=True)

    def recover(self) -> None:
        """Fresh paper, cover closed, back on the wire."""
        with self._cond:
            self._near_end = self._paper_end = self._cover = self._silent = False
            self._paper_out_at = self._offline_at = None
            gone = self._gone
            self._gone = False
        if gone:
            self.start()

    def wait_for(self, predicate: Callable[[VirtualEscPosPrinter], bool],
                 timeout: float = 5.0) -> bool:
        """Wait until ``predicate(self)`` holds (re-checked after each chunk received)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def png(self, index: int = -1) -> bytes:
        out = io.BytesIO()
        self.images[index].save(out, "PNG")
        return out.getvalue()

    def save(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, image in enumerate(self.images):
            paths.append(directory / f"receipt-{i + 1:03d}.png")
            image.save(paths[-1], "PNG")
        return paths

    # -- the wire ----------------------------------------------------------------

    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return  # the server socket was closed
            with self._cond:
                self._conns.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _drop_connections(self, *, close_server: bool) -> None:
        with self._cond:
            conns, self._conns = list(self._conns), set()
            srv = self._server if close_server else None
            if close_server:
                self._server, self._gone = None, True
            self._lose_page()
            self._cond.notify_all()
        for sock in ([srv] if srv else []) + conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept/recv
            sock.close()

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            while chunk := conn.recv(65536):
                while chunk:
                    chunk = self._take(conn, buf, chunk)
        except OSError:
            pass
        finally:
            with self._cond:
                self._conns.discard(conn)
            conn.close()

    def _take(self, conn: socket.socket, buf: bytearray, chunk: bytes) -> bytes:
        """Process ``chunk`` up to the next armed trigger; return what is left."""
        with self._cond:
            limits = [at - self.received for at in (self._paper_out_at, self._offline_at)
                      if at is not None]
            cut = min([len(chunk), *[max(n, 0) for n in limits]])
            head, rest = chunk[:cut], chunk[cut:]
            self.received += len(head)
            buf += head
            replies = self._parse(buf)
            if self._paper_out_at is not None and self.received >= self._paper_out_at:
                self._paper_out_at = None
                self._set_paper_end()
            offline = self._offline_at is not None and self.received >= self._offline_at
            self._cond.notify_all()
        if replies:
            conn.sendall(replies)
        if offline:
            self._drop_connections(close_server=True)
            raise OSError("went offline")
        return rest

    # -- the printer ---------------------------------------------------------------

    def _set_paper_end(self) -> None:
        self._paper_end = self._near_end = True
        self._lose_page()

    def _lose_page(self) -> None:
        self._bands.clear()
        self._text = io.StringIO()

    @property
    def _stopped(self) -> bool:
        return self._paper_end or self._cover or self._silent

    def _status(self, n: int) -> bytes:
        value = 0x12
        if n == 1 and (self._paper_end or self._cover):
            value |= 0x08
        elif n == 2:
            value |= (0x04 if self._cover else 0) | (0x20 if self._paper_end else 0)
        elif n == 4:
            value |= (0x0C if self._near_end else 0) | (0x60 if self._paper_end else 0)
        return bytes([value])

    def _parse(self, buf: bytearray) -> bytes:
        """Consume every complete command at the front of ``buf``; return the replies."""
        replies = bytearray()
        while buf:
            used = self._command(buf, replies)
            if used == 0:
                break  # incomplete: wait for more bytes
            del buf[:used]
        return bytes(replies)

    def _command(self, buf: bytearray, replies: bytearray) -> int:
        b0 = buf[0]
        if b0 in (_ESC, _GS, _DLE) and (len(buf) < 2 or (len(buf) < 3 and buf[1] != 0x40)):
            return 0  # every command of interest but ESC @ has at least three bytes
        if b0 == _DLE:
            if buf[1] == 0x04 and not self._silent:
                replies += self._status(buf[2])
            return 3 if buf[1] == 0x04 else 1
        if b0 == _ESC:
            cmd = buf[1]
            if cmd == 0x40:  # ESC @: initialise
                return 2
            if cmd == 0x64:  # ESC d n: print and feed n lines
                self._print_text("\n" * buf[2])
                return 3
            return 3 if cmd in _ESC_ONE else 2
        if b0 == _GS:
            cmd = buf[1]
            if cmd == 0x56:  # GS V m [n]: cut
                need = 4 if buf[2] in (65, 66) else 3
                if len(buf) < need:
                    return 0
                self._cut()
                return need
            if cmd == 0x72:  # GS r n: answered once everything before it is done
                if not self._stopped:
                    replies += bytes([0x0F if self._paper_end else (0x03 if self._near_end
                                                                        else 0x00)])
                return 3
            if cmd == 0x76 and buf[2] == 0x30:  # GS v 0 m xL xH yL yH d1...dk
                if len(buf) < 8:
                    return 0
                width, height = buf[4] | buf[5] << 8, buf[6] | buf[7] << 8
                end = 8 + width * height
                if len(buf) < end:
                    return 0
                if not self._stopped and width and height:
                    # ESC/POS prints a 1 bit; PIL's mode "1" shows a 1 bit as white.
                    data = bytes(b ^ 0xFF for b in buf[8:end])
                    self._bands.append(Image.frombytes("1", (width * 8, height), data))
                return end
            return 3 if cmd in _GS_ONE else 2
        if b0 == 0x0A:
            self._print_text("\n")
        elif b0 >= 0x20:
            self._print_text(bytes([b0]).decode("cp437"))
        return 1

    def _print_text(self, text: str) -> None:
        if not self._stopped:
            self._text.write(text)

    def _cut(self) -> None:
        if self._stopped:
            return
        self.cuts += 1
        if self._bands:
            width = max(b.width for b in self._bands)
            page = Image.new("1", (width, sum(b.height for b in self._bands)), 1)
            y = 0
            for band in self._bands:
                page.paste(band, (0, y))
                y += band.height
            self.images.append(page)
        text = self._text.getvalue().strip("\n")
        if text:
            self.texts.append(text)
        self._lose_page()
