"""What the journey hands the UI (a View) and what it keeps of a session (a report)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Access:
    """How the citizen asked to be served: high contrast, large text, the screen
    read aloud (at a volume, again on request). Chosen at any screen, kept for
    the session, back to the defaults when it ends: the next citizen starts fresh."""

    high_contrast: bool = False
    large_text: bool = False
    speech: bool = False
    volume: int = 60  # percent
    repeats: int = 0  # bumped by "read it again": the UI speaks the screen once more


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
    access: Access = field(default_factory=Access)


@dataclass(frozen=True)
class SessionReport:
    """What is left of a session once it is wiped: nothing personal."""

    session_id: str
    service_id: str | None
    outcome: str  # completed | cancelled | timeout | card_removed | failed
    waits: Mapping[str, float]
