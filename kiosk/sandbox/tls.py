"""TLS for the sandbox gateway: the files a server needs, its SSLContext, and a
throwaway certificate authority for demos and tests.

TEST ONLY. ``make_tls_dir`` writes a fresh CA (its key is never written: no one
can mint more certificates from the directory), a server certificate for
loopback and a terminal's client certificate, so the kiosk can be run against
``kiosk sandbox serve --tls-dir DIR`` with the pinned CA and client certificate
a real gateway asks for (docs/gateway.md, "TLS").
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.sandbox.issuer import key_usage

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
_VALIDITY = timedelta(days=365)
# Clocks of two machines differ a little; a certificate valid only from "now"
# would be refused by a peer whose clock is behind.
_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class TlsFiles:
    """What a TLS server needs: its certificate chain and key (PEM), and the CA
    whose client certificates it accepts (None: any client, no certificate)."""

    cert: Path
    key: Path
    client_ca: Path | None = None


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """The server side: TLS 1.2 or later; with ``client_ca``, a client without a
    certificate signed by it is refused during the handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.cert, files.key)
    if files.client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(files.client_ca))
    return context


def peer_common_name(cert: Mapping[str, Any] | None) -> str | None:
    """The common name of a peer certificate as ``SSLSocket.getpeercert()`` gives it."""
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return None


@dataclass(frozen=True)
class Authority:
    """A certificate authority held in memory, to issue test certificates."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, name: str, *, not_before: datetime | None = None,
               not_after: datetime | None = None) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(name)
        start = not_before or datetime.now(UTC) - _SKEW
        builder = (_builder(subject, subject, key.public_key(), start,
                            not_after or start + _VALIDITY)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True))
        return cls(builder.sign(key, hashes.SHA256()), key)

    def issue(self, name: str, *, hosts: tuple[str, ...] = (), client: bool = False,
              not_before: datetime | None = None, not_after: datetime | None = None,
              ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A leaf certificate and its new key: for a server (``hosts`` are its DNS
        names and IP addresses) or, with ``client``, for a terminal."""
        key = ec.generate_private_key(ec.SECP256R1())
        start = not_before or datetime.now(UTC) - _SKEW
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (_builder(_name(name), self.cert.subject, key.public_key(), start,
                            not_after or start + _VALIDITY)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key


@dataclass(frozen=True)
class TlsDir:
    """The files ``make_tls_dir`` writes."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @classmethod
    def at(cls, directory: Path) -> TlsDir:
        d = Path(directory).resolve()  # absolute: the config refuses relative paths
        return cls(d / "ca.pem", d / "server.pem", d / "server-key.pem",
                   d / "terminal.pem", d / "terminal-key.pem")

    @property
    def complete(self) -> bool:
        return all(p.is_file() for p in (self.ca, self.server_cert, self.server_key,
                                         self.client_cert, self.client_key))

    def server_files(self) -> TlsFiles:
        """The sandbox's side: its certificate, and terminals' certificates required."""
        return TlsFiles(self.server_cert, self.server_key, client_ca=self.ca)

    def config_lines(self, url: str) -> str:
        """The [backend] lines of a terminal's config that talk to this sandbox."""
        return (f'[backend]\nurl = "{url}"\nca_file = "{self.ca}"\n'
                f'client_cert = "{self.client_cert}"\nclient_key = "{self.client_key}"\n')


def make_tls_dir(directory: Path, *, terminal_id: str,
                 hosts: tuple[str, ...] = LOOPBACK_HOSTS) -> TlsDir:
    """A throwaway CA, a server certificate for ``hosts`` and a client certificate
    whose common name is ``terminal_id``, written as PEM into ``directory``."""
    files = TlsDir.at(directory)
    files.ca.parent.mkdir(parents=True, exist_ok=True)
    authority = Authority.create("Kiosk Sandbox Gateway CA (TEST ONLY)")
    server_cert, server_key = authority.issue("kiosk sandbox gateway", hosts=hosts)
    client_cert, client_key = authority.issue(terminal_id, client=True)
    write_cert(files.ca, authority.cert)
    write_cert(files.server_cert, server_cert)
    write_key(files.server_key, server_key)
    write_cert(files.client_cert, client_cert)
    write_key(files.client_key, client_key)
    return files


def write_cert(path: Path, *certs: x509.Certificate) -> None:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))


def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """An unencrypted PEM key, created 0600: the kiosk refuses a key others can read."""
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    path.unlink(missing_ok=True)  # O_CREAT keeps an old file's mode
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
             start: datetime, end: datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end))
