"""The demo's simulation panel: the hands and the phone of a pretend citizen.

Only on a terminal with simulated devices. It puts demo cards in and takes
them out, shows the last SMS the sandbox sent to the citizen's phone and pays
a payment with the phone's wallet. The phone is anything with ``DemoPhone``'s
methods (``kiosk.app.Terminal.demo_phone``); kiosk.ui never imports the
sandbox. Its calls are HTTP, so they run off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from kiosk.journey import View
from kiosk.ui.theme import SIZES
from kiosk.ui.widgets import label

Background = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]


class DemoPhone(Protocol):
    """The demo citizen's phone (``kiosk.sandbox.phone.SandboxPhone`` is one)."""

    def messages(self) -> list[dict[str, Any]]:
        """Every SMS received, oldest first: ``{at, phone_masked, text, code}``."""
        ...

    def last_code(self) -> str | None: ...

    def pay(self, payment_id: str) -> bool: ...


class SimControls(QObject):
    """What the simulation panel can do. ``background(work, done)`` runs
    ``work`` off the UI thread and calls ``done(result, error)`` back on it (the
    host's ``run_in_background``); set once the host exists."""

    changed = Signal()  # the phone has news: redraw the panel

    def __init__(self, cards: Sequence[str], insert: Callable[[str], None],
                 remove: Callable[[], None], phone: DemoPhone | None = None,
                 background: Background | None = None) -> None:
        super().__init__()
        self.cards = list(cards)
        self.insert = insert
        self.remove = remove
        self.phone = phone
        self.background = background
        # Set where the simulated printer senses its exit slot: the panel's
        # "take the printout" (a real citizen's hand does it on a real kiosk).
        self.take_printout: Callable[[], None] | None = None
        self.last_sms: Mapping[str, Any] | None = None
        self.wallet: str | None = None  # None | paying | paid | failed
        self.paid_for: str | None = None

    def _run(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]
             ) -> None:
        if self.background is not None:
            self.background(work, done)
        else:
            try:
                result, error = work(), None
            except Exception as e:
                result, error = None, e
            done(result, error)

    def refresh_phone(self) -> None:
        phone = self.phone
        if phone is None:
            return

        def done(messages: Any, error: BaseException | None) -> None:
            if error is None and messages:
                self.last_sms = messages[-1]
                self.changed.emit()

        self._run(phone.messages, done)

    def pay(self, payment_id: str) -> None:
        phone = self.phone
        if phone is None or self.wallet == "paying":
            return
        self.wallet, self.paid_for = "paying", payment_id
        self.changed.emit()

        def done(ok: Any, error: BaseException | None) -> None:
            self.wallet = "paid" if error is None and ok else "failed"
            self.changed.emit()

        self._run(lambda: phone.pay(payment_id), done)


def _sim_button(text: str, name: str, on_tap: Callable[[], None]) -> QPushButton:
    b = QPushButton(text, objectName=name)
    b.setProperty("role", "sim")
    b.setMinimumWidth(0)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.clicked.connect(lambda _=False: on_tap())
    return b


CARD_SCREENS = ("attract", "insert_card", "done", "error", "reminder")


def sim_panel(sim: SimControls, view: View, tr: Callable[..., str]) -> QFrame | None:
    """The panel for ``view``, or None when it has nothing to offer there."""
    pending = view.data.get("status", "pending") == "pending"
    phone_screen = sim.phone is not None and (
        view.screen == "otp" or (view.screen == "payment" and pending))
    if view.screen not in CARD_SCREENS and not phone_screen:
        return None
    panel = QFrame(objectName="SimPanel")
    panel.setProperty("role", "simpanel")
    panel.setMaximumHeight(SIZES.bar_height)
    row = QHBoxLayout(panel)
    row.setContentsMargins(16, 8, 16, 8)
    if view.screen in CARD_SCREENS and sim.cards:
        hint = label(tr("sim.insert"), "muted")
        hint.setWordWrap(False)
        row.addWidget(hint)
        for card in sim.cards:
            row.addWidget(_sim_button(card, f"sim:insert:{card}",
                                      lambda c=card: sim.insert(c)))
        row.addWidget(_sim_button(tr("sim.remove"), "sim:remove", sim.remove))
    if view.screen == "reminder" and "printout" in view.data["items"] and sim.take_printout:
        row.addWidget(_sim_button(tr("sim.take_printout"), "sim:take_printout",
                                  sim.take_printout))
    if phone_screen:
        row.addWidget(_phone(sim, view, tr), 1)
    return panel


def _phone(sim: SimControls, view: View, tr: Callable[..., str]) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(12)
    title = label(tr("ui.sim.phone"), "muted")
    title.setWordWrap(False)
    row.addWidget(title)
    if view.screen == "payment":
        payment_id = str(view.data.get("payment_id", ""))
        state = sim.wallet if sim.paid_for == payment_id else None
        text = {"paying": "ui.sim.paying", "paid": "ui.sim.paid",
                "failed": "ui.sim.pay_failed"}.get(state or "", "")
        shown = QLabel(tr(text) if text else "", objectName="SimPhone")
        row.addWidget(shown, 1)
        if view.data.get("status", "pending") == "pending" and state not in ("paying", "paid"):
            row.addWidget(_sim_button(tr("ui.sim.pay"), "sim:pay", lambda: sim.pay(payment_id)))
    else:
        sms = sim.last_sms
        shown = QLabel(objectName="SimPhone")
        shown.setWordWrap(True)
        if sms:
            # The code large, then the message as the phone shows it.
            code, text = str(sms.get("code") or ""), str(sms.get("text") or "")
            shown.setTextFormat(Qt.TextFormat.RichText)
            shown.setText(f"<span style='font-size:{SIZES.body}px; font-weight:bold'>"
                          f"{escape(code)}</span>&nbsp;&nbsp; {escape(text)}")
        else:
            shown.setText(tr("ui.sim.phone_empty"))
        row.addWidget(shown, 1)
        row.addWidget(_sim_button(tr("ui.sim.phone_check"), "sim:phone", sim.refresh_phone))
    return box
