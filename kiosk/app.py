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
from kiosk.app_devices import build_devices
from kiosk.app_devices import build_printer as build_printer  # the CLI's test page
from kiosk.config import Config, ConfigError, data_dir
from kiosk.devices.alerts import DeviceAlerts
from kiosk.devices.base import Device
from kiosk.fleet.monitor import start_fleet
from kiosk.identity.face import FaceVerifier, SimulatedFaceVerifier
from kiosk.identity.verify import TrustStore, TrustStoreError
from kiosk.maintenance.build import Watchers, build_maintenance
from kiosk.maintenance.diagnostics import terminal_trust
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
    # The file settings changed in maintenance are saved to (None: the defaults,
    # saved to <data dir>/terminal.toml when a technician first changes one).
    config_path: Path | None = None
    _clients: list[GatewayClient] = field(default_factory=list)  # closed with the terminal
    _watchers: Watchers | None = None
    # The metrics endpoint and heartbeat, as [fleet] says (docs/fleet.md); run() stops them.
    start_fleet = start_fleet
    # Maintenance mode (docs/maintenance.md), built by the UI around its journey.
    maintenance = build_maintenance

    def watchers(self) -> Watchers:
        """The counters and device history, watching from the first call on."""
        if self._watchers is None:
            self._watchers = Watchers(self.config, self.home, self.devices)
        return self._watchers

    def connectivity_probe(self) -> Callable[[], frozenset[str]]:
        """The connectivity monitor's probe, on a client of its own: no retries and
        short timeouts, so a dead link is known in seconds."""
        client = GatewayClient.for_terminal(self.config, self.backend_url,
                                            connect_timeout=2.0, read_timeout=5.0, retries=0)
        self._clients.append(client)
        return gateway_probe(client)

    def start_sync(self, on_outcome: Callable[[Outcome], None] | None = None
                   ) -> SyncWorker | None:
        """Start delivering the outbox off the UI thread; it resumes what a stop left.
        ``on_outcome`` hears of every delivery attempt (metrics, tests)."""
        if self.outbox is not None and self.sync is None:
            # Its own client: a requests session is not shared across threads, and
            # the worker does its own backoff (the client's retries would sleep in it).
            client = GatewayClient.for_terminal(self.config, self.backend_url, retries=0)
            self._clients.append(client)
            self.sync = SyncWorker(self.outbox, outbox_delivery(client),
                                   on_outcome=on_outcome).start()
        return self.sync

    @property
    def simulated_devices(self) -> list[str]:
        return [name for name, d in self.devices.items() if d.simulated]

    def close(self) -> None:
        if self._watchers is not None:
            self._watchers.close()
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
        return terminal_trust(config)
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


def build_terminal(config: Config, *, backend_url: str | None = None,
                   config_path: Path | None = None) -> Terminal:
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
    gateway = GatewayClient.for_terminal(config, url)
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
                    alerts, outbox(config, home), config_path=config_path)
