"""The long fuzz run: every parser of outside bytes, a million inputs by default.

    .venv/bin/python scripts/fuzz.py [--inputs N] [--target NAME ...] [--seconds S]
                                     [--seed K] [--json] [--out DIR] [--list]
    .venv/bin/python scripts/fuzz.py --replay out/fuzz/NAME-1.pickle

``--inputs`` is the total, split evenly over the targets run (all of them
unless ``--target`` names some); ``--seconds`` caps each target's time. Inputs
come from the same structure-aware generators as tests/test_fuzz.py
(tests/fuzz_targets.py), drawn from ``random.Random`` instead of hypothesis:
input ``i`` of a target is made from seed ``(K, target, i)``, so a run can be
repeated exactly. Each input runs under a time limit (``--timeout``) and the
process under a memory limit (``--max-memory-mb``): a hang or a runaway
allocation is a finding like any other.

A failing input is saved (first of each kind per target) under ``--out`` as a
pickle to replay and a text file to read; the command exits 1 on any failure.
docs/fuzzing.md has the targets, their contracts and the last long run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import platform
import random
import resource
import sys
import time
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.fuzz_targets, run from anywhere

from tests.fuzz_targets import (  # noqa: E402
    InputTimeout,
    RandomSource,
    Target,
    all_targets,
    time_limit,
)


@dataclass
class Outcome:
    name: str
    inputs: int = 0
    seconds: float = 0.0
    failures: int = 0
    kinds: dict[str, str] = field(default_factory=dict)  # kind -> saved file

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"target": self.name, "inputs": self.inputs, "seconds": round(self.seconds, 1),
                "inputs_per_second": round(self.rate), "failures": self.failures,
                "saved": self.kinds}


def _kind(exc: BaseException) -> str:
    """What tells two findings apart: the exception type and where it was raised."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
    return f"{type(exc).__name__}@{where}"


def _save(out: Path, target: Target, index: int, seed: int, value: Any,
          exc: BaseException) -> str:
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{target.name}-{index}"
    pickled, readable = Path(f"{stem}.pickle"), Path(f"{stem}.txt")
    with open(pickled, "wb") as f:
        pickle.dump({"target": target.name, "input": value}, f)
    text = "".join(traceback.format_exception(exc))
    readable.write_text(
        f"target: {target.name}\ncontract: {target.contract}\nseed: {seed} input {index}\n"
        f"input: {value!r:.20000}\n\n{text}", encoding="utf-8", errors="backslashreplace")
    return str(pickled)


def fuzz(target: Target, inputs: int, seconds: float | None, seed: int, timeout: float,
         out: Path) -> Outcome:
    outcome = Outcome(target.name)
    rng = random.Random()
    src = RandomSource(rng)
    base = (seed << 32) ^ zlib.crc32(target.name.encode())
    start = time.perf_counter()
    deadline = start + seconds if seconds else float("inf")
    for i in range(inputs):
        rng.seed(base + i)
        value = None
        try:
            with time_limit(timeout):
                value = target.generate(src)
                target.run(value)
        except (Exception, InputTimeout) as exc:  # MemoryError, RecursionError included
            outcome.failures += 1
            kind = _kind(exc)
            if kind not in outcome.kinds:
                outcome.kinds[kind] = _save(out, target, i, seed, value, exc)
        outcome.inputs += 1
        if i % 256 == 0 and time.perf_counter() > deadline:
            break
    outcome.seconds = time.perf_counter() - start
    return outcome


def replay(path: Path) -> int:
    with open(path, "rb") as f:
        saved = pickle.load(f)  # a file this script wrote
    found = {t.name: t for t in all_targets()}[saved["target"]]
    print(f"{found.name}: {saved['input']!r:.2000}")
    found.run(saved["input"])  # raises, with its traceback, if it still fails
    print("passes now")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000,
                        help="total inputs, split evenly over the targets (default 1000000)")
    parser.add_argument("--target", action="append", default=[], metavar="NAME",
                        help="run only this target (repeatable); --list names them")
    parser.add_argument("--seconds", type=float, default=None,
                        help="stop each target after this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--max-memory-mb", type=int, default=4096)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "fuzz",
                        help="where failing inputs are saved (default out/fuzz)")
    parser.add_argument("--json", action="store_true", help="one JSON report on stdout")
    parser.add_argument("--list", action="store_true", help="the targets and their contracts")
    parser.add_argument("--replay", type=Path, help="run one saved failing input again")
    args = parser.parse_args(argv)

    logging.disable(logging.CRITICAL)  # verify_card and others log what they refuse
    if args.replay:
        return replay(args.replay)
    targets = all_targets()
    if args.list:
        for t in targets:
            print(f"{t.name:24} {t.contract}")
        return 0
    unknown = set(args.target) - {t.name for t in targets}
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))} (see --list)")
    chosen = [t for t in targets if not args.target or t.name in args.target]
    # Evenly, the remainder to the first ones: the run is exactly --inputs long.
    share, extra = divmod(max(args.inputs, len(chosen)), len(chosen))

    limit = args.max_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    started = time.perf_counter()
    outcomes = []
    for i, t in enumerate(chosen):
        outcome = fuzz(t, share + (i < extra), args.seconds, args.seed, args.timeout, args.out)
        outcomes.append(outcome)
        if not args.json:
            print(f"{t.name:24} {outcome.inputs:>9} inputs {outcome.seconds:8.1f} s "
                  f"{outcome.rate:>8.0f}/s  failures {outcome.failures}", flush=True)
            for kind, saved in outcome.kinds.items():
                print(f"    {kind} -> {saved}", flush=True)
    total = sum(o.inputs for o in outcomes)
    failures = sum(o.failures for o in outcomes)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({"inputs": total, "seconds": round(elapsed, 1), "failures": failures,
                          "seed": args.seed, "machine": f"{platform.machine()}, "
                          f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
                          "targets": [o.to_json() for o in outcomes]}, indent=1))
    else:
        print(f"total {total} inputs in {elapsed:.0f} s ({total / elapsed:.0f}/s), "
              f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
