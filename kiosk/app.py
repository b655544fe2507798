"""The composition root: config → devices, gateway, services → a terminal the UI runs.

The only place that knows which concrete drivers, simulators and backend a
terminal uses. Everything below it is handed what it needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.api.client import GatewayClient
from kiosk.api.errors import GatewayError, GatewayRejected, GatewayUnavailable
from kiosk.config import Config, ConfigError, data_dir
from kiosk.devices.alerts import DeviceAlerts
from kiosk.devices.base import Device
from kiosk.devices.camera import SimulatedCamera
from kiosk.devices.card_reader import SimulatedCardReader
from kiosk.devices.pcsc import PcscCardReader
from kiosk.devices.printer import SimulatedPrinter
from kiosk.devices.speaker import DEFAULT_VOLUME, SimulatedSpeaker
from kiosk.devices.status import CardReaderStatus, DeviceStatus, Media
from kiosk.fleet.monitor import start_fleet
from kiosk.i18n import LANGUAGES
from kiosk.identity.face import FaceVerifier, SimulatedFaceVerifier
from kiosk.identity.verify import TrustStore, TrustStoreError
from kiosk.offline.kept_prints import KeptPrints
from kiosk.offline.keys import KeyFileError, load_or_create_key
from kiosk.offline.outbox import Outbox, OutboxItem
from kiosk.offline.sealed import Sealer
from kiosk.offline.store import open_state
from kiosk.offline.sync import (
    Deliver,
    Outcome,
    PermanentDeliveryError,
    SyncWorker,
    TransientDeliveryError,
)
from kiosk.sandbox.demo import DEMO_CITIZENS, portrait_jpeg
from kiosk.sandbox.issuer import demo_profile, sandbox_trust_store
from kiosk.sandbox.phone import SandboxPhone
from kiosk.sandbox.server import SandboxServer
from kiosk.services.contract import Service
from kiosk.services.registry import Registry, load_services

log = logging.getLogger(__name__)


@dataclass
class Terminal:
    config: Config
    home: Path
    backend_url: str
    gateway: GatewayClient
    devices: dict[str, Device]
    face_verifier: FaceVerifier
    trust: TrustStore
    registry: Registry
    services: list[Service]
    kept_prints: KeptPrints
    sandbox: SandboxServer | None = None
    # The demo citizen's phone (SMS codes, wallet payments), on simulated terminals only.
    demo_phone: SandboxPhone | None = None
    # Conditions field staff must see to (paper low, paper out, a device offline).
    alerts: DeviceAlerts | None = None
    # Transactions done while the gateway could not take them, until delivered.
    outbox: Outbox | None = None
    # Delivers the outbox in the background once started (the kiosk, not the tests).
    sync: SyncWorker | None = None
    _clients: list[GatewayClient] = field(default_factory=list)  # closed with the terminal
    # The metrics endpoint and heartbeat, as [fleet] says (docs/fleet.md); run() stops them.
    start_fleet = start_fleet

    def connectivity_probe(self) -> Callable[[], frozenset[str]]:
        """The connectivity monitor's probe, on a client of its own: no retries and
        short timeouts, so a dead link is known in seconds."""
        backend = self.config.backend
        client = GatewayClient(self.backend_url, self.config.terminal.id,
                               backend.terminal_token, connect_timeout=2.0,
                               read_timeout=5.0, retries=0)
        self._clients.append(client)
        return gateway_probe(client)

    def start_sync(self, on_outcome: Callable[[Outcome], None] | None = None
                   ) -> SyncWorker | None:
        """Start delivering the outbox off the UI thread; it resumes what a stop left.
        ``on_outcome`` hears of every delivery attempt (metrics, tests)."""
        if self.outbox is not None and self.sync is None:
            # Its own client: a requests session is not shared across threads, and
            # the worker does its own backoff (the client's retries would sleep in it).
            backend = self.config.backend
            client = GatewayClient(
                self.backend_url, self.config.terminal.id, backend.terminal_token,
                connect_timeout=backend.connect_timeout_s,
                read_timeout=backend.read_timeout_s, retries=0)
            self._clients.append(client)
            self.sync = SyncWorker(self.outbox, outbox_delivery(client),
                                   on_outcome=on_outcome).start()
        return self.sync

    @property
    def simulated_devices(self) -> list[str]:
        return [name for name, d in self.devices.items() if d.simulated]

    def close(self) -> None:
        if self.sync is not None:
            self.sync.stop()
        for client in self._clients:
            client.close()
        for device in self.devices.values():
            device.close()
        self.face_verifier.close()
        if self.demo_phone is not None:
            self.demo_phone.close()
        if self.sandbox is not None:
            self.sandbox.stop()


def face_verifier(config: Config) -> FaceVerifier:
    face = config.face
    verifier: FaceVerifier
    if face.engine == "simulator":
        verifier = SimulatedFaceVerifier(liveness=face.liveness)
    else:
        from kiosk.identity.faceengine import DlibFaceVerifier  # loads numpy and dlib

        # The engine runs in a warm worker process: dlib holds the GIL.
        verifier = DlibFaceVerifier(
            threshold=face.threshold, worker=True, landmarks=face.landmarks,
            liveness=face.liveness, challenge_length=face.challenge_length,
            min_frames=face.min_frames)
    # The VerifyFace step reads it from the verifier it is given.
    verifier.attempt_timeout_s = face.attempt_timeout_s  # type: ignore[attr-defined]
    return verifier


def trust_store(config: Config) -> TrustStore:
    """The issuer CAs this terminal trusts; a bad anchor is a configuration error."""
    try:
        return TrustStore.from_config(
            config.identity,
            sandbox=sandbox_trust_store() if config.identity.trusts_sandbox else None)
    except TrustStoreError as e:
        raise ConfigError(str(e)) from None


def _sealer(home: Path) -> Sealer:
    try:
        return Sealer(load_or_create_key(home / "keys" / "data.key"))
    except KeyFileError as e:
        raise ConfigError(f"the terminal's data key: {e}") from None


def kept_prints(config: Config, home: Path) -> KeptPrints:
    """The printouts kept after a failed print, sealed with the terminal's key."""
    kept = KeptPrints(open_state(home / "state" / "terminal.db"), _sealer(home),
                      keep_days=config.printing.keep_days)
    expired = kept.expire()
    if expired:
        log.info("erased %d kept printout(s) older than %g days", expired,
                 config.printing.keep_days)
    return kept


