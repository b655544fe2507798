"""The service plugin contract: what a department ships, and what a step may use.

A service is a declaration (id, department, titles, needs, offline policy,
steps). Steps are small reusable objects; the journey drives them through a
``StepContext``, which is their only window on the kiosk. Steps are shared by
every session, so they keep per-session state in ``ctx.state``, never on self.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from kiosk.i18n import LANGUAGES

if TYPE_CHECKING:
    from kiosk.api.client import GatewayClient
    from kiosk.devices.base import Device
    from kiosk.devices.status import DeviceStatus
    from kiosk.identity.face import FaceVerifier
    from kiosk.identity.frames import Frame
    from kiosk.identity.verify import TrustStore
    from kiosk.offline.kept_prints import KeptPrints
    from kiosk.offline.outbox import Outbox
    from kiosk.session import Session

T = TypeVar("T")
ENTRY_POINT_GROUP = "kiosk.services"
# The departments of the catalog, in the government's own order (SERVICES.md);
# a third party's new department comes after them.
KNOWN_DEPARTMENTS = ("dsi", "ssm", "fss", "ias", "fp", "dsf", "safp", "dsaj", "ic", "dsat")


class Need(StrEnum):
    CARD = "card"
    FACE = "face"
    SECOND_FACTOR = "second_factor"
    PAYMENT = "payment"
    PRINTER = "printer"


# The devices each need depends on; the catalog greys a service out when one is down.
NEED_DEVICES: Mapping[Need, tuple[str, ...]] = {
    Need.CARD: ("card_reader",),
    Need.FACE: ("camera",),
    Need.PRINTER: ("printer",),
}


class OfflinePolicy(StrEnum):
    LOCAL = "local"  # works with no network at all
    QUEUE = "queue"  # completes now, delivered later
    ONLINE = "online"  # unavailable while the backend is unreachable


class StepContext(Protocol):
    """What the journey offers a step. All methods are called on the journey's thread."""

    session: Session
    devices: Mapping[str, Device]
    gateway: GatewayClient
    face_verifier: FaceVerifier
    # Printouts that failed, kept sealed until they are printed.
    kept_prints: KeptPrints
    # Transactions of ``queue`` services waiting for the network (None: no outbox).
    outbox: Outbox | None
    # The service being used.
    service: Service | None
    # Whether the service's department can be reached now, as far as the kiosk knows.
    online: bool
    # The issuer CAs the terminal trusts, for card verification.
    trust: TrustStore
    terminal_id: str
    # Scratch space of the current step in this session; emptied when the step is entered.
    state: dict[str, Any]

    def show(self, screen: str, **view: Any) -> None:
        """Show a screen kind with its view data (text keys and plain values)."""

    def preview(self, frame: Frame, **overlay: Any) -> None:
        """Show a live camera frame on the current screen, with what the face
        engine saw (``box``, ``guidance``) and what to do next (``prompt``)."""

    def run(self, work: Callable[[], T], on_done: Callable[[T], None], *, wait: str,
            on_error: Callable[[BaseException], None] | None = None,
            citizen_acts: bool = False) -> None:
        """Run ``work`` off the UI thread; the citizen waits, and the wait is
        measured under ``wait``. ``on_done`` gets the result on the journey's thread;
        an exception goes to ``on_error``, by default an error screen with a retry.
        ``citizen_acts``: the work waits on the citizen (a payment on their phone),
        so the idle countdown keeps running meanwhile."""

    def post(self, fn: Callable[[], None]) -> None:
        """From any thread: call ``fn`` on the journey's thread, unless the step has
        been left by then."""

    def next(self) -> None:
        """The step is done: go on to the next."""

    def fail(self, message: str, *, retry: bool = False, **values: Any) -> None:
        """Stop the step with an error screen (``message`` is a text key)."""

    def complete(self) -> None:
        """The service has done what the citizen came for."""


D = TypeVar("D")


def device_of(ctx: StepContext, name: str, kind: type[D]) -> D:
    """The terminal's device ``name``, checked to be a ``kind`` (a step's typed view)."""
    device = ctx.devices[name]
    if not isinstance(device, kind):
        raise TypeError(f"device {name!r} is a {type(device).__name__}, not a {kind.__name__}")
    return device


class Step:
    """Base of all steps; subclasses override what they need."""

    id: str = "step"

    def enter(self, ctx: StepContext) -> None:
        raise NotImplementedError

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        """A citizen's tap on the step's screen."""

    def on_device(self, ctx: StepContext, name: str, status: DeviceStatus) -> None:
        """A device's status changed while this step is current."""

    def leave(self, ctx: StepContext) -> None:
        """The step is left (done, failed, cancelled): release what it holds."""


class ServiceDefinitionError(ValueError):
    """A plugin's declaration breaks the contract."""


@dataclass(frozen=True)
class Service:
    id: str
    department: str
    titles: Mapping[str, str]
    needs: frozenset[Need]
    offline: OfflinePolicy
    steps: tuple[Step, ...]
    # What the citizen leaves with, per language (shown in the catalog).
    outcome: Mapping[str, str] | None = None
    # Why the plugin could not be used (it failed to load): shown unavailable.
    broken: str = ""

    def __post_init__(self) -> None:
        if not self.id.startswith(f"{self.department}.") or self.id.count(".") != 1:
            raise ServiceDefinitionError(f"{self.id}: id must be '<department>.<name>'")
        missing = [lang for lang in LANGUAGES if not self.titles.get(lang)]
        if missing:
            raise ServiceDefinitionError(f"{self.id}: no title in {', '.join(missing)}")
        if not self.steps:
            raise ServiceDefinitionError(f"{self.id}: no steps")
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ServiceDefinitionError(f"{self.id}: step ids repeat")

    def title(self, lang: str) -> str:
        return self.titles[lang]

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(d for need in sorted(self.needs) for d in NEED_DEVICES.get(need, ()))
