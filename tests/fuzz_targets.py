"""The fuzz targets: every parser of bytes from outside the kiosk, with its contract.

A target is a generator of inputs, a check and the errors the parser documents.
The check runs the parser and asserts what must hold for *any* input (a valid
value or a documented error; round trips where there is an encoder); any other
exception, a failed assertion included, is a finding.

Each generator is written once against ``Source``, a handful of draws
(integers, choices, bytes, text). ``HypothesisSource`` makes it a hypothesis
strategy (tests/test_fuzz.py: few examples, shrinking); ``RandomSource`` runs it
on ``random.Random`` for the long run (scripts/fuzz.py: a million inputs, where
hypothesis's engine manages under a thousand a second). Generators are
structure-aware: they mutate valid inputs (genuine card files, the sandbox's
real replies, the example config) so most inputs get past the first check.

docs/fuzzing.md lists the targets and their contracts.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import random
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

# Bytes that sit on the borders of the formats: TLV length forms (80-84), tag
# escapes (1F), padding (00, FF), sign and ASCII edges.
INTERESTING_BYTES = (0x00, 0x01, 0x1F, 0x20, 0x30, 0x3A, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84,
                     0x90, 0xC0, 0xFE, 0xFF)
# Characters that break naive text handling: NUL and controls, line and
# paragraph separators, bidi overrides, lone surrogates (JSON can carry them),
# a BOM, astral and CJK, and the syntax of the formats read here.
INTERESTING_CHARS = ("\x00", "\x01", "\t", "\n", "\r", "\x7f", "\x85", "\u2028", "\u2029",
                     "\u202e", "\u2066", "\ufeff", "\ud800", "\udfff", "\U0001f600", "陳",
                     "é", "١", "\\", '"', "'", "=", "[", "]", "{", "}", ",", ":", "$", "#",
                     ".", "-", "/", " ")
INTERESTING_INTS = (0, 1, -1, 2, 7, 8, 127, 128, 255, 256, 65535, 65536, 2**31, 2**53 + 1,
                    2**63, 10**30, -10**30, 10**400)
INTERESTING_FLOATS = (0.0, -0.0, 0.5, 1e-300, 1e308, math.inf, -math.inf, math.nan)


class Source(Protocol):
    """Where a generator's choices come from (hypothesis, or a seeded Random)."""

    def integer(self, lo: int, hi: int) -> int: ...

    def choice(self, items: Sequence[T]) -> T: ...

    def binary(self, max_size: int, min_size: int = 0) -> bytes: ...

    def text(self, max_size: int, min_size: int = 0) -> str: ...


class HypothesisSource:
    """Draws through hypothesis, so a failure shrinks to a small input."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self._draw(st.integers(lo, hi))

    def choice(self, items: Sequence[T]) -> T:
        return self._draw(st.sampled_from(items))

    def binary(self, max_size: int, min_size: int = 0) -> bytes:
        return self._draw(st.binary(min_size=min_size, max_size=max_size))

    def text(self, max_size: int, min_size: int = 0) -> str:
        alphabet = st.sampled_from(INTERESTING_CHARS) | st.characters()
        return self._draw(st.text(alphabet, min_size=min_size, max_size=max_size))


class RandomSource:
    """Draws from ``random.Random``: tens of thousands of inputs a second."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def binary(self, max_size: int, min_size: int = 0) -> bytes:
        return self.rng.randbytes(self.rng.randint(min_size, max_size))

    def text(self, max_size: int, min_size: int = 0) -> str:
        rng = self.rng
        out = []
        for _ in range(rng.randint(min_size, max_size)):
            kind = rng.random()
            if kind < 0.7:
                out.append(chr(rng.randint(0x20, 0x7E)))
            elif kind < 0.85:
                out.append(INTERESTING_CHARS[rng.randrange(len(INTERESTING_CHARS))])
            else:
                out.append(chr(rng.randint(0, 0x10FFFF)))
        return "".join(out)


