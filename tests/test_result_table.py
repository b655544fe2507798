"""A long list from the gateway (a soak's citizen had hundreds of applications)
shows its first rows and says how many more there are, instead of drawing them
all at every visit."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from kiosk.journey import View
from kiosk.services.steps.result import MAX_TABLE_ROWS, ShowResult
from kiosk.ui.screens import SCREENS


class Shown:
    """What a step shows, as the journey's StepContext takes it."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.view: tuple[str, dict[str, Any]] | None = None

    def complete(self) -> None: ...

    def show(self, screen: str, **data: Any) -> None:
        self.view = (screen, data)


def test_a_long_table_shows_its_first_rows_and_counts_the_rest(qtbot) -> None:
    rows = [(f"A{n:04d}", "ok") for n in range(MAX_TABLE_ROWS + 37)]
    step = ShowResult(title="dsi.status.title", rows=lambda ctx: [],
                      table=lambda ctx: (["ui.table.reference", "ui.table.state"], rows))
    ctx = Shown()
    step._show(ctx)  # type: ignore[arg-type]
    assert ctx.view is not None
    screen, data = ctx.view
    assert len(data["table"]["rows"]) == MAX_TABLE_ROWS and data["table"]["more"] == 37
    widget = SCREENS[screen]()
    qtbot.addWidget(widget)
    widget.render(View(screen, "en", {**data, "tone": "info", "can_print": False}),
                  lambda key, **v: key + str(v.get("count", "")))
    more = widget.findChild(QLabel, "ResultMore")
    assert more is not None and more.text() == "result.more_rows37"
