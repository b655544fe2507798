"""Changing a terminal's config file safely: from the settings screen and
``kiosk config migrate``.

The file is edited as a ``tomlkit`` document, so a technician's comments and
layout survive an edit. Nothing is written unless the whole new text passes the
same validation as a kiosk start (``schema.parse``): a bad value raises
``ConfigError`` naming its key and the file stays byte for byte as it was. The
write is atomic (a temporary file in the same directory, fsync, ``os.replace``,
fsync of the directory), so a crash or power cut leaves the old file or the new
one, never half of one; it keeps the file's mode and owner. A lock on the
directory keeps two writers (the screen, a shell) from losing each other's edit.

``Change`` says what changed, for the audit log and the screen; secrets (the
gateway credential, PIN hashes) show only as set or not.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import InlineTable

from kiosk.config.errors import ConfigError
from kiosk.config.files import file_mode, locked, read_bytes, real_path, write_atomically
from kiosk.config.migrate import CONFIG_VERSION, upgrade, version_of
from kiosk.config.schema import Config, from_data, read_toml

HIDDEN = "(set, hidden)"
# Driver options whose default is the driver's, not the schema's, for the
# settings screen: the kiosk opens CUPS queue "kiosk" when none is set, and the
# speaker at kiosk.devices.speaker.DEFAULT_VOLUME (tests/test_config_edit.py).
OPTION_DEFAULTS: dict[str, Any] = {"devices.printer.queue": "kiosk",
                                   "devices.speaker.volume": 80}
_SECRET = re.compile(r"backend\.terminal_token|maintenance\.technicians\.[^.]+(\.pin)?")


@dataclass(frozen=True)
class Change:
    """One key whose value in effect changed; ``old``/``new`` are as shown to
    people (a secret is ``HIDDEN`` or None), never a secret itself."""

    key: str
    old: Any
    new: Any

    def audit_details(self) -> dict[str, str | int | float | bool | None]:
        """The change as scalars, for ``AuditLog.append(actor, "config.change", ...)``."""
        return {"key": self.key, "old": _scalar(self.old), "new": _scalar(self.new)}


def is_secret(key: str) -> bool:
    return _SECRET.fullmatch(key) is not None


def shown(key: str, value: Any) -> Any:
    """``value`` of ``key`` as it may be shown: secrets hidden, at any depth."""
    if isinstance(value, Mapping):  # a table: only its secret values are hidden
        return {k: shown(f"{key}.{k}", v) for k, v in value.items()}
    if is_secret(key):
        return HIDDEN if value else None
    return value


def value_at(config: Config, key: str) -> Any:
    """The value in effect of a dotted file key ("session.idle_timeout_s",
    "services.enabled", "devices.printer.queue"): the file's, else the default
    (``OPTION_DEFAULTS`` for driver options); None for a key that is not set and
    has no default known here."""
    value = _value_at(config, key)
    return OPTION_DEFAULTS.get(key) if value is None else value


def _value_at(config: Config, key: str) -> Any:
    parts = key.split(".")
    head, rest = parts[0], parts[1:]
    if head == "version" and not rest:
        return config.version
    if head == "services":
        value: Any = {"enabled": config.enabled_services, "hours": config.service_hours}
    elif head == "devices":
        value = {name: {"driver": spec.driver, **spec.options}
                 for name, spec in config.devices.items()}
        if len(rest) >= 2 and rest[1] == "driver":
            return config.device(rest[0]).driver
    elif head == "maintenance" and rest[:1] == ["technicians"]:
        m = config.maintenance
        value = {"technicians": {who: {"pin": pin, "role": m.roles.get(who)}
                                 for who, pin in m.technicians.items()}}
    else:
        value = getattr(config, head, None)
    for part in rest:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif hasattr(value, "__dataclass_fields__") and part in value.__dataclass_fields__:
            value = getattr(value, part)
        else:
            return None
    return value


# --- saving changes -----------------------------------------------------------


def save_changes(path: str | os.PathLike[str],
                 changes: Mapping[str, Any]) -> tuple[Config, list[Change]]:
    """Set dotted keys of the config file at ``path`` (None removes a key: back to
    its default), validate, write atomically; the new config and what changed.

    A missing file is created (``version = 2`` and the changes); an older version
    is migrated as ``kiosk config migrate`` does (the original kept as
    ``FILE.vN``). A value equal to the one in effect is not written, and is not a
    change. Raises ConfigError naming the key for a bad value (the file is then
    untouched) and naming the file when it cannot be written."""
    target = real_path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{target}: cannot make its directory ({e.strerror or e})") from None
    with locked(target):
        original = read_bytes(target)
        doc = _document(original, target)
        old_config, old_raw = _current(original, doc, target)
        notes = _migrate_document(doc, target) if original is not None else []
        keys = [key for key, value in changes.items()
                if _set(doc, key, value, _before(key, old_config, old_raw))]
        text = _dump(doc)
        new_raw = read_toml(text, str(target))
        config = from_data(new_raw, str(target))
        if not keys:  # nothing to do: not even a migration or a new file
            return old_config or config, []
        for key in keys:
            _check_written(key, changes[key], new_raw)
        done = []
        for key in keys:
            before, after = _before(key, old_config, old_raw), value_at(config, key)
            if not same_value(before, after):
                done.append(Change(key, shown(key, before), shown(key, after)))
        if notes:
            done.insert(0, Change("version", version_of(old_raw), CONFIG_VERSION))
            _backup(target, original or b"", version_of(old_raw))
        write_atomically(target, text.encode())
    return config, done


def _current(original: bytes | None, doc: Any,
             target: Path) -> tuple[Config | None, dict[str, Any]]:
    """The config in effect before the edit and the file's plain data. A file that
    does not validate can still be edited (the edit may be its fix): then the
    old values are the file's own."""
    raw = doc.unwrap()
    if original is None:
        return Config(), raw
    try:
        return from_data(raw, str(target), warn_old=False), raw
    except ConfigError:
        return None, raw


