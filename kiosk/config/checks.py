"""Checks of config sections that need more than a type: formats, ranges, files."""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiosk.config.errors import ConfigError

if TYPE_CHECKING:
    from kiosk.config.schema import (
        BackendConfig,
        Config,
        FaceConfig,
        FleetConfig,
        IdentityConfig,
        LoggingConfig,
    )

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
        head = _read_file(key, entry)
        # The certificate itself is checked when the trust store loads it; this
        # catches the common mistake (a key or a DER file) at validation time.
        if PEM_CERTIFICATE not in head:
            raise ConfigError(f"{key}: {entry}: not a PEM certificate file")


# --- maintenance.technicians (version 2) ----------------------------------------

# What a technician may do in maintenance mode: "technician" everything, settings
# included; "field" (field staff) diagnostics and consumables only.
ROLES = ("technician", "field")
_TECHNICIAN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_ROLE_HELP = "\"technician\" (may change settings) or \"field\" (diagnostics and consumables)"


def technicians(table: Any) -> tuple[dict[str, str], dict[str, str]]:
    """``[maintenance.technicians.ID]`` tables (pin, role): the PIN hashes and the
    roles, each by technician id."""
    key = "maintenance.technicians"
    if not isinstance(table, dict):
        raise ConfigError(f"{key}: must be a table of [{key}.ID] tables")
    pins: dict[str, str] = {}
    roles: dict[str, str] = {}
    for who, entry in table.items():
        if not _TECHNICIAN.fullmatch(who):
            raise ConfigError(f"{key}.{who}: not a technician id (letters, digits, - and _)")
        if isinstance(entry, str):
            # The version 1 form, in a version 2 file (a line pasted from an old one).
            raise ConfigError(f"{key}.{who}: since config version 2 a table: [{key}.{who}] "
                              f"with pin = \"scrypt$...\" and role = {_ROLE_HELP}")
        if not isinstance(entry, dict):
            raise ConfigError(f"{key}.{who}: must be a table with pin and role")
        unknown = sorted(set(entry) - {"pin", "role"})
        if unknown:
            raise ConfigError(f"{key}.{who}.{unknown[0]}: unknown key")
        pin = entry.get("pin")
        if not isinstance(pin, str) or not pin.startswith("scrypt$"):
            # Names the technician as a v1 file did (its key was the hash itself).
            raise ConfigError(f"{key}.{who}: must be a PIN hash made by `kiosk maintenance "
                              f"hash-pin`, never the PIN itself ({key}.{who}.pin)")
        role = entry.get("role")
        if role not in ROLES:
            what = "missing" if role is None else f"{role!r} is not a role"
            raise ConfigError(f"{key}.{who}.role: {what}: {_ROLE_HELP}")
        pins[who], roles[who] = pin, role
    return pins, roles


# --- device options a technician may set from the screen ------------------------

def check_device_options(device: str, options: dict[str, Any]) -> None:
    """The driver options that the settings screen edits, checked when the file
    is read (the drivers check the rest when they open)."""
    if device == "speaker" and "volume" in options:
        volume = options["volume"]
        if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100:
            raise ConfigError("devices.speaker.volume: must be a whole number 0 to 100")
    if device == "printer" and "queue" in options:
        queue = options["queue"]
        if not isinstance(queue, str) or not _queue_name(queue):
            raise ConfigError("devices.printer.queue: must be a CUPS queue name (up to 127 "
                              "printable characters, no space, / or #)")


def _queue_name(name: str) -> bool:
    # What CUPS accepts: printable ASCII, no space, "/" or "#", under 128 characters.
    return 0 < len(name) < 128 and all("!" <= c <= "~" and c not in "/#" for c in name)


def check_url(key: str, url: str, alternative: str) -> None:
    """An http(s) URL with a host, and nothing a request would refuse (spaces,
    control characters)."""
    try:
        parts = urlsplit(url) if url.isprintable() and " " not in url else None
        ok = parts is not None and parts.scheme in ("http", "https") and \
            bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # "http://[::1", a port that is not a number
        ok = False
    if not ok:
        raise ConfigError(f"{key}: must be an http(s) URL with a host, or {alternative!r}")


# --- the gateway: its address and TLS -------------------------------------------

