"""What the journey hands the UI (a View) and what it keeps of a session (a report)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class View:
    screen: str
    lang: str
    data: Mapping[str, Any] = field(default_factory=dict)
    service_id: str | None = None
    step_id: str | None = None
    step: int = 0  # 1-based position in the service's steps, 0 outside a service
    steps: int = 0
    idle_seconds_left: int | None = None  # set while the idle warning shows


@dataclass(frozen=True)
class SessionReport:
    """What is left of a session once it is wiped: nothing personal."""

    session_id: str
    service_id: str | None
    outcome: str  # completed | cancelled | timeout | card_removed | failed
    waits: Mapping[str, float]