def _before(key: str, old_config: Config | None, old_raw: Mapping[str, Any]) -> Any:
    if old_config is not None:
        return value_at(old_config, key)
    value: Any = old_raw
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _set(doc: Any, key: str, value: Any, before: Any) -> bool:
    """Put one change into the document; False when it changes nothing
    (``before``: the value in effect)."""
    parts = key.split(".")
    if not all(parts):
        raise ConfigError(f"{key}: not a key")
    value = _plain(key, value)
    table = doc
    for depth, part in enumerate(parts[:-1]):
        if part not in table:
            if value is None:
                return False  # removing from a table that is not there
            # A super table for the levels between: [devices.printer], not [devices].
            table[part] = tomlkit.table(is_super_table=depth < len(parts) - 2)
        table = table[part]
        if not isinstance(table, MutableMapping):
            raise ConfigError(f"{'.'.join(parts[:depth + 1])}: must be a table")
    last = parts[-1]
    if value is None:
        if last not in table:
            return False
        del table[last]
        return True
    if same_value(value, before):
        return False
    try:
        table[last] = value
    except (ValueError, TypeError, tomlkit.exceptions.TOMLKitError) as e:
        raise ConfigError(f"{key}: cannot be written in a config file ({e})") from None
    return True


def _plain(key: str, value: Any) -> Any:
    """The value as TOML can hold it (tuples become lists); ConfigError naming the
    key for one it cannot, before anything is written."""
    if isinstance(value, float) and not math.isfinite(value):
        # TOML can hold nan and inf, but no setting means them.
        raise ConfigError(f"{key}: must be a finite number")
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigError(f"{key}: text that is not valid Unicode") from None
        return value
    if isinstance(value, list | tuple):
        items = [_plain(key, v) for v in value]
        if any(v is None for v in items):
            raise ConfigError(f"{key}: a list cannot hold an empty value")
        return items
    if isinstance(value, Mapping):
        return {str(k): _plain(f"{key}.{k}", v) for k, v in value.items()
                if v is not None}
    raise ConfigError(f"{key}: {type(value).__name__} cannot be written in a config file")


