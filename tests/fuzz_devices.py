"""Fuzz targets for what devices send: APDUs both ways (the reader's side and
the virtual card's), vpcd's framing, ESC/POS status replies and CUPS's lpstat.

Seeds are real exchanges: the reader's APDU sequence against the genuine demo
card on T=1 with and without extended length and on T=0, the status bytes an
Epson printer sends, and what lpstat prints.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import threading
from functools import cache
from typing import Any

from kiosk.devices.apdu import CardChannel, Command
from kiosk.devices.base import DeviceError
from kiosk.devices.chip_reader import read_chip
from kiosk.devices.cups import CupsPrinter
from kiosk.devices.escpos import EscPosPrinter
from kiosk.devices.escpos_status import is_status_byte, parse_status
from kiosk.devices.printer import PrintResult
from kiosk.devices.status import DeviceState, Paper, PrinterStatus
from kiosk.devices.virtual_card import CardPulled, VirtualCard
from kiosk.devices.vpcd import VpcdCard
from kiosk.identity.chip import FILES
from tests.fuzz_card import genuine
from tests.fuzz_targets import Source, Target, chance, mutate_bytes

CHALLENGE = bytes(range(16))
# (protocol, extended length): the three ways a card of ours talks.
VARIANTS = (("T=1", True), ("T=1", False), ("T=0", False))


@cache
def card(variant: int) -> VirtualCard:
    protocol, extended = VARIANTS[variant]
    return VirtualCard(dataclasses.replace(genuine()[0], protocol=protocol,
                                           extended_length=extended))


@cache
def transcript(variant: int) -> tuple[tuple[bytes, bytes], ...]:
    """(command, answer) of every APDU of a genuine read in this variant."""
    chip = card(variant)
    chip.push()
    seen: list[tuple[bytes, bytes]] = []

    def transmit(apdu: bytes) -> bytes:
        answer = chip.process(apdu)
        seen.append((apdu, answer))
        return answer

    read_chip(CardChannel(transmit, chip.profile.protocol), challenge=CHALLENGE)
    return tuple(seen)


def commands(variant: int) -> list[bytes]:
    return [c for c, _ in transcript(variant)]


def gen_command(src: Source) -> bytes:
    if chance(src, 20):
        return src.binary(12)
    return mutate_bytes(src, src.choice(commands(src.integer(0, 2))))


def check_command(raw: bytes) -> None:
    # One encoding per command, as the card side reads it.
    assert Command.decode(raw).encode() == raw


def gen_answers(src: Source) -> tuple[int, list[bytes], bool]:
    """A card that answers the reader's sequence with some answers edited."""
    variant = src.integer(0, 2)
    real = [a for _, a in transcript(variant)]
    answers, edited = [], False
    for answer in real + [b"\x90\x00"] * 4:
        if chance(src, 8):
            answer = mutate_bytes(src, answer, real) if chance(src, 80) else src.binary(6)
            edited = True
        answers.append(answer)
    return variant, answers, edited


def check_reader(value: tuple[int, list[bytes], bool]) -> None:
    variant, answers, edited = value
    sent = 0

    def transmit(apdu: bytes) -> bytes:
        nonlocal sent
        sent += 1
        return answers[sent - 1] if sent <= len(answers) else b"\x6a\x82"

    channel = CardChannel(transmit, VARIANTS[variant][0])
    try:
        chip = read_chip(channel, challenge=CHALLENGE)
    except DeviceError:
        assert edited, "a genuine card's answers were refused"
        raise
    assert sent <= channel.max_apdus and channel.bytes_received <= channel.max_bytes
    assert all(len(chip.files[f.name]) <= f.max_size for f in FILES)
    if not edited:
        assert chip.files == genuine()[0].files


def gen_apdus(src: Source) -> tuple[int, list[bytes]]:
    """What pcscd (or anything on vpcd's port) might send a virtual card."""
    variant = src.integer(0, 2)
    real = commands(variant)
    # Often from where a read stands after SELECT and a first READ BINARY: the
    # application chosen and a current file, so every instruction gets that far.
    out = list(real[:src.choice((0, 2, 2))])
    for _ in range(src.integer(1, 12)):
        if chance(src, 30):
            out.append(src.choice(real))
        elif chance(src, 70):
            out.append(mutate_bytes(src, src.choice(real)))
        else:
            # B1's offset object (tag 54) as the reader writes it, or anything.
            data = src.binary(40) if chance(src, 30) else bytes(
                (0x54, 2, src.choice((0, 0x7F, 0x80)), src.integer(0, 255)))
            p1p2 = (0, 0, 0x04, 0x0C, 0x81, 0x82, 0x9D, 0xFF)
            out.append(Command(src.choice((0, 0, 0x80, 0x0C)),
                               src.choice((0xA4, 0xB0, 0xB1, 0x88, 0xC0, 0x00)),
                               src.choice(p1p2), src.choice(p1p2),
                               data if chance(src, 50) else b"",
                               src.choice((None, 1, 2, 3, 255, 256, 257, 65536)),
                               chance(src, 30)).encode())
    return variant, out