def outbox(config: Config, home: Path, *, resume: bool = True) -> Outbox:
    """The queue of transactions to deliver: the same state file and key as the
    kept printouts (its own connection, so the sync worker writes beside the
    journey). ``resume=False`` to look without taking items from a running kiosk."""
    return Outbox(open_state(home / "state" / "terminal.db"), _sealer(home), resume=resume)


# Refusals that say nothing about the item itself: the terminal's credential, or
# "too many requests". Retried later rather than filed as dead letters.
_NOT_THE_ITEMS_FAULT = frozenset({"unauthorized", "forbidden"})


def outbox_delivery(gateway: GatewayClient) -> Deliver:
    """How the sync worker delivers an outbox item: a submit with the item's
    idempotency key, the gateway's errors sorted into retry-later and give-up.

    The payload is ``{service_id, card_number, id_number, form, payment_id?,
    otp_token?}``. Error texts name the call and the code, never the data.
    """

    def deliver(item: OutboxItem, payload: dict[str, Any]) -> object:
        try:
            service_id, card, id_number, form = (payload[k] for k in (
                "service_id", "card_number", "id_number", "form"))
        except KeyError as e:
            raise PermanentDeliveryError(f"payload without {e.args[0]!r}") from None
        try:
            return gateway.submit(service_id, card, id_number, form,
                                  idempotency_key=item.idempotency_key,
                                  payment_id=payload.get("payment_id"),
                                  otp_token=payload.get("otp_token"))
        except GatewayUnavailable as e:  # unreachable, 5xx, the department down
            raise TransientDeliveryError(f"{e.code}: {e}", retry_after_s=e.retry_after_s) from None
        except GatewayRejected as e:
            if e.status == 429 or e.code in _NOT_THE_ITEMS_FAULT:
                raise TransientDeliveryError(f"{e.code}: {e}",
                                             retry_after_s=e.retry_after_s) from None
            raise PermanentDeliveryError(f"{e.code}: {e}") from None
        except GatewayError as e:  # a malformed reply: the key makes asking again safe
            raise TransientDeliveryError(f"{e.code}: {e}") from None

    return deliver


def gateway_probe(gateway: GatewayClient) -> Callable[[], frozenset[str]]:
    """The connectivity monitor's probe: the departments down; raises when the
    gateway cannot be reached. Give it a client of its own with no retries."""

    def probe() -> frozenset[str]:
        return frozenset(d for d, s in gateway.departments_status().items() if s != "up")

    return probe


