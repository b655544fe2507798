"""A progress screen for every wait over half a second, even a step that forgets one."""

from __future__ import annotations

import threading
from typing import Any

from kiosk.journey import Journey, ManualHost
from kiosk.journey.waiting import PROGRESS_AFTER_S
from kiosk.services.contract import OfflinePolicy, Service, Step

TITLES = {"zh-Hant": "測試", "pt": "Teste", "en": "Test"}


class QuietStep(Step):
    """Waits on ``gate`` from its own screen, showing nothing meanwhile."""

    id = "quiet"

    def __init__(self, gate: threading.Event, redraw: bool) -> None:
        self.gate = gate
        self.redraw = redraw

    def enter(self, ctx: Any) -> None:
        ctx.show("quantity", title="ssm.vouchers.choose", count=1, maximum=2)

    def on_action(self, ctx: Any, action: str, value: Any = None) -> None:
        if action == "confirm":
            ctx.run(lambda: self.gate.wait(10), self.finished(ctx), wait="quiet")

    def finished(self, ctx: Any):
        def done(_: Any) -> None:
            if self.redraw:
                ctx.show("done", message="ssm.vouchers.done")
        return done


def journey(terminal, host: ManualHost, step: Step) -> Journey:
    service = Service("ssm.quiet", "ssm", TITLES, frozenset(), OfflinePolicy.LOCAL, (step,))
    cfg = terminal.config
    j = Journey(host=host, services=[service], devices=terminal.devices,
                gateway=terminal.gateway, face_verifier=terminal.face_verifier,
                kept_prints=terminal.kept_prints, trust=terminal.trust,
                terminal_id=cfg.terminal.id, languages=cfg.terminal.languages,
                default_lang="en", timeouts=cfg.session)
    j.start()
    j.act("start")
    j.act("choose_lang", "en")
    j.act("service", "ssm.quiet")
    assert host.view.screen == "quantity"
    return j


def test_a_wait_past_half_a_second_shows_progress_then_the_step_s_screen(terminal) -> None:
    host, gate = ManualHost(), threading.Event()
    j = journey(terminal, host, QuietStep(gate, redraw=True))
    j.act("confirm")
    host.advance(PROGRESS_AFTER_S - 0.1)
    assert host.view.screen == "quantity"  # a quick answer would not flash a progress screen
    host.advance(0.1)
    assert host.view.screen == "progress" and host.view.data["message"] == "wait.loading"
    gate.set()
    host.pump(lambda: host.view.screen == "done")


def test_a_step_that_draws_nothing_after_its_wait_gets_its_screen_back(terminal) -> None:
    host, gate = ManualHost(), threading.Event()
    j = journey(terminal, host, QuietStep(gate, redraw=False))
    j.act("confirm")
    host.advance(PROGRESS_AFTER_S)
    assert host.view.screen == "progress"
    gate.set()
    host.pump(lambda: host.view.screen == "quantity")
    host.advance(5)
    assert host.view.screen == "quantity"


def test_a_quick_wait_never_shows_progress(terminal) -> None:
    host, gate = ManualHost(), threading.Event()
    gate.set()
    j = journey(terminal, host, QuietStep(gate, redraw=True))
    j.act("confirm")
    host.pump(lambda: host.view.screen == "done")
    host.advance(5)
    assert "progress" not in [v.screen for v in host.views]