def check_card(value: tuple[int, list[bytes]]) -> None:
    variant, apdus = value
    chip = card(variant)
    chip.push()  # powered afresh: nothing selected, nothing pending
    for apdu in apdus:
        answer = chip.process(apdu)
        # Always an R-APDU vpcd can carry: data and a status word.
        assert isinstance(answer, bytes) and 2 <= len(answer) <= 0xFFFF


@cache
def _listener() -> socket.socket:
    return socket.create_server(("127.0.0.1", 0))


def gen_stream(src: Source) -> tuple[int, bytes, int]:
    """vpcd's side of a connection: length-prefixed messages (control bytes,
    APDUs), sometimes a length that lies; and how many answers are due."""
    variant = src.integer(0, 2)
    stream, due = bytearray(), 0
    for _ in range(src.integer(0, 10)):
        if chance(src, 40):
            message = bytes((src.choice((0, 1, 2, 4, 4, 3, 0xFF)),))
        else:
            message = mutate_bytes(src, src.choice(commands(variant)))
        # One byte is a control byte, answered only when it asks for the ATR (04);
        # anything else is an APDU, always answered.
        due += message == b"\x04" if len(message) == 1 else 1
        if chance(src, 5):  # a header that promises more than follows: the stream ends
            stream += (len(message) + src.integer(1, 300)).to_bytes(2, "big") + message
            return variant, bytes(stream), -1
        stream += len(message).to_bytes(2, "big") + message
    return variant, bytes(stream), due


def check_vpcd(value: tuple[int, bytes, int]) -> None:
    variant, stream, due = value
    chip = card(variant)
    chip.push()
    served = VpcdCard(chip)
    client = socket.create_connection(_listener().getsockname())
    conn, _ = _listener().accept()
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            served._serve(conn, threading.Event())
        except (OSError, CardPulled):
            pass  # serve_forever's own handling: the connection ends, the card reconnects
        except BaseException as e:  # anything else would end the card's thread
            failure.append(e)
        finally:
            conn.shutdown(socket.SHUT_WR)

    worker = threading.Thread(target=serve)
    worker.start()
    try:
        client.sendall(stream)
        client.shutdown(socket.SHUT_WR)
        replies = bytearray()
        while chunk := client.recv(65536):
            replies += chunk
    finally:
        worker.join()
        client.close()
        conn.close()
    if failure:
        raise failure[0]
    answers, pos = 0, 0
    while pos < len(replies):  # every answer whole and framed
        size = int.from_bytes(replies[pos:pos + 2], "big")
        assert pos + 2 + size <= len(replies), "a truncated answer"
        pos += 2 + size
        answers += 1
    assert due < 0 or answers == due


# --- printers ----------------------------------------------------------------------------

# Replies an Epson printer sends: DLE EOT 1/2/4 in every state, and GS r 1.
STATUS_BYTES = (0x12, 0x16, 0x1A, 0x1E, 0x32, 0x36, 0x52, 0x72, 0x7E)
GS_R_BYTES = (0x00, 0x0C, 0x60, 0x6C)


def reply(src: Source) -> bytes:
    if chance(src, 60):
        return bytes((src.choice(STATUS_BYTES),))
    if chance(src, 50):
        return mutate_bytes(src, bytes((src.choice(STATUS_BYTES + GS_R_BYTES),)))
    return src.choice((b"", b"\x12\x12", src.binary(3)))


def check_status(value: tuple[bytes, bytes, bytes]) -> None:
    status = parse_status(*value)
    assert isinstance(status, PrinterStatus) and status.device in DeviceState
    if status.usable:
        assert all(len(r) == 1 and is_status_byte(r[0]) for r in value[:2])


class ScriptedWire:
    """A printer's wire: each command written is answered by the next chunk of
    the script (b"" for silence); stale bytes wait before the first."""

    def __init__(self, stale: bytes, script: list[bytes]) -> None:
        self.inbox = bytearray(stale)
        self.script = list(script)
        self.reads = 0

    def write(self, data: bytes) -> None:
        if self.script:
            self.inbox += self.script.pop(0)

    def read(self, n: int, timeout: float) -> bytes:
        self.reads += 1
        out = bytes(self.inbox[:n])
        del self.inbox[:n]
        return out

    def close(self) -> None:
        pass


@cache
def escpos() -> EscPosPrinter:
    def connect() -> Any:
        raise DeviceError("offline", "the fuzz target sets the wire itself")

    return EscPosPrinter(connect, reply_timeout_s=0.0, job_timeout_s=60.0)