def chance(src: Source, percent: int) -> bool:
    return src.integer(0, 99) < percent


# --- generic mutators --------------------------------------------------------------


def mutate_bytes(src: Source, data: bytes, splice: Sequence[bytes] = ()) -> bytes:
    """``data`` after 1 to 4 edits: bit flips, border bytes, inserts, deletes,
    truncation, a repeated chunk, a splice of another valid input."""
    out = bytearray(data)
    for _ in range(src.integer(1, 4)):
        op = src.integer(0, 7)
        i = src.integer(0, len(out))
        if op == 0 and i < len(out):
            out[i] ^= 1 << src.integer(0, 7)
        elif op == 1 and i < len(out):
            out[i] = src.choice(INTERESTING_BYTES)
        elif op == 2:
            out[i:i] = src.binary(8, min_size=1)
        elif op == 3:
            del out[i:i + src.integer(1, 16)]
        elif op == 4:
            del out[i:]
        elif op == 5 and out:
            j = src.integer(0, len(out) - 1)
            out[i:i] = out[j:j + src.integer(1, 64)]
        elif op == 6 and splice:
            other = src.choice(splice)
            out[i:] = other[src.integer(0, len(other)):]
        elif i < len(out):
            out[i] = (out[i] + src.choice((1, -1, 0x40, 0x80))) & 0xFF
    return bytes(out)


def mutate_text(src: Source, text: str, lines: Sequence[str] = ()) -> str:
    """``text`` after line edits (drop, repeat, swap, insert one of ``lines``)
    or an edit of its UTF-8 bytes."""
    if chance(src, 30):
        return mutate_bytes(src, text.encode("utf-8", "surrogatepass")).decode("utf-8", "replace")
    rows = text.split("\n")
    for _ in range(src.integer(1, 3)):
        op = src.integer(0, 4)
        i = src.integer(0, len(rows))
        if op == 0 and i < len(rows):
            del rows[i]
        elif op == 1 and i < len(rows):
            rows.insert(i, rows[i])
        elif op == 2 and lines:
            rows.insert(i, src.choice(lines))
        elif op == 3 and i < len(rows):
            row = rows[i]
            j = src.integer(0, len(row))
            rows[i] = row[:j] + src.text(6) + row[j + src.integer(0, 6):]
        elif rows:
            j = src.integer(0, len(rows) - 1)
            if i < len(rows):
                rows[i], rows[j] = rows[j], rows[i]
    return "\n".join(rows)