def same_value(a: Any, b: Any) -> bool:
    """Equal as config values: 60 and 60.0, a list and a tuple; never True and 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _check_written(key: str, wanted: Any, raw: Mapping[str, Any]) -> None:
    """The new text reads back as the value asked for (tomlkit renders some
    layouts, e.g. dotted keys, with another meaning)."""
    value: Any = raw
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if not same_value(_plain(key, wanted), value):
        raise ConfigError(f"{key}: this file's layout keeps the value from being written "
                          "(edit it by hand)")


# --- migrating a file ---------------------------------------------------------


@dataclass(frozen=True)
class Migrated:
    path: Path
    from_version: int
    notes: list[str]  # what changed, one line each; empty when it was current
    backup: Path | None


def migrate_file(path: str | os.PathLike[str], *, check: bool = False) -> Migrated:
    """Rewrite a config file in the current version, keeping its comments and
    layout and the original as ``FILE.vN`` (N its old version). With ``check``
    only say what would change. The new text must validate, or nothing is
    written (ConfigError naming the key)."""
    target = real_path(path)
    with locked(target):
        original = read_bytes(target)
        if original is None:
            raise ConfigError(f"{target}: no such config file")
        doc = _document(original, target)
        try:
            before = version_of(doc)
        except ConfigError as e:
            raise ConfigError(f"{target}: {e}") from None
        notes = _migrate_document(doc, target)
        text = _dump(doc)
        # What it would write must be a config the kiosk takes, checked or not.
        from_data(read_toml(text, str(target)), str(target), warn_old=False)
        if not notes or check:
            return Migrated(target, before, notes, None)
        backup = _backup(target, original, before)
        write_atomically(target, text.encode())
    return Migrated(target, before, notes, backup)


def _migrate_document(doc: Any, target: Path) -> list[str]:
    """Migrate the document in place; checked against the same migration of the
    plain data, because a layout tomlkit cannot keep must not change meaning."""
    plain = doc.unwrap()
    try:
        upgrade(plain)
        notes = upgrade(doc, document_table)
        same = not notes or read_toml(_dump(doc), str(target)) == plain
    except ConfigError as e:
        raise ConfigError(f"{target}: {e}") from None
    except (ValueError, TypeError, tomlkit.exceptions.TOMLKitError):
        same = False
    if not same:
        raise ConfigError(f"{target}: cannot be migrated keeping its layout (dotted keys "
                          "under [maintenance]?); write it in the version "
                          f"{CONFIG_VERSION} form by hand (docs/configuration.md)")
    return notes


def document_table(parent: MutableMapping[str, Any], /, **items: Any) -> MutableMapping[str, Any]:
    """A new table of a tomlkit document: inline within an inline table, else one
    with its own [header] and a blank line before the next."""
    if isinstance(parent, InlineTable):
        inline = tomlkit.inline_table()
        inline.update(items)
        return inline
    table = tomlkit.table()
    for key, value in items.items():
        table[key] = value
    table.add(tomlkit.nl())
    return table


def _backup(target: Path, original: bytes, version: int) -> Path:
    backup = target.with_name(f"{target.name}.v{version}")
    if backup.exists() and backup.read_bytes() != original:
        raise ConfigError(f"{target}: {backup} already exists and differs; move it away "
                          "first (it is an earlier original)")
    write_atomically(backup, original, mode=file_mode(target))
    return backup


def _document(original: bytes | None, target: Path) -> Any:
    if original is None:
        doc = tomlkit.document()
        doc["version"] = CONFIG_VERSION
        return doc
    try:
        return tomlkit.parse(original.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{target}: cannot read the file (not UTF-8)") from None
    except tomlkit.exceptions.ParseError as e:
        raise ConfigError(f"{target}: not valid TOML: {e}") from None


def _dump(doc: Any) -> str:
    return tomlkit.dumps(doc).rstrip("\n") + "\n"


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
