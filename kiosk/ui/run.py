"""Start the Qt kiosk on a built terminal: window, host, journey, device events."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from kiosk import sdnotify
from kiosk.api.client import GatewayClient
from kiosk.config import Config
from kiosk.devices.base import Device
from kiosk.devices.card_reader import SimulatedCardReader
from kiosk.documents.fonts import register_fonts
from kiosk.i18n import pinyin
from kiosk.identity.face import FaceVerifier
from kiosk.identity.verify import TrustStore
from kiosk.journey import Journey
from kiosk.journey.host import ManualClock
from kiosk.maintenance.mode import CitizenScreen, Front, Maintenance
from kiosk.memory import release_free_memory
from kiosk.offline.connectivity import Connectivity
from kiosk.services.contract import Service
from kiosk.ui.bridge import QtHost
from kiosk.ui.lockdown import lock_window
from kiosk.ui.simpanel import DemoPhone, SimControls
from kiosk.ui.theme import DESIGN_SIZE
from kiosk.ui.window import KioskWindow

HEALTH_CHECK_S = 15.0
# What run() returns when settings saved in maintenance need a fresh start:
# the command starts the kiosk again (EX_TEMPFAIL: "try again").
RESTART_EXIT_CODE = 75


class TerminalParts(Protocol):
    """What the UI needs of a terminal (``kiosk.app.Terminal`` has it)."""

    config: Config
    devices: Mapping[str, Device]
    services: Sequence[Service]
    gateway: GatewayClient
    face_verifier: FaceVerifier
    trust: TrustStore

    def start_sync(self, on_outcome: Callable[[Any], None] | None = None) -> Any:
        """Start delivering the outbox in the background (None if there is none);
        ``on_outcome`` hears of every delivery attempt."""

    def connectivity_probe(self) -> Callable[[], frozenset[str]]:
        """The departments down; raises when the gateway cannot be reached."""

    @property
    def simulated_devices(self) -> list[str]: ...


@dataclass
class Kiosk:
    window: KioskWindow
    host: QtHost
    journey: Journey
    # The demo citizen's phone (simulated terminals only): SMS codes, a wallet.
    phone: DemoPhone | None = None
    # Maintenance mode, where the terminal offers it (kiosk.app.Terminal does).
    maintenance: Maintenance | None = None


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))


# Qt platform chatter that says nothing about the kiosk (the offscreen plugin
# cannot size a window hint it has no window manager for).
_QT_NOISE = ("propagateSizeHints",)
_qt_log = logging.getLogger("kiosk.ui.qt")


def _qt_message(mode: QtMsgType, context: object, message: str) -> None:
    if any(noise in message for noise in _QT_NOISE):
        return
    level = logging.DEBUG if mode == QtMsgType.QtDebugMsg else logging.WARNING
    _qt_log.log(level, "%s", message)


def application() -> QApplication:
    qInstallMessageHandler(_qt_message)
    existing = QApplication.instance()
    if existing is not None:
        return existing  # type: ignore[return-value]
    app = QApplication(sys.argv[:1])
    app.setApplicationName("kiosk")
    _qt_log.info("Qt platform %s", app.platformName())
    return app


def warm_up() -> threading.Thread:
    """Load now, off the UI thread, what the first citizen would otherwise wait
    for on it: the pinyin table (about 0.3 s to parse, at the first Chinese
    field) and the document fonts (reportlab parses the CJK font in Python,
    about 0.2 s, at the first printout). Measured as the longest event-loop
    stalls of a whole journey (benchmarks/event_loop_stall.py)."""

    def work() -> None:
        try:
            pinyin.load()
            register_fonts()
        except Exception:  # a missing font is reported where a document is made
            logging.getLogger(__name__).exception("warm-up failed")

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread


def build_kiosk(terminal: TerminalParts, *, lang: str | None = None,
                clock: ManualClock | None = None) -> Kiosk:
    """The window and journey of ``terminal``, not yet shown."""
    cfg = terminal.config
    reader = terminal.devices["card_reader"]
    phone: DemoPhone | None = getattr(terminal, "demo_phone", None)
    sim = None
    if isinstance(reader, SimulatedCardReader):
        sim = SimControls(reader.card_keys, reader.insert, reader.remove, phone)
    elif phone is not None:
        sim = SimControls([], lambda _card: None, lambda: None, phone)
    printer = terminal.devices.get("printer")
    if sim is not None and getattr(printer, "simulated", False):
        sim.take_printout = getattr(printer, "take_printout", None)
    services = terminal.services
    window = KioskWindow(cfg.terminal.languages, terminal.simulated_devices,
                         {s.id: s.titles for s in services}, sim,
                         speaker=terminal.devices.get("speaker"))
    host = QtHost(window, clock=clock)
    if sim is not None:
        sim.background = host.run_in_background  # the phone talks HTTP: never on the UI thread
    # The journey draws through ``citizen``, which maintenance holds back while it
    # has the screen.
    citizen = CitizenScreen(host)
    journey = Journey(host=citizen, services=services, devices=terminal.devices,
                      gateway=terminal.gateway, face_verifier=terminal.face_verifier,
                      kept_prints=terminal.kept_prints,
                      outbox=getattr(terminal, "outbox", None),
                      trust=terminal.trust, terminal_id=cfg.terminal.id,
                      languages=cfg.terminal.languages,
                      default_lang=lang or cfg.terminal.default_language, timeouts=cfg.session,
                      hours=cfg.service_hours)
    maintenance = _maintenance(terminal, host, citizen, journey, window)
    host.attach(Front(journey, maintenance) if maintenance is not None else journey)
    # Between two citizens, off the UI thread (a trim walks the whole heap).
    host.ended.connect(lambda _report: host.run_in_background(
        release_free_memory, lambda _result, _error: None))
    key = cfg.maintenance.service_key
    window.guard.service_key = QKeySequence(key) if key else None
    application()
    warm_up()
    for device in terminal.devices.values():
        device.subscribe(host.device_status)
    return Kiosk(window, host, journey, phone, maintenance)


def _maintenance(terminal: TerminalParts, host: QtHost, citizen: CitizenScreen,
                 journey: Journey, window: KioskWindow) -> Maintenance | None:
    build = getattr(terminal, "maintenance", None)
    if not callable(build):
        return None

    def restart() -> None:
        app = QApplication.instance()
        if app is not None:
            app.exit(RESTART_EXIT_CODE)

    def apply(config: Config) -> None:
        # What the window draws from the settings: the language buttons and the titles.
        window.languages = list(config.terminal.languages)
        window.service_titles = {s.id: s.titles for s in journey.services.values()}

    maintenance = build(host, citizen, journey, restart=restart, apply=apply)
    watchers = getattr(terminal, "watchers", None)
    if callable(watchers):
        host.ended.connect(watchers().session_ended)  # sessions counted by outcome
    return maintenance


def watch_backend(kiosk: Kiosk, probe: Callable[[], frozenset[str]],
                  back_online: Callable[[], None] | None = None) -> Connectivity:
    """Probe the gateway now and every ``HEALTH_CHECK_S`` on the connectivity
    monitor's thread; the catalog follows (on the UI thread), and ``back_online``
    is called when the gateway or a department answers again (the outbox's worker
    is woken: what waited is delivered at once, not at its next backoff)."""
    monitor = Connectivity(probe, interval_s=HEALTH_CHECK_S, wake=back_online)

    def changed(online: bool, down: frozenset[str]) -> None:
        kiosk.host.post(lambda: kiosk.journey.set_backend_online(online, down))

    monitor.subscribe(changed)
    return monitor.start()


def quit_on_signals() -> QTimer:
    """Ctrl-C (or a service manager's SIGTERM) ends the kiosk cleanly. Qt's event
    loop never returns to Python on its own, so a timer lets Python run its
    signal handlers. Installed before the application exists, so no signal
    falls into a window where it would be lost."""

    def stop(*_: object) -> None:
        # Queued, not app.quit() now: before app.exec() runs, a quit does nothing
        # and a SIGTERM right after start would be lost (the kiosk hung until killed).
        QTimer.singleShot(0, QApplication.quit)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    timer = QTimer()
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


def run(terminal: TerminalParts, *, windowed: bool = False, lang: str | None = None) -> int:
    app = application()
    ticker = quit_on_signals()
    kiosk = build_kiosk(terminal, lang=lang)
    kiosk.window.resize(*DESIGN_SIZE)
    if windowed:
        kiosk.window.show()
    else:
        lock_window(kiosk.window)
    # Fleet monitoring (docs/fleet.md): metrics endpoint and heartbeat, off this
    # thread; first, so the outbox's delivery outcomes are counted from the start.
    fleet = terminal.start_fleet() if hasattr(terminal, "start_fleet") else None
    sync = terminal.start_sync(on_outcome=fleet.outbox_outcome if fleet is not None else None)
    monitor = watch_backend(kiosk, terminal.connectivity_probe(),
                            (lambda: sync.wake(retry_now=True)) if sync is not None else None)
    if fleet is not None:
        kiosk.host.ended.connect(fleet.session_ended)
        fleet.watch(monitor)
        if kiosk.maintenance is not None:  # a kiosk out of service is an alert of its own
            mode = kiosk.maintenance
            fleet.metrics.service_state = lambda: mode.state
    kiosk.journey.start()
    logging.getLogger(__name__).info("kiosk on screen")
    # Under systemd (packaging/): ready now, and a watchdog ping from this, the UI
    # thread, so a frozen screen stops the pings and systemd restarts the kiosk.
    sdnotify.notify_ready()
    watchdog = QTimer(app)
    interval = sdnotify.watchdog_interval()
    if interval is not None:
        watchdog.timeout.connect(sdnotify.notify_watchdog)
        watchdog.start(int(interval * 1000))
    code = 0
    try:
        code = app.exec()
        return code
    finally:
        watchdog.stop()
        if code != RESTART_EXIT_CODE:
            # Not when restarting in place: after STOPPING=1 systemd would kill
            # the process that is about to exec itself (kiosk.cli_run.restart_if_asked).
            sdnotify.notify_stopping()
        if kiosk.maintenance is not None:
            kiosk.maintenance.pages.stop()  # a camera preview left running
        if fleet is not None:
            fleet.stop()
        monitor.stop()
        ticker.stop()
        kiosk.host.shutdown()
