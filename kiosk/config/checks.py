"""Checks of config sections that need more than a type: formats, ranges, files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config.errors import ConfigError

if TYPE_CHECKING:
    from kiosk.config.schema import FaceConfig, FleetConfig, IdentityConfig, LoggingConfig

# In identity.trusted_issuers: the sandbox issuer's test CA (kiosk.sandbox.issuer).
SANDBOX_ISSUER = "sandbox"


def check_logging(logging: LoggingConfig) -> None:
    if logging.target not in ("auto", "journal", "files"):
        raise ConfigError("logging.target: must be auto, journal or files")
    if logging.format not in ("text", "json"):
        raise ConfigError("logging.format: must be text or json")
    if logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("logging.level: must be DEBUG, INFO, WARNING or ERROR")
    if logging.max_bytes < 64 * 1024 or logging.files_kept < 1:
        raise ConfigError("logging.max_bytes and logging.files_kept: at least 64 KiB and 1")


_LISTEN = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})")


def check_fleet(fleet: FleetConfig) -> None:
    listen = fleet.metrics_listen
    if listen:
        match = _LISTEN.fullmatch(listen)
        if match is None or not 1 <= int(match.group(2)) <= 65535:
            raise ConfigError("fleet.metrics_listen: must be \"HOST:PORT\" (e.g. "
                              "\"127.0.0.1:9108\", \"[::1]:9108\") or \"\" to turn it off")
    if fleet.heartbeat_s and fleet.heartbeat_s < 5:
        raise ConfigError("fleet.heartbeat_s: seconds between heartbeats, at least 5 "
                          "(0 turns them off)")


PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"


def check_face(face: FaceConfig) -> None:
    if face.engine not in ("simulator", "dlib"):
        raise ConfigError("face.engine: must be simulator or dlib")
    if not 0.0 < face.threshold < 1.5:
        raise ConfigError("face.threshold: must be between 0 and 1.5 (default 0.60)")
    if face.landmarks not in ("5", "68"):
        raise ConfigError("face.landmarks: must be \"5\" or \"68\"")
    if not 1 <= face.challenge_length <= 4:
        raise ConfigError("face.challenge_length: must be 1 to 4")
    if face.min_frames < 1 or face.attempt_timeout_s <= 0:
        raise ConfigError("face.min_frames and face.attempt_timeout_s: must be more than 0")


def check_identity(identity: IdentityConfig) -> None:
    key = "identity.trusted_issuers"
    if not identity.trusted_issuers:
        # A terminal that trusts no issuer would refuse every card as forged.
        raise ConfigError(f"{key}: must name at least one issuer")
    for entry in identity.certificate_files:
        p = Path(entry)
        # Relative to what would depend on where the kiosk was started from.
        if not p.is_absolute():
            raise ConfigError(f"{key}: {entry!r} must be {SANDBOX_ISSUER!r} or an absolute "
                              "path of a PEM certificate file")
        try:
            head = p.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{key}: {entry}: no such file") from None
        except OSError as e:
            raise ConfigError(f"{key}: {entry}: cannot read ({e.__class__.__name__})") from None
        # The certificate itself is checked when the trust store loads it; this
        # catches the common mistake (a key or a DER file) at validation time.
        if PEM_CERTIFICATE not in head:
            raise ConfigError(f"{key}: {entry}: not a PEM certificate file")