def json_value(src: Source, depth: int = 0) -> Any:
    """Any JSON value Python's json reads (NaN and Infinity included)."""
    kind = src.integer(0, 7 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return src.choice((True, False))
    if kind == 2:
        return src.choice(INTERESTING_INTS) if chance(src, 50) else src.integer(-1000, 1000)
    if kind == 3:
        return src.choice(INTERESTING_FLOATS)
    if kind in (4, 5):
        return src.text(12)
    if kind == 6:
        return [json_value(src, depth + 1) for _ in range(src.integer(0, 3))]
    return {src.text(6): json_value(src, depth + 1) for _ in range(src.integer(0, 3))}


def mutate_json(src: Source, value: Any, keys: Sequence[str] = ()) -> Any:
    """A deep copy of ``value`` with 1 to 3 nodes replaced, dropped, added,
    repeated or retyped; ``keys`` are names worth adding."""
    out = copy.deepcopy(value)
    for _ in range(src.integer(1, 3)):
        out = _mutate_node(src, out, keys)
    return out


def _mutate_node(src: Source, node: Any, keys: Sequence[str]) -> Any:
    if isinstance(node, dict) and node and chance(src, 70):
        key = src.choice(sorted(node, key=str))
        op = src.integer(0, 4)
        if op == 0:
            del node[key]
        elif op == 1:
            node[src.choice(keys) if keys and chance(src, 70) else src.text(8)] = json_value(src)
        else:
            node[key] = _mutate_node(src, node[key], keys)
        return node
    if isinstance(node, list) and node and chance(src, 70):
        i = src.integer(0, len(node) - 1)
        op = src.integer(0, 3)
        if op == 0:
            del node[i]
        elif op == 1:
            node.insert(i, copy.deepcopy(node[i]))
        else:
            node[i] = _mutate_node(src, node[i], keys)
        return node
    return _retyped(src, node)


def _retyped(src: Source, node: Any) -> Any:
    """The leaf as another type or an edited value of its own."""
    op = src.integer(0, 5)
    if op == 0:
        return json_value(src)
    if isinstance(node, str) and op < 4:
        if op == 1 and node:
            i = src.integer(0, len(node) - 1)
            return node[:i] + src.text(3) + node[i + 1:]
        if op == 2:
            try:
                return json.loads(node)  # "110.00" as a number, "12" as 12
            except ValueError:
                return node * src.integer(0, 100)
        return src.choice(("", " ", node + node, node.upper(), "\ud800", node[:-1]))
    if isinstance(node, bool):
        return not node if op < 3 else int(node)
    if isinstance(node, int | float):
        as_float = float(node) if abs(node) < 1e300 else math.inf
        return src.choice((str(node), node + 1, -node, node * 10**10, as_float, None))
    if op == 1:
        return [node]
    return {"": node} if op == 2 else None


def json_bytes(src: Source, value: Any) -> bytes:
    """``value`` as the bytes of a reply: compact or not, ASCII-escaped or UTF-8,
    sometimes edited after encoding, sometimes one of the classic bad bodies."""
    if chance(src, 5):
        return src.choice((b"", b"null", b"[]", b"{}", b"\xff\xfe{}", b"[" * 100_000,
                           b'{"a":' * 50_000, b"\"" + b"\\" * 999, b"1e999999", b"NaN"))
    text = json.dumps(value, ensure_ascii=chance(src, 50), indent=src.choice((None, 1)))
    raw = text.encode("utf-8", "surrogatepass")
    return mutate_bytes(src, raw) if chance(src, 20) else raw


def as_text(raw: bytes) -> str:
    """Bytes as the str a reader decoded: lone surrogates kept where they were
    encoded, anything else undecodable replaced."""
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


class InputTimeout(BaseException):
    """One input ran past its time (a BaseException: no parser may catch it)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise InputTimeout


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise InputTimeout in this (the main) thread after ``seconds``: a parser
    that hangs is a finding, not a stuck run."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the registry --------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One parser under fuzzing. ``check(value)`` runs it and asserts its
    contract; raising one of ``allowed`` is the parser refusing, and fine."""

    name: str
    contract: str
    generate: Callable[[Source], Any]
    check: Callable[[Any], None]
    allowed: tuple[type[BaseException], ...] = ()
    examples: int = 300  # in tests/test_fuzz.py (the long run's count is its own)

    def run(self, value: Any) -> None:
        with contextlib.suppress(*self.allowed):
            self.check(value)

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.composite(lambda draw: self.generate(HypothesisSource(draw)))()


def all_targets() -> list[Target]:
    """Every target, grouped by where the bytes come from."""
    # Imported here: each group builds its seeds (a genuine card, the sandbox's
    # replies) lazily, and this module must import without them.
    from tests import fuzz_card, fuzz_devices, fuzz_gateway, fuzz_sandbox, fuzz_state

    return [*fuzz_card.TARGETS, *fuzz_devices.TARGETS, *fuzz_gateway.TARGETS,
            *fuzz_sandbox.TARGETS, *fuzz_state.TARGETS]


def target(name: str) -> Target:
    found = [t for t in all_targets() if t.name == name]
    if not found:
        raise KeyError(f"no fuzz target {name!r}")
    return found[0]
