"""Between two citizens the kiosk gives the heap memory freed during the
session back to the system (glibc keeps freed pages otherwise, and a kiosk's
resident memory creeps up for months: the soak measured it, docs/soak.md)."""

from __future__ import annotations

from kiosk.memory import heap_in_use, limit_heap_arenas, release_free_memory
from kiosk.ui.soak import process_sample


def test_freed_heap_memory_goes_back_to_the_system() -> None:
    # Blocks under glibc's mmap threshold (128 KiB) live on the heap; with a
    # small block kept after each, the freed ones are holes glibc keeps resident
    # (only free memory at the heap's top goes back by itself), as a session's are.
    pairs = [(bytearray(4000), bytearray(64)) for _ in range(32000)]  # about 128 MB
    kept = [small for _, small in pairs]
    before_free = process_sample()[0]
    del pairs
    held = process_sample()[0]
    release_free_memory()
    released = process_sample()[0]
    assert before_free - held < 32 * 1024, "the freed memory went back without a trim"
    assert held - released > 64 * 1024  # kB: at least 64 of the 128 MB returned
    assert len(kept) == 32000


def test_glibc_takes_the_arena_limit() -> None:
    assert limit_heap_arenas()  # this machine's libc is glibc, as a terminal's


def test_heap_in_use_counts_what_is_held_not_what_is_resident() -> None:
    before = heap_in_use()
    assert before is not None  # glibc
    blocks = [bytearray(4000) for _ in range(12800)]  # about 50 MB of small blocks
    held = heap_in_use()
    big = bytearray(64 * 1024 * 1024)  # one block above the mmap threshold counts too
    with_big = heap_in_use()
    del blocks, big
    after = heap_in_use()
    assert held - before > 45 * 1024 * 1024
    assert with_big - held > 60 * 1024 * 1024
    assert with_big - after > 100 * 1024 * 1024
