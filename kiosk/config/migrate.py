"""Config file versions and the migrations between them.

A terminal's config file carries ``version``; a file without one is version 1
(the key came with the first format). Each migration turns version N into N+1
and is written once, over a ``MutableMapping``, so the same function updates
the plain dict ``tomllib`` gives (a v1 file is read by a newer kiosk, migrated
in memory) and a ``tomlkit`` document (``kiosk config migrate`` rewrites the
file and keeps its comments and layout). A migration builds new tables through
the ``table`` it is given, the one thing that differs between the two.

Adding version 3: write ``_v2_to_v3``, register it in ``MIGRATIONS``, raise
``CONFIG_VERSION``; the tests in tests/test_config_migrate.py run every step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from kiosk.config.errors import ConfigError

CONFIG_VERSION = 2
FIRST_VERSION = 1

# Makes a new table from its items, to go into the table given first: a dict for
# tomllib's data, a tomlkit table for a document (kiosk.config.edit.document_table).
TableFactory = Callable[..., MutableMapping[str, Any]]
Migration = Callable[[MutableMapping[str, Any], TableFactory], list[str]]


def plain_table(parent: MutableMapping[str, Any], /, **items: Any) -> MutableMapping[str, Any]:
    return dict(items)


def version_of(raw: Mapping[str, Any]) -> int:
    """The format version of a file's data; ConfigError naming ``version`` when it
    is not one this kiosk can read."""
    version = raw.get("version", FIRST_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError("version: must be a whole number")
    if version > CONFIG_VERSION:
        raise ConfigError(f"version: {version} is newer than this kiosk understands "
                          f"({CONFIG_VERSION})")
    if version < FIRST_VERSION:
        raise ConfigError(f"version: must be {FIRST_VERSION} or more")
    return version


def upgrade(raw: MutableMapping[str, Any], table: TableFactory = plain_table) -> list[str]:
    """Migrate ``raw`` in place to ``CONFIG_VERSION``; what changed, one line each
    naming the key (empty when it was current). Only the format changes: what the
    data means is left to the schema, which reports a bad value by its new key."""
    start = version_of(raw)
    if start == CONFIG_VERSION:
        return []
    notes = [f"version: {start} → {CONFIG_VERSION}"]
    for version in range(start, CONFIG_VERSION):
        notes += MIGRATIONS[version](raw, table)
    raw["version"] = CONFIG_VERSION
    return notes


# --- the migrations ------------------------------------------------------------

TECHNICIAN = "technician"


def _v1_to_v2(raw: MutableMapping[str, Any], table: TableFactory) -> list[str]:
    """Technicians get roles: ``T001 = "scrypt$..."`` becomes the table
    ``[maintenance.technicians.T001]`` with ``pin`` and ``role``. Everyone a v1
    file named could change settings, so each keeps that role ("technician")."""
    maintenance = raw.get("maintenance")
    if not isinstance(maintenance, MutableMapping):
        return []
    technicians = maintenance.get("technicians")
    if not isinstance(technicians, MutableMapping):
        return []
    entries = list(technicians.items())
    if not any(isinstance(record, str) for _, record in entries):
        return []
    # Out and back in, in the file's order: a document re-adds a changed entry
    # after the others otherwise.
    for who, _ in entries:
        del technicians[who]
    notes = []
    for who, record in entries:
        if isinstance(record, str):
            technicians[who] = table(technicians, pin=record, role=TECHNICIAN)
            notes.append(f"maintenance.technicians.{who}: now a table with pin and "
                         f"role = \"{TECHNICIAN}\"")
        else:  # not a v1 entry: the schema says what is wrong with it
            technicians[who] = record
    return notes


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}
