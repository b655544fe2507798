"""The kiosk shell: top bar (who, where, language), the screen, bottom bar, idle overlay."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import LANGUAGE_NAMES, t
from kiosk.identity.frames import Frame
from kiosk.journey import View
from kiosk.ui.lockdown import WindowGuard
from kiosk.ui.screens import SCREENS, FaceScreen, Screen
from kiosk.ui.screens_maintenance import CameraScreen
from kiosk.ui.simpanel import SimControls, sim_panel
from kiosk.ui.speech import reading_order, speak, utterance
from kiosk.ui.theme import FONT_FAMILIES, SIZES, stylesheet, theme_for, use
from kiosk.ui.widgets import IconButton, action_button, clear, connect_action, label

__all__ = ["IdleOverlay", "KioskWindow", "SimControls"]

TITLE_WIDTH = 760  # the most the service title takes of the top bar


class KioskWindow(QWidget):
    acted = Signal(str, object)
    touched = Signal()

    def __init__(self, languages: Sequence[str], simulated: Sequence[str],
                 service_titles: Mapping[str, Mapping[str, str]],
                 sim: SimControls | None = None, speaker: Any = None) -> None:
        super().__init__()
        self.setObjectName("KioskWindow")
        self.setStyleSheet(stylesheet())
        self.languages = list(languages)
        self.simulated = list(simulated)
        self.sim = sim
        self.speaker = speaker  # a kiosk.devices speaker: the screen read aloud
        self.service_titles = service_titles
        self.view: View | None = None
        self.screen: Screen | None = None
        # What the citizen typed on the screen on show, kept while the same
        # step shows the same data (a language switch redraws, it does not reset).
        self.draft: dict[str, Any] = {}
        self._draft_key: tuple | None = None
        if sim is not None:
            # Queued: the panel is redrawn after the tap that changed it has been
            # handled, never under the button being released.
            sim.changed.connect(self._sim_changed, Qt.ConnectionType.QueuedConnection)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.top = QFrame(objectName="TopBar")
        self.top.setFixedHeight(SIZES.bar_height)
        self.top_row = QHBoxLayout(self.top)
        self.top_row.setContentsMargins(SIZES.margin, 0, SIZES.margin, 0)
        self.stack = QStackedWidget(objectName="Screens")
        self.bottom = QFrame(objectName="BottomBar")
        self.bottom.setFixedHeight(SIZES.bar_height + 24)
        self.bottom_row = QHBoxLayout(self.bottom)
        self.bottom_row.setContentsMargins(SIZES.margin, 0, SIZES.margin, 0)
        outer.addWidget(self.top)
        outer.addWidget(self.stack, 1)
        outer.addWidget(self.bottom)
        self.overlay = IdleOverlay(self)
        self.overlay.acted.connect(self.acted)
        self.guard = WindowGuard(self)
        self.guard.touched.connect(self.touched)
        self.guard.maintenance.connect(self._maintenance)

    def showEvent(self, event: Any) -> None:
        # Every press anywhere counts as the citizen being there (the idle
        # countdown restarts), and no escape key gets past the window.
        self.guard.guard(self)
        super().showEvent(event)

    def _maintenance(self, source: str) -> None:
        # The gesture only where no citizen is being served; the service switch
        # anywhere (maintenance waits for the session's end).
        if source == "switch" or (self.view is not None
                                  and self.view.screen in ("attract", "out_of_service")):
            self.acted.emit("maintenance", source)

    def resizeEvent(self, event: Any) -> None:
        self.overlay.setGeometry(self.rect())
        super().resizeEvent(event)

    def render(self, view: View) -> None:
        previous, self.view = self.view, view
        tr = self._tr(view)
        if use(theme_for(view.access.high_contrast, view.access.large_text)):
            # The citizen switched contrast or text size: every widget styled anew.
            self.setStyleSheet(stylesheet())
            self.top.setFixedHeight(SIZES.bar_height)
            self.bottom.setFixedHeight(SIZES.bar_height + 24)
            previous = None
        same_screen = previous is not None and _without_idle(previous) == _without_idle(view)
        if not same_screen:
            self._render_top(view, tr)
            self._render_bottom(view, tr)
            # Widgets added to a visible bar only show on a later event loop turn;
            # show them now, so what is drawn (and photographed) is whole at once.
            for bar in (self.top, self.bottom):
                for child in bar.findChildren(QWidget):
                    if not child.isVisible():
                        child.show()
            key = _draft_key(view)
            if key != self._draft_key:
                self._draft_key, self.draft = key, {}
            screen = SCREENS[view.screen]()
            screen.setObjectName(f"screen:{view.screen}")
            screen.draft = self.draft
            screen.acted.connect(self.acted)
            screen.render(view, tr)
            self.stack.addWidget(screen)
            self.stack.setCurrentWidget(screen)
            if self.screen is not None:
                self.stack.removeWidget(self.screen)
                self.screen.setParent(None)  # gone from findChild at once, not later
                self.screen.deleteLater()
            self.screen = screen
            # Lay it out now (twice: wrapped text settles its height once it has
            # its width), so what is drawn and photographed is final at once.
            for _ in range(2):
                QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            screen.on_shown()
            if view.screen == "otp" and self.sim is not None:
                self.sim.refresh_phone()  # the code the step just sent
        elif self.screen is not None:
            self.screen.shown_again()
        self.overlay.render(view.idle_seconds_left, tr)
        self._read_aloud(previous, view, new=not same_screen)

    def _read_aloud(self, previous: View | None, view: View, new: bool) -> None:
        """Say the screen when it is ``new``, when asked again, or the idle
        warning when it appears; stop when the citizen turns speech off."""
        if not view.access.speech:
            if previous is not None and previous.access.speech and self.speaker is not None:
                self.speaker.stop()
            return
        warned = view.idle_seconds_left is not None and (
            previous is None or previous.idle_seconds_left is None)
        again = previous is not None and previous.access.repeats != view.access.repeats
        if warned:
            text = utterance(reading_order(self, [self.overlay.dialog]), view.lang)
        elif new or again:
            text = self.spoken_text()
        else:
            return
        speak(self.speaker, text, view.lang, view.access.volume)

    def spoken_text(self) -> str:
        """What reading the screen aloud says (the gallery and tests look too):
        the top bar and the screen, without the chrome every screen has (the
        government, the language and access buttons)."""
        if self.view is None:
            return ""
        tr = self._tr(self.view)
        chrome = {tr("header.government"), tr("header.kiosk"), *LANGUAGE_NAMES.values(),
                  *(tr(f"access.{k}") for k in ("large_text", "contrast", "speech"))}
        texts = reading_order(self, [self.top, self.screen] if self.screen else [self.top])
        return utterance((t for t in texts if t not in chrome), self.view.lang)

    @staticmethod
    def _tr(view: View) -> Callable[..., str]:
        def tr(key: str, **values: Any) -> str:
            return t(key, view.lang, **values)
        return tr

    def _sim_changed(self) -> None:
        if self.view is not None:
            self._render_bottom(self.view, self._tr(self.view))
            for child in self.bottom.findChildren(QWidget):
                if not child.isVisible():
                    child.show()

    def show_frame(self, frame: Frame, overlay: Mapping[str, Any]) -> bool:
        # The citizen's face step, or maintenance's camera preview.
        if isinstance(self.screen, FaceScreen | CameraScreen) and self.view is not None:
            lang = self.view.lang
            self.screen.show_frame(frame, overlay, lambda key, **v: t(key, lang, **v))
            return True
        return False

    def _render_top(self, view: View, tr: Callable[..., str]) -> None:
        """Who serves the citizen (the government, or the service open and its
        step), then the display and speech choices, then the languages."""
        clear(self.top_row)
        where = QVBoxLayout()
        where.setSpacing(2)
        where.addStretch(1)
        technician = view.screen.startswith("maint_")
        if technician:
            # The technician's screens say so, and whose session it is.
            where.addWidget(label(tr("maint.title"), name="ServiceTitle"))
            if view.data.get("technician"):
                role = tr(f"maint.role.{view.data.get('role') or 'technician'}")
                where.addWidget(label(tr("maint.technician", technician=view.data["technician"],
                                         role=role), "muted", name="Technician"))
        elif view.service_id:
            titles = self.service_titles.get(view.service_id, {})
            title = label(titles.get(view.lang, ""), name="ServiceTitle")
            # One line where there is room for it (a long Portuguese title wrapped
            # at its own hint width crowded the bar); two when there is not.
            font = QFont(list(FONT_FAMILIES))
            font.setPixelSize(SIZES.body)
            font.setBold(True)
            title.setMinimumWidth(min(QFontMetrics(font).horizontalAdvance(title.text()) + 8,
                                      TITLE_WIDTH))
            where.addWidget(title)
            where.addWidget(label(tr("nav.step", step=view.step, steps=view.steps),
                                  name="StepLabel"))
        else:
            for text, name in ((tr("header.government"), "Government"),
                               (tr("header.kiosk"), "Kiosk")):
                line = label(text, name=name)
                line.setWordWrap(False)
                where.addWidget(line)
        where.addStretch(1)
        self.top_row.addLayout(where)
        self.top_row.addStretch(1)
        if self.simulated and not view.service_id:
            badge = QLabel(tr("sim.badge"), objectName="SimBadge")
            badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
            badge.setToolTip(", ".join(self.simulated))
            self.top_row.addWidget(badge, 0, Qt.AlignmentFlag.AlignVCenter)
            self.top_row.addSpacing(SIZES.gap)
        access = view.access
        choices = (("text_size", "large_text", access.large_text),
                   ("contrast", "contrast", access.high_contrast),
                   ("speech", "speech", access.speech))
        for icon, choice, on in () if technician else choices:
            b = IconButton(icon, "access", choice, tr(f"access.{choice}"))
            b.setChecked(on)
            connect_action(b, self.acted.emit)
            self.top_row.addWidget(b)
        self.top_row.addSpacing(SIZES.gap)
        for lang in self.languages:
            b = action_button(LANGUAGE_NAMES[lang], "set_lang", lang, role="lang")
            b.setCheckable(True)
            b.setChecked(lang == view.lang)
            b.setMinimumWidth(0)
            connect_action(b, self.acted.emit)
            self.top_row.addWidget(b)

    def _render_bottom(self, view: View, tr: Callable[..., str]) -> None:
        clear(self.bottom_row)
        # No way out while the machine works (issuing, printing): a citizen who
        # cancels mid-print would leave with nothing the backend already issued.
        in_session = view.screen not in ("attract", "language", "done", "progress", "reminder",
                                         "out_of_service") and not view.screen.startswith("maint_")
        buttons: list[QPushButton] = []
        if in_session:
            buttons.append(action_button(tr("nav.cancel"), "cancel"))
        if in_session and view.service_id:
            buttons.append(action_button(tr("nav.home"), "home"))
        if view.access.speech:
            # Softer, louder, read again: drawn icons, named for the speech itself.
            buttons += [IconButton(icon, "access", icon, tr(f"access.{icon}"), bar=False)
                        for icon in ("softer", "louder", "repeat")]
        for b in buttons:
            connect_action(b, self.acted.emit)
            self.bottom_row.addWidget(b)
        if view.access.speech:
            volume = label(tr("access.volume", volume=view.access.volume), "muted",
                           name="Volume")
            volume.setWordWrap(False)
            self.bottom_row.addWidget(volume)
        self.bottom_row.addStretch(1)
        if self.sim is not None:
            panel = sim_panel(self.sim, view, tr)
            if panel is not None:
                # On the code screen the phone's message takes what room there is.
                self.bottom_row.addWidget(panel, 8 if view.screen == "otp" else 0)


def _without_idle(view: View) -> tuple:
    a = view.access
    # The data itself, compared with ==: a repr of the whole catalog on every
    # view was measured at 2 ms a time.
    return (view.screen, view.lang, view.data, view.service_id, view.step,
            a.high_contrast, a.large_text, a.speech, a.volume)


def _draft_key(view: View) -> tuple:
    """Views that share what was typed: the same step showing the same data, in
    whatever language. When the step shows new data (a form with errors), the
    view's own values count again."""
    return (view.service_id, view.step_id, view.screen, view.data)


