"""What every benchmark hands back to ``kiosk bench``: figures, each beside its baseline.

A figure is always a cost (milliseconds, milliseconds per message, a count of
stalls): lower is better, so one ratio reads the same way for every benchmark.
The baseline is the same measure of something simpler, run in the same process
and interleaved with the kiosk's own runs where the benchmark can, so the
machine's noise falls on both alike; only the ratio is meant to travel between
machines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    name: str  # what the kiosk does, as measured
    figure: float  # the kiosk's figure
    unit: str
    baseline: float | None  # the same measure of the baseline (None: the baseline did not run)
    baseline_name: str  # what the baseline is
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        """figure / baseline; None when there is no baseline figure or it is 0
        (an idle loop with no stall at all has nothing to divide by)."""
        if not self.baseline:
            return None
        return round(self.figure / self.baseline, 3)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "figure": self.figure, "unit": self.unit,
                "baseline": self.baseline, "baseline_name": self.baseline_name,
                "ratio": self.ratio, "notes": self.notes}


@dataclass
class Measured:
    figures: list[Figure]
    params: dict[str, Any] = field(default_factory=dict)  # how it ran: sizes, rounds, services


class Skip(Exception):
    """The benchmark cannot run on this machine now (a daemon busy, data missing);
    its message says why, and the report shows it instead of figures."""