def build_terminal(config: Config, *, backend_url: str | None = None) -> Terminal:
    home = data_dir(config.terminal.data_dir or None)
    trust = trust_store(config)
    kept = kept_prints(config, home)
    sandbox = None
    url = backend_url or config.backend.url
    token = config.backend.terminal_token
    if backend_url is None and config.uses_embedded_sandbox:
        # The embedded sandbox starts from the demo data every time, so a demo
        # can be replayed; `kiosk sandbox serve` keeps its state instead.
        db = home / "sandbox" / "embedded-gateway.db"
        for leftover in db.parent.glob(db.name + "*"):
            leftover.unlink()
        sandbox = SandboxServer(db, terminals={config.terminal.id: token})
        sandbox.start()
        url = sandbox.url
        log.info("embedded sandbox gateway at %s", url)
    gateway = GatewayClient(url, config.terminal.id, token,
                            connect_timeout=config.backend.connect_timeout_s,
                            read_timeout=config.backend.read_timeout_s,
                            retries=config.backend.retries)
    devices = build_devices(config, home)
    registry = load_services()
    # A terminal on simulated devices is a demo or a test: its citizen's phone is
    # the sandbox's SMS outbox and wallet. Not the speaker: a terminal whose config
    # predates it gets the (silent) simulated one without being a demo.
    phone = SandboxPhone(url) if any(d.simulated for name, d in devices.items()
                                     if name != "speaker") else None
    alerts = DeviceAlerts(devices.values(), home / "state" / "alerts.json")
    return Terminal(config, home, url, gateway, devices, face_verifier(config), trust,
                    registry, registry.enabled(config.enabled_services), kept, sandbox, phone,
                    alerts, outbox(config, home))


def _option(config: Config, device: str, key: str, default: Any, kind: type) -> Any:
    """A driver setting, checked: a wrong type is a config error naming the key."""
    value = config.device(device).options.get(key, default)
    try:
        if kind is bool and not isinstance(value, bool):
            raise TypeError
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"devices.{device}.{key}: must be a {kind.__name__}") from None


def _card_reader(config: Config) -> Device:
    if config.device("card_reader").driver == "pcsc":
        extended = config.device("card_reader").options.get("extended")
        reader: Device = PcscCardReader(
            reader=_option(config, "card_reader", "reader", "", str),
            poll_s=_option(config, "card_reader", "poll_s", 0.5, float),
            extended=None if extended is None else _option(config, "card_reader", "extended",
                                                           True, bool))
        reader.open()
        return reader
    # Demo cards personalised by the sandbox issuer: the demo reads them through
    # the same APDU code and verification as a real card.
    cards = {c.card_number: demo_profile(c) for c in DEMO_CITIZENS}
    return SimulatedCardReader(cards, read_delay_s=_option(config, "card_reader",
                                                           "read_delay_s", 0.8, float))


def build_printer(config: Config, home: Path) -> Device:
    """The configured printer, opened (the CLI's test page uses it alone)."""
    driver = config.device("printer").driver
    if driver == "cups":
        from kiosk.devices.cups import CupsPrinter

        cups = CupsPrinter(_option(config, "printer", "queue", "kiosk", str),
                           server=_option(config, "printer", "server", "", str))
        cups.open()
        return cups
    if driver == "escpos":
        from kiosk.devices.escpos import EscPosPrinter
        from kiosk.devices.escpos_transports import connector

        try:
            connect = connector(config.device("printer").options)
        except (ValueError, TypeError) as e:
            raise ConfigError(f"devices.printer: {e}") from None
        escpos = EscPosPrinter(connect, poll_s=_option(config, "printer", "poll_s", 2.0, float),
                               width_dots=_option(config, "printer", "width_dots", 576, int),
                               dpi=_option(config, "printer", "dpi", 203, int))
        escpos.open()
        return escpos
    return SimulatedPrinter(
        home / "printed", sheets=_option(config, "printer", "sheets", 500, int),
        seconds_per_page=_option(config, "printer", "seconds_per_page", 0.8, float),
        presenter=_option(config, "printer", "presenter", False, bool))


_SPEAKER_OPTIONS = frozenset({"volume", "output", "voices", "rate", "espeak", "aplay", "keep"})


