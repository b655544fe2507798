"""The configuration schema: typed sections, validation with messages that name keys."""

from __future__ import annotations

import copy
import logging
import math
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kiosk.config.checks import (
    SANDBOX_ISSUER,
    check_backend,
    check_device_options,
    check_face,
    check_fleet,
    check_identity,
    check_logging,
    check_production,
    technicians,
)
from kiosk.config.errors import ConfigError
from kiosk.config.migrate import CONFIG_VERSION, upgrade, version_of
from kiosk.i18n import LANGUAGES

EMBEDDED_SANDBOX = "embedded-sandbox"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TerminalConfig:
    id: str = "demo-terminal-01"
    location: str = "Demo hall"
    # Absent: $KIOSK_HOME or ~/.local/share/kiosk (see kiosk.config.paths).
    data_dir: str = ""
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "zh-Hant"
    # true: serves real citizens, so nothing of the demo is allowed (checks.py).
    production: bool = False


@dataclass(frozen=True)
class BackendConfig:
    # "embedded-sandbox" starts the sandbox gateway on 127.0.0.1 inside the kiosk.
    url: str = EMBEDDED_SANDBOX
    terminal_token: str = "sandbox-demo-token"
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    retries: int = 2
    # TLS (docs/gateway.md): absolute paths of PEM files. ca_file pins the gateway's
    # CA (only it is trusted; "": requests' default CAs); client_cert and
    # client_key (mode 0600) are the terminal's certificate and key.
    ca_file: str = ""
    client_cert: str = ""
    client_key: str = ""
    # http to a host other than this machine is refused unless this is true.
    allow_plain_http: bool = False


@dataclass(frozen=True)
class SessionConfig:
    idle_timeout_s: float = 60.0
    idle_warning_s: float = 20.0
    done_screen_s: float = 20.0


@dataclass(frozen=True)
class IdentityConfig:
    # Certificate authorities whose document signers may sign ID cards: "sandbox"
    # (the sandbox issuer's test CA) or absolute paths of PEM certificate files.
    trusted_issuers: tuple[str, ...] = (SANDBOX_ISSUER,)

    @property
    def trusts_sandbox(self) -> bool:
        return SANDBOX_ISSUER in self.trusted_issuers

    @property
    def certificate_files(self) -> tuple[str, ...]:
        return tuple(e for e in self.trusted_issuers if e != SANDBOX_ISSUER)


@dataclass(frozen=True)
class FaceConfig:
    # "simulator" decides from what the simulated camera says it shows;
    # "dlib" runs the face engine (docs/face.md) in a warm worker process.
    engine: str = "simulator"
    # Median distance over the good frames at or under which faces match
    # (measured on shared/testdata/faces: docs/face.md).
    threshold: float = 0.60
    liveness: bool = True
    challenge_length: int = 2
    min_frames: int = 5
    # "5" (default) or "68": the 68-point model's licence excludes commercial use.
    landmarks: str = "5"
    # Seconds an attempt may take before it is judged on what it has.
    attempt_timeout_s: float = 15.0


@dataclass(frozen=True)
class PrintingConfig:
    # Days a printout that failed is kept (sealed) for the citizen or a technician
    # to print; after that the document is erased and only its record stays.
    keep_days: float = 30.0


@dataclass(frozen=True)
class FleetConfig:
    # Where the Prometheus metrics endpoint listens ("HOST:PORT"); "" turns it off.
    # Loopback by default: a kiosk must not show its metrics to the public hall's network.
    metrics_listen: str = "127.0.0.1:9108"
    # Seconds between heartbeats to the gateway; 0 turns them off.
    heartbeat_s: float = 60.0


@dataclass(frozen=True)
class MaintenanceConfig:
    # Who may enter maintenance mode: technician id -> the PIN's hash, made by
    # `kiosk maintenance hash-pin` (the PIN itself is never written down).
    technicians: dict[str, str] = field(default_factory=dict)
    # Technician id -> what they may do: "technician" (everything, settings too)
    # or "field" (diagnostics and consumables). The file keeps both in
    # [maintenance.technicians.ID]; two dicts keep the gate to PIN hashes only.
    roles: dict[str, str] = field(default_factory=dict)
    max_failures: int = 5  # wrong PINs in a row before the gate locks
    lockout_s: float = 300.0  # the first lockout; each next one doubles (to an hour)
    # The cabinet's service switch: most enclosures wire it to a USB HID encoder
    # that sends one key. Qt's name of that key ("F12", "Ctrl+Alt+M"); "" for none.
    service_key: str = "F12"
    # A technician who walks away: after this many idle seconds maintenance locks
    # (the kiosk stays out of service until a technician enters again).
    idle_s: float = 300.0
    # Where a diagnostics bundle goes: "" looks for a mounted USB stick under
    # /media and /run/media; a path names the directory itself.
    export_dir: str = ""

    def role_of(self, technician_id: str) -> str:
        """The role of a configured technician; KeyError for anyone else (someone
        the config does not name has no powers, not a default set of them)."""
        try:
            return self.roles[technician_id]
        except KeyError:
            raise KeyError(f"no technician {technician_id!r} in [maintenance]") from None