class IdleOverlay(QWidget):
    """The "do you need more time?" warning, over whatever screen is showing."""

    acted = Signal(str, object)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("IdleOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.dialog = QFrame(self, objectName="IdleDialog")
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.box = QVBoxLayout(self.dialog)
        self.box.setContentsMargins(SIZES.margin, SIZES.margin, SIZES.margin, SIZES.margin)
        self.box.setSpacing(SIZES.gap)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(self.dialog, 0, Qt.AlignmentFlag.AlignCenter)
        outer.addStretch(1)
        self.hide()

    def render(self, seconds_left: int | None, tr: Callable[..., str]) -> None:
        if seconds_left is None:
            self.hide()
            return
        clear(self.box)
        self.box.addWidget(label(tr("idle.title"), "title", align=Qt.AlignmentFlag.AlignCenter))
        self.box.addWidget(label(tr("idle.body", seconds=seconds_left), "body",
                                 align=Qt.AlignmentFlag.AlignCenter, name="IdleCountdown"))
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap)
        for text, action, role in (("idle.end", "cancel", ""),
                                   ("idle.more_time", "more_time", "primary")):
            b = action_button(tr(text), action, role=role)
            connect_action(b, self.acted.emit)
            row.addWidget(b)
        self.box.addLayout(row)
        width = 1100 if SIZES.body < 32 else 1300
        self.dialog.setFixedWidth(width)
        # As tall as its wrapped texts need at that width (the centring layout
        # would give it only its unwrapped hint, and cut the last line).
        self.dialog.setFixedHeight(self.box.totalHeightForWidth(width))
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
