"""Find the installed services through the ``kiosk.services`` entry points.

Built-in services register exactly as a department's own distribution does. A
plugin that fails to import, raises, or breaks the contract is recorded as a
``LoadFailure`` for diagnostics and never takes the kiosk down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from kiosk.i18n import LANGUAGES, all_languages, has
from kiosk.services.contract import (
    ENTRY_POINT_GROUP,
    OfflinePolicy,
    Service,
    Step,
    StepContext,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadFailure:
    entry_point: str
    distribution: str
    error: str


@dataclass
class Registry:
    services: dict[str, Service] = field(default_factory=dict)
    failures: list[LoadFailure] = field(default_factory=list)
    # Plugins that failed to load, as greyed-out catalog entries (see _stand_in).
    stand_ins: dict[str, Service] = field(default_factory=dict)

    @property
    def catalog(self) -> dict[str, Service]:
        """Every service a citizen may see: the loaded ones, and broken ones greyed out."""
        return {**{k: v for k, v in self.stand_ins.items() if k not in self.services},
                **self.services}

    def enabled(self, enabled_ids: Iterable[str]) -> list[Service]:
        """The services a terminal's config enables, in catalog order."""
        wanted = list(enabled_ids)
        everything = self.catalog
        if "*" in wanted:
            return sorted(everything.values(), key=lambda s: s.id)
        return [everything[i] for i in wanted if i in everything]


def load_services(eps: Iterable[EntryPoint] | None = None) -> Registry:
    registry = Registry()
    for ep in eps if eps is not None else entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "?"
        try:
            obj = ep.load()
            service = obj() if callable(obj) and not isinstance(obj, Service) else obj
            if not isinstance(service, Service):
                raise TypeError(f"entry point gives {type(service).__name__}, not a Service")
            if service.id != ep.name:
                raise ValueError(f"entry point name {ep.name!r} differs from id {service.id!r}")
            if service.id in registry.services:
                raise ValueError(f"service id {service.id!r} is already registered")
        except (Exception, SystemExit) as e:  # isolate the plugin, even one that exits
            failure = LoadFailure(ep.name, dist, f"{e.__class__.__name__}: {e}")
            registry.failures.append(failure)
            log.error("service plugin %s from %s failed to load: %s", ep.name, dist,
                      failure.error)
            stand_in = _stand_in(ep.name, failure.error)
            if stand_in is not None:
                registry.stand_ins.setdefault(stand_in.id, stand_in)
            continue
        registry.services[service.id] = service
    return registry


class _Unusable(Step):
    id = "unusable"

    def enter(self, ctx: StepContext) -> None:  # never entered: the catalog refuses it
        ctx.fail("unavailable.broken")


def _stand_in(name: str, error: str) -> Service | None:
    """A broken plugin stays in the catalog, greyed out with its reason, so citizens
    and technicians see it is installed but not working (rather than gone)."""
    department = name.split(".")[0]
    titles = (all_languages(f"service.{name}") if has(f"service.{name}")
              else {lang: name for lang in LANGUAGES})
    try:
        return Service(id=name, department=department, titles=titles, needs=frozenset(),
                       offline=OfflinePolicy.LOCAL, steps=(_Unusable(),), broken=error)
    except ValueError:  # not even a service id: diagnostics only
        return None
