"""The catalog: the departments as tabs, the chosen one's services as tiles.

Twenty-eight services do not fit one screen at a size people can read and
touch, so the citizen first picks the department (as the counters in a
government hall are signed), then the service. A tile says what the service
needs (card, face, payment, printer) and, when it cannot be used now, why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import has
from kiosk.journey import View
from kiosk.services.contract import KNOWN_DEPARTMENTS, Need
from kiosk.ui.screen_base import CENTER, Screen, Tr, scroller
from kiosk.ui.theme import SIZES
from kiosk.ui.widgets import label

TILE_COLUMNS = 4
TAB_COLUMNS = 5


def departments(catalog: Sequence[tuple[Any, Any]]) -> list[str]:
    """The catalog's departments, in the order of the government's own list."""
    found = {service.department for service, _ in catalog}
    known = [d for d in KNOWN_DEPARTMENTS if d in found]
    return known + sorted(found - set(known))


class Tile(QPushButton):
    """A button holding wrapped lines of text (a QPushButton cannot wrap its own)."""

    def __init__(self, action: str, value: str, role: str) -> None:
        super().__init__(objectName=f"act:{action}:{value}")
        self.setProperty("action", action)
        self.setProperty("value", value)
        self.setProperty("role", role)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.lines = QVBoxLayout(self)
        self.lines.setContentsMargins(24, 14, 24, 14)
        self.lines.setSpacing(4)

    def add(self, text: str, role: str) -> None:
        line = label(text, role)
        line.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.lines.addWidget(line)

    @property
    def texts(self) -> list[str]:
        return [w.text() for w in self.findChildren(QLabel)]

    def sizeHint(self) -> Any:  # as tall as its wrapped lines
        hint = super().sizeHint()
        hint.setHeight(max(hint.height(), self.lines.sizeHint().height()))
        return hint


class CatalogScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        self.body.addWidget(label(tr("catalog.title"), "heading"))
        catalog = view.data.get("catalog", [])
        if not catalog:
            self.centred(label(tr("catalog.empty"), "body", align=CENTER))
            return
        depts = departments(catalog)
        chosen = view.data.get("department")
        chosen = chosen if chosen in depts else depts[0]
        tabs = QGridLayout()
        tabs.setSpacing(SIZES.gap // 2)
        for n, dept in enumerate(depts):
            tab = Tile("department", dept, "dept")
            tab.setAccessibleName(tr(f"department.{dept}"))  # the full name, for speech
            tab.setProperty("selected", dept == chosen)
            short = f"department_short.{dept}"
            tab.add(tr(short) if has(short) else tr(f"department.{dept}"), "depttab")
            tab.setMinimumHeight(SIZES.field_height)
            tabs.addWidget(tab, n // TAB_COLUMNS, n % TAB_COLUMNS)
        for col in range(TAB_COLUMNS):
            tabs.setColumnStretch(col, 1)
        self.body.addLayout(tabs)
        self.body.addSpacing(SIZES.gap // 2)
        grid = QGridLayout()
        grid.setSpacing(SIZES.gap * 2 // 3)
        shown = [(s, a) for s, a in catalog if s.department == chosen]
        for n, (service, avail) in enumerate(shown):
            tile = Tile("service", service.id, "service")
            tile.add(service.title(view.lang), "optiontitle")
            needs = " · ".join(tr(f"need.{need.value}")
                               for need in sorted(service.needs, key=list(Need).index))
            tile.add(tr("catalog.needs", needs=needs), "optionline")
            if not avail.available:
                tile.add(f"{tr('catalog.unavailable')}: {tr(avail.reason, **avail.values)}",
                         "tilewarning")
            tile.setEnabled(avail.available)
            tile.setMinimumHeight(tile.sizeHint().height())
            grid.addWidget(tile, n // TILE_COLUMNS, n % TILE_COLUMNS,
                           Qt.AlignmentFlag.AlignTop)
        for col in range(TILE_COLUMNS):
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(1 + (len(shown) - 1) // TILE_COLUMNS, 1)
        holder = QWidget()
        holder.setLayout(grid)
        # A department with more services than fit (a third party's) scrolls.
        self.body.addWidget(scroller(holder, "CatalogTiles"), 1)
