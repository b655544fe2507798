"""A camera frame as the kiosk passes it around: raw RGB, no library types."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Frame:
    width: int
    height: int
    rgb: bytearray = field(repr=False)  # width * height * 3 bytes, row-major RGB888
    timestamp: float = 0.0
    # Only a simulated camera sets this: who it shows ("holder", "stranger", None
    # for nobody), so the simulated face matcher can decide without a model.
    simulated_subject: str | None = None

    def wipe(self) -> None:
        self.rgb[:] = bytes(len(self.rgb))
