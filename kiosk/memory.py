"""The kiosk's heap on glibc: fewer arenas, and freed memory handed back.

A kiosk runs for months. Python and Qt free what a session used, but glibc
keeps freed pages in its arenas, and gives each thread that contends for the
heap an arena of its own (up to eight per core), each growing its own pages.
The soak (docs/soak.md) measured both: resident memory kept creeping up with
nothing leaked. With two arenas and the heap trimmed between citizens it stays
flat. Elsewhere than glibc both are no-ops.
"""

from __future__ import annotations

import ctypes
from functools import cache

M_ARENA_MAX = -8  # mallopt's parameter number (glibc malloc.h)
ARENAS = 2


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def limit_heap_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas; call before threads start (those that
    already have their own arena keep it). True if glibc took it."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    return bool(mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1)


def release_free_memory() -> None:
    """Hand the heap memory freed since the last call back to the system
    (malloc_trim): the kiosk calls it between two citizens, off the UI thread."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


def heap_in_use() -> int | None:
    """Bytes malloc has handed out and not had back, over every arena
    (glibc's mallinfo2; None elsewhere). Unlike resident memory it does not
    count pages freed but kept, so a soak tells a leak from fragmentation."""
    mallinfo2 = getattr(_libc(), "mallinfo2", None)
    if mallinfo2 is None:
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return int(info.uordblks + info.hblkhd)