@dataclass(frozen=True)
class LoggingConfig:
    # "auto": the systemd journal when the kiosk runs under systemd (it sets
    # JOURNAL_STREAM), rotated files otherwise; "journal" or "files" to choose.
    target: str = "auto"
    # Rotated files: "text" lines for people, or "json" (one object a line) for a collector.
    format: str = "text"
    max_bytes: int = 10 * 1024 * 1024  # per file; files_kept more are kept
    files_kept: int = 5
    level: str = "INFO"


@dataclass(frozen=True)
class DeviceConfig:
    driver: str = "simulator"
    # Driver-specific settings (simulator behaviour, device paths ...).
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    version: int = CONFIG_VERSION
    terminal: TerminalConfig = field(default_factory=TerminalConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    face: FaceConfig = field(default_factory=FaceConfig)
    printing: PrintingConfig = field(default_factory=PrintingConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    maintenance: MaintenanceConfig = field(default_factory=MaintenanceConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    devices: dict[str, DeviceConfig] = field(default_factory=dict)
    # Service ids, or "*" for every installed service.
    enabled_services: tuple[str, ...] = ("*",)
    # Opening hours by service id or department id: {"dsaj": "09:00-17:45"}.
    service_hours: dict[str, str] = field(default_factory=dict)
    # The version the file was written in when older than CONFIG_VERSION (it was
    # migrated in memory); None for a current file. Not part of what the config
    # says, so a migrated file's config equals the one read from the old file.
    migrated_from: int | None = field(default=None, compare=False)

    @property
    def uses_embedded_sandbox(self) -> bool:
        return self.backend.url == EMBEDDED_SANDBOX

    def device(self, name: str) -> DeviceConfig:
        return self.devices.get(name, DeviceConfig())


DEVICE_NAMES = ("card_reader", "camera", "printer", "speaker")
DEVICE_DRIVERS = {"card_reader": ("simulator", "pcsc"), "camera": ("simulator", "opencv"),
                  "printer": ("simulator", "cups", "escpos"),
                  # Speech output and reminder chimes (docs/speech.md).
                  "speaker": ("simulator", "espeak")}


def load(path: str | Path | None, *, warn_old: bool = True) -> Config:
    """Read and validate a config file; ``None`` gives the built-in defaults.
    An older version is migrated in memory (see ``parse``)."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read the file ({e.__class__.__name__})") from None
    return parse(text, source=str(p), warn_old=warn_old)


def parse(text: str, source: str = "<config>", *, warn_old: bool = True) -> Config:
    """Validate a config file's text. A file of an older version is migrated in
    memory and works; one warning (unless ``warn_old`` is false) says that
    `kiosk config migrate` updates the file itself."""
    return from_data(read_toml(text, source), source, warn_old=warn_old)


def read_toml(text: str, source: str = "<config>") -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None


def from_data(raw: dict[str, Any], source: str = "<config>", *,
              warn_old: bool = True) -> Config:
    """A config from a file's data as ``tomllib`` reads it (left unchanged)."""
    try:
        version = version_of(raw)
        if version < CONFIG_VERSION:
            raw = copy.deepcopy(raw)
            upgrade(raw)
        config = _build(raw)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    if version == CONFIG_VERSION:
        return config
    if warn_old:
        log.warning("%s is config version %d, read as version %d; `kiosk config migrate %s` "
                    "updates the file", source, version, CONFIG_VERSION, source)
    return replace(config, migrated_from=version)


def _build(raw: dict[str, Any]) -> Config:
    raw = dict(raw)
    raw.pop("version")  # upgrade() set it: this is the current version's data
    terminal = _section(TerminalConfig, raw.pop("terminal", {}), "terminal")
    backend = _section(BackendConfig, raw.pop("backend", {}), "backend")
    session = _section(SessionConfig, raw.pop("session", {}), "session")
    identity = _section(IdentityConfig, raw.pop("identity", {}), "identity")
    face = _section(FaceConfig, raw.pop("face", {}), "face")
    printing = _section(PrintingConfig, raw.pop("printing", {}), "printing")
    if printing.keep_days <= 0:
        raise ConfigError("printing.keep_days: must be more than 0")
    fleet = _section(FleetConfig, raw.pop("fleet", {}), "fleet")
    check_fleet(fleet)
    maintenance = _maintenance(raw.pop("maintenance", {}))
    logging = _section(LoggingConfig, raw.pop("logging", {}), "logging")
    check_logging(logging)
    devices = _devices(raw.pop("devices", {}))
    services = raw.pop("services", {})
    if not isinstance(services, dict):
        raise ConfigError("services: must be a table")
    services = dict(services)
    enabled = services.pop("enabled", ["*"])
    hours = services.pop("hours", {})
    if not isinstance(hours, dict):
        raise ConfigError("services.hours: must be a table of \"HH:MM-HH:MM\" by service "
                          "or department id")
    for name, span in hours.items():
        if not isinstance(span, str) or not _HOURS.fullmatch(span):
            raise ConfigError(f"services.hours.{name}: must be \"HH:MM-HH:MM\", e.g. "
                              "\"09:00-17:45\"")
    if services:
        raise ConfigError(f"services.{next(iter(services))}: unknown key")
    if not isinstance(enabled, list) or not all(isinstance(s, str) and s for s in enabled):
        raise ConfigError("services.enabled: must be a list of service ids (or [\"*\"])")
    if raw:
        raise ConfigError(f"{next(iter(raw))}: unknown key")
    _check(terminal, backend, session)
    check_identity(identity)
    check_face(face)
    config = Config(version=CONFIG_VERSION, terminal=terminal, backend=backend,
                    session=session, identity=identity, face=face, printing=printing,
                    fleet=fleet, maintenance=maintenance, logging=logging, devices=devices,
                    enabled_services=tuple(enabled), service_hours=dict(hours))
    check_production(config)
    return config


def _maintenance(table: Any) -> MaintenanceConfig:
    if not isinstance(table, dict):
        raise ConfigError("maintenance: must be a table")
    table = dict(table)
    pins, roles = technicians(table.pop("technicians", {}))
    if "roles" in table:  # a field of the dataclass, not a key of the file
        raise ConfigError("maintenance.roles: unknown key (a technician's role is "
                          "maintenance.technicians.ID.role)")
    section = _section(MaintenanceConfig, table, "maintenance")
    if section.max_failures < 1:
        raise ConfigError("maintenance.max_failures: must be 1 or more")
    if section.idle_s < 30:
        raise ConfigError("maintenance.idle_s: must be at least 30")
    return replace(section, technicians=pins, roles=roles)


_HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d")


def _section(cls: type, table: Any, name: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: must be a table")
    known = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}: unknown key")
        default = getattr(cls(), key)
        values[key] = _coerce(f"{name}.{key}", value, default)
    return cls(**values)


def _coerce(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: must be true or false")
        return value
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: must be a number, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):  # TOML has nan, inf
            raise ConfigError(f"{key}: must be a finite number")
        if value < 0:
            raise ConfigError(f"{key}: must not be negative")
        if isinstance(default, int) and not isinstance(value, int):
            raise ConfigError(f"{key}: must be a whole number")
        try:
            return type(default)(value)
        except OverflowError:  # a whole number too large for a float
            raise ConfigError(f"{key}: too large") from None
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: must be a string, got {type(value).__name__}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: must be a list of strings")
        return tuple(value)
    raise ConfigError(f"{key}: unsupported value")


def _devices(table: Any) -> dict[str, DeviceConfig]:
    if not isinstance(table, dict):
        raise ConfigError("devices: must be a table")
    out: dict[str, DeviceConfig] = {}
    for name, spec in table.items():
        if name not in DEVICE_NAMES:
            raise ConfigError(f"devices.{name}: unknown device (known: {', '.join(DEVICE_NAMES)})")
        if not isinstance(spec, dict):
            raise ConfigError(f"devices.{name}: must be a table")
        spec = dict(spec)
        driver = spec.pop("driver", "simulator")
        if driver not in DEVICE_DRIVERS[name]:
            raise ConfigError(f"devices.{name}.driver: {driver!r} is not one of "
                              f"{', '.join(DEVICE_DRIVERS[name])}")
        check_device_options(name, spec)
        out[name] = DeviceConfig(driver=driver, options=spec)
    return out


def _check(terminal: TerminalConfig, backend: BackendConfig, session: SessionConfig) -> None:
    if not terminal.id.strip():
        raise ConfigError("terminal.id: must not be empty")
    bad = [lang for lang in terminal.languages if lang not in LANGUAGES]
    if bad or not terminal.languages:
        raise ConfigError(f"terminal.languages: each must be one of {', '.join(LANGUAGES)}")
    if len(set(terminal.languages)) < len(terminal.languages):
        raise ConfigError("terminal.languages: each language once (one button each)")
    if terminal.default_language not in terminal.languages:
        raise ConfigError("terminal.default_language: must be one of terminal.languages")
    check_backend(backend, EMBEDDED_SANDBOX)
    if session.idle_warning_s < 20:
        # WCAG 2.2.1: at least 20 seconds to respond to a time-out warning.
        raise ConfigError("session.idle_warning_s: must be at least 20 (WCAG 2.2.1)")
    for key in ("idle_timeout_s", "done_screen_s"):
        if getattr(session, key) <= 0:
            raise ConfigError(f"session.{key}: must be more than 0")