def gen_escpos(src: Source) -> tuple[bytes, list[bytes], list[bytes]]:
    stale = src.binary(4) if chance(src, 10) else b""
    status = [reply(src) for _ in range(3)]
    job = []
    for _ in range(src.integer(0, 6)):
        job.append(bytes(src.choice(STATUS_BYTES + GS_R_BYTES) for _ in range(src.integer(0, 3)))
                   if chance(src, 70) else reply(src))
    return stale, status, job


def check_escpos(value: tuple[bytes, list[bytes], list[bytes]]) -> None:
    stale, status_replies, job = value
    printer = escpos()
    wire = ScriptedWire(stale, status_replies)
    printer._wire_ = wire
    status = printer._read_status()
    assert status.device in DeviceState and status.paper in Paper
    if status.usable:  # a printer the kiosk prints on said it is online
        first = status_replies[0][:1]  # stale bytes were drained before the query
        assert first and is_status_byte(first[0]) and not first[0] & 0x08
    wire = ScriptedWire(b"", job + status_replies * 2)
    printer._wire_ = wire
    try:
        printer._await_end(wire)  # returns at the GS r reply, or raises DeviceError
    finally:
        assert wire.reads <= 4 * (len(job) + 8), "the job's end was waited for too long"


LPSTAT = {
    "-p": [(0, "printer kiosk is idle.  enabled since Tue 01 Jan 2030 10:00:00 AM UTC\n", ""),
           (0, "printer kiosk now printing kiosk-12.  enabled since Tue 01 Jan 2030\n", ""),
           (0, "printer kiosk disabled since Tue 01 Jan 2030 -\n\treason unknown\n", ""),
           (1, "", "lpstat: Invalid destination name in list \"kiosk\".\n")],
    "lp": [(0, "request id is kiosk-12 (1 file(s))\n", "")],
    "not-completed": [(0, "kiosk-12                root           1024   Tue 01 Jan 2030\n", ""),
                      (0, "", "")],
    "completed": [(0, "kiosk-12                root           1024   Tue 01 Jan 2030\n", ""),
                  (0, "kiosk-11                root           1024   Tue 01 Jan 2030\n", "")],
}


class ScriptedCups(CupsPrinter):
    """lpstat and lp answer from a script, per command; when it runs out, as a
    CUPS that is gone."""

    def __init__(self) -> None:
        super().__init__("kiosk", poll_s=0.0)
        self.script: dict[str, list[tuple[int, str, str]]] = {}

    def _run(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[str]:
        kind = "lp" if args[0] == "lp" else "-p" if "-p" in args else args[2]
        todo = self.script.get(kind, [])
        rc, out, err = todo.pop(0) if todo else (1, "", "lpstat: Unable to connect to server\n")
        return subprocess.CompletedProcess(list(args), rc, out, err)


@cache
def cups() -> ScriptedCups:
    return ScriptedCups()


ONE_PAGE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"


def gen_cups(src: Source) -> dict[str, list[tuple[int, str, str]]]:
    script: dict[str, list[tuple[int, str, str]]] = {}
    for kind, samples in LPSTAT.items():
        for _ in range(src.integer(1, 4)):
            rc, out, err = src.choice(samples)
            if chance(src, 40):
                raw = mutate_bytes(src, out.encode())
                out = raw.decode("utf-8", "replace")  # as CupsPrinter._run decodes
            script.setdefault(kind, []).append((src.choice((rc, rc, 1, -9)), out, err))
    return script


def check_cups(script: dict[str, list[tuple[int, str, str]]]) -> None:
    printer = cups()
    printer.script = {k: list(v) for k, v in script.items()}
    assert printer.refresh().device in DeviceState
    printer.script = {k: list(v) for k, v in script.items()}
    result = printer._print(ONE_PAGE_PDF, "fuzz")
    assert isinstance(result, PrintResult) and result.pages == 1
    assert result.job_id and not any(c.isspace() for c in result.job_id)


TARGETS = [
    Target("apdu.command", "ValueError, or a command that encodes back to the same bytes",
           gen_command, check_command, (ValueError,)),
    Target("apdu.reader", "DeviceError, or the files within their sizes, in the APDU and "
           "byte budgets; a genuine card's answers always read", gen_answers, check_reader,
           (DeviceError,), examples=150),
    Target("virtual_card.apdus", "an R-APDU of 2..65535 bytes for any command sequence, "
           "never an exception", gen_apdus, check_card, ()),
    Target("vpcd.stream", "every answer framed whole, one per APDU or ATR request; only "
           "OSError or CardPulled end a connection", gen_stream, check_vpcd, (), examples=150),
    Target("escpos.status", "a PrinterStatus; usable only after two proper status bytes",
           lambda src: (reply(src), reply(src), reply(src)), check_status, ()),
    Target("escpos.replies", "a status from any replies; the job's end found or "
           "DeviceError, within a bounded number of reads", gen_escpos, check_escpos,
           (DeviceError,)),
    Target("cups.lpstat", "DeviceError, or a job id without spaces; every refresh a "
           "known state", gen_cups, check_cups, (DeviceError,)),
]