def check_backend(backend: BackendConfig, embedded: str) -> None:
    """The URL, timeouts and TLS files of [backend]. ``embedded``: the URL value
    that starts the sandbox inside the kiosk (plain http on 127.0.0.1)."""
    tls = bool(backend.ca_file or backend.client_cert or backend.client_key)
    if backend.url != embedded:
        check_url("backend.url", backend.url, embedded)
        parts = urlsplit(backend.url)
        if parts.scheme == "http" and tls:
            raise ConfigError("backend.url: http, yet backend.ca_file or backend.client_cert "
                              "is set: TLS needs an https URL")
        if parts.scheme == "http" and not backend.allow_plain_http \
                and not _loopback(parts.hostname or ""):
            # The token and citizens' data would cross the network readable by anyone
            # on it: only for a test network, and only when asked for in so many words.
            raise ConfigError("backend.url: plain http to another machine sends the "
                              "terminal's token and citizens' data unencrypted: use https "
                              "(or backend.allow_plain_http = true on a test network)")
    for key in ("connect_timeout_s", "read_timeout_s"):
        if getattr(backend, key) <= 0:
            raise ConfigError(f"backend.{key}: must be more than 0")
    if tls:
        check_tls(backend)


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_tls(backend: BackendConfig) -> None:
    """The TLS files exist, are PEM, and the key is private and matches its
    certificate: found when the config is read, not at the first citizen's call."""
    # Here: most configs name no TLS files, and need not wait for cryptography to import.
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    if backend.ca_file:
        data = _read_file("backend.ca_file", backend.ca_file)
        try:
            x509.load_pem_x509_certificates(data)
        except ValueError:
            raise ConfigError(f"backend.ca_file: {backend.ca_file}: not a PEM certificate "
                              "file (the gateway's CA)") from None
    if bool(backend.client_cert) != bool(backend.client_key):
        missing = "backend.client_key" if backend.client_cert else "backend.client_cert"
        raise ConfigError(f"{missing}: backend.client_cert and backend.client_key go "
                          "together (the terminal's certificate and its key)")
    if not backend.client_cert:
        return
    data = _read_file("backend.client_cert", backend.client_cert)
    try:
        # The terminal's certificate first, then any intermediates.
        cert = x509.load_pem_x509_certificates(data)[0]
    except ValueError:
        raise ConfigError(f"backend.client_cert: {backend.client_cert}: not a PEM "
                          "certificate file") from None
    key_data = _read_file("backend.client_key", backend.client_key)
    mode = stat.S_IMODE(Path(backend.client_key).stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"backend.client_key: {backend.client_key}: mode {mode:04o}, readable "
                          "by others: it must be 0600 (chmod 600 the file)")
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except TypeError:  # a password: nobody is there to type it when a kiosk starts
        raise ConfigError(f"backend.client_key: {backend.client_key}: encrypted; the kiosk "
                          "starts unattended, so the key must be unencrypted (and 0600)"
                          ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"backend.client_key: {backend.client_key}: not a PEM private key"
                          ) from None
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise ConfigError(f"backend.client_key: {backend.client_key}: not the key of "
                          f"backend.client_cert ({backend.client_cert})")


# A PEM file of certificates or a key is a few kB.
MAX_PEM_BYTES = 1024 * 1024


def _read_file(key: str, path: str) -> bytes:
    """A certificate or key file the config names, read whole: only a regular
    file (a FIFO or a device named by mistake would hold the kiosk's start for
    ever, or fill its memory) and no larger than MAX_PEM_BYTES."""
    # Relative to what would depend on where the kiosk was started from.
    if not Path(path).is_absolute():
        raise ConfigError(f"{key}: {path!r} must be an absolute path")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ConfigError(f"{key}: {path}: not a regular file")
        with open(path, "rb") as f:
            data = f.read(MAX_PEM_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{key}: {path}: no such file") from None
    except OSError as e:
        raise ConfigError(f"{key}: {path}: cannot read ({e.__class__.__name__})") from None
    if len(data) > MAX_PEM_BYTES:
        raise ConfigError(f"{key}: {path}: larger than {MAX_PEM_BYTES} bytes, not a PEM file")
    return data


def check_production(config: Config) -> None:
    """A production terminal (``terminal.production = true``) serves real
    citizens: nothing of the demo may be left in it. The sandbox issuer's keys
    are public (anyone can make a card it vouches for), the embedded sandbox
    is no gateway, simulators read no real card, the simulated face check
    matches no real face, and maintenance needs a technician to enter."""
    if not config.terminal.production:
        return
    if config.uses_embedded_sandbox:
        raise ConfigError("backend.url: a production terminal needs the gateway's address, "
                          "not the embedded sandbox")
    if config.identity.trusts_sandbox:
        raise ConfigError("identity.trusted_issuers: a production terminal must not trust the "
                          "sandbox issuer (its keys are public)")
    for name in ("card_reader", "camera", "printer"):
        if config.device(name).driver == "simulator":
            raise ConfigError(f"devices.{name}.driver: a production terminal needs a real "
                              "device, not the simulator")
    if config.face.engine == "simulator":
        raise ConfigError("face.engine: a production terminal checks faces with dlib")
    if not config.face.liveness:
        raise ConfigError("face.liveness: a production terminal checks that the face is a "
                          "live person's (a photo held to the camera must not pass)")
    if not config.maintenance.technicians:
        raise ConfigError("maintenance.technicians: a production terminal needs at least "
                          "one technician (kiosk maintenance hash-pin)")