def build_speaker(config: Config, home: Path) -> Device:
    """The configured speaker, opened: the screen read aloud and reminder chimes.
    No service needs it: one that is down only goes quiet (docs/speech.md)."""
    spec = config.device("speaker")
    unknown = sorted(set(spec.options) - _SPEAKER_OPTIONS)
    if unknown:
        raise ConfigError(f"devices.speaker.{unknown[0]}: unknown key")
    volume = _option(config, "speaker", "volume", DEFAULT_VOLUME, int)
    if not 0 <= volume <= 100:
        raise ConfigError("devices.speaker.volume: must be 0 to 100")
    if spec.driver == "simulator":
        return SimulatedSpeaker(volume=volume)
    if spec.driver != "espeak":
        raise ConfigError(f"devices.speaker.driver: {spec.driver!r} is not one of "
                          "simulator, espeak")
    from kiosk.devices.espeak import DEFAULT_RATE, EspeakSpeaker

    output = _option(config, "speaker", "output", "alsa:default", str)
    where, _, place = output.partition(":")
    if where not in ("alsa", "dir") or not place:
        raise ConfigError("devices.speaker.output: must be \"alsa:DEVICE\" (an ALSA PCM, "
                          "e.g. \"alsa:default\") or \"dir:PATH\"")
    voices = spec.options.get("voices", {})
    if not isinstance(voices, dict) or not all(
            lang in LANGUAGES and isinstance(v, str) and v for lang, v in voices.items()):
        raise ConfigError("devices.speaker.voices: a table of espeak-ng voice names by "
                          f"language ({', '.join(LANGUAGES)})")
    rate = _option(config, "speaker", "rate", DEFAULT_RATE, int)
    if not 80 <= rate <= 450:
        raise ConfigError("devices.speaker.rate: words per minute, 80 to 450")
    speaker = EspeakSpeaker(
        alsa_device=place if where == "alsa" else "default",
        # Relative to the terminal's data directory.
        out_dir=home / Path(place).expanduser() if where == "dir" else None,
        espeak=_option(config, "speaker", "espeak", "espeak-ng", str),
        aplay=_option(config, "speaker", "aplay", "aplay", str),
        voices=voices, rate=rate, volume=volume,
        keep=_option(config, "speaker", "keep", 50, int))
    speaker.open()
    return speaker


def build_devices(config: Config, home: Path) -> dict[str, Device]:
    reader = _card_reader(config)
    if config.device("camera").driver == "opencv":
        from kiosk.devices.opencv_camera import OpenCvCamera  # loads OpenCV

        source = config.device("camera").options.get("source", 0)
        if not isinstance(source, int | str) or isinstance(source, bool):
            raise ConfigError("devices.camera.source: a camera index, a path or a URL")
        width = config.device("camera").options.get("width")
        height = config.device("camera").options.get("height")
        opencv = OpenCvCamera(source, fps=_option(config, "camera", "fps", 30.0, float),
                              width=None if width is None else _option(config, "camera",
                                                                       "width", 0, int),
                              height=None if height is None else _option(config, "camera",
                                                                         "height", 0, int),
                              loop=_option(config, "camera", "loop", False, bool))
        opencv.open()
        return {"card_reader": reader, "camera": opencv, "printer": build_printer(config, home),
                "speaker": build_speaker(config, home)}
    camera = SimulatedCamera(fps=_option(config, "camera", "fps", 12.0, float))
    printer = build_printer(config, home)
    # Who stands at the simulated camera: the holder of the inserted card (a demo
    # card's own portrait; for any other card, a drawn stand-in), unless the
    # config says a stranger (or nobody) does, to demo a refusal.
    subject = _option(config, "camera", "subject", "holder", str)
    if subject not in ("holder", "stranger", "nobody"):
        raise ConfigError("devices.camera.subject: must be holder, stranger or nobody")

    def person_follows_card(device: Device, status: DeviceStatus) -> None:
        if isinstance(status, CardReaderStatus) and status.media is Media.PRESENT:
            key = getattr(reader, "inserted", None)
            holder = next((c for c in DEMO_CITIZENS if c.card_number == key), DEMO_CITIZENS[0])
            if subject == "nobody":
                camera.set_person(None, None)
            elif subject == "stranger":
                other = next(c for c in DEMO_CITIZENS if c is not holder)
                camera.set_person(portrait_jpeg(other), "stranger")
            else:
                camera.set_person(portrait_jpeg(holder), "holder")

    reader.subscribe(person_follows_card)
    return {"card_reader": reader, "camera": camera, "printer": printer,
            "speaker": build_speaker(config, home)}
