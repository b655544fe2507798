"""Helpers for card reader tests: small card profiles, signature checks, and
waits on device status events (never sleeps)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kiosk.devices.base import Device
from kiosk.devices.status import CardReaderStatus, DeviceState, DeviceStatus, Media
from kiosk.identity.chip import CHIP_KEY, IDENTITY, PHOTO, SECURITY
from kiosk.identity.profile import CardProfile

WAIT = 10.0  # upper bound on anything pcscd does "soon" (its presence poll is 0.4 s)


# --------------------------------------------------------------------------- card profiles


def make_profile(*, photo_size: int = 20_000, protocol: str = "T=1", extended: bool = True,
                 sizes: dict[str, int] | None = None, label: str = "genuine") -> CardProfile:
    """A card with arbitrary file bytes and a fresh P-256 chip key.

    The chip_key file holds the real public key (so the file means something),
    the others random bytes: the reader's job is bytes, not their meaning.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    wanted = {IDENTITY.name: 700, PHOTO.name: photo_size, SECURITY.name: 1500}
    wanted.update(sizes or {})
    files = {name: os.urandom(size) for name, size in wanted.items()}
    files[CHIP_KEY.name] = public
    return CardProfile(files=files, chip_private_key_pem=pem, protocol=protocol,
                       extended_length=extended, label=label)


def signature_verifies(profile: CardProfile, challenge: bytes, response: bytes) -> bool:
    """Active authentication as verification will judge it: raw r||s over SHA-256."""
    key = serialization.load_pem_private_key(profile.chip_private_key_pem, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    if len(response) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(response[:32], "big"),
                               int.from_bytes(response[32:], "big"))
    try:
        key.public_key().verify(der, challenge, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# --------------------------------------------------------------------------- status waits


class StatusLog:
    """Every status a device reports, and waits on them (no sleeping)."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.history: list[DeviceStatus] = []
        self._changed = threading.Condition()
        device.subscribe(self._on_status)

    def _on_status(self, _device: Device, status: DeviceStatus) -> None:
        with self._changed:
            self.history.append(status)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[DeviceStatus], bool], what: str,
                 timeout: float = WAIT) -> DeviceStatus:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.device.status), timeout):
                raise AssertionError(f"status never became {what} in {timeout} s; saw "
                                     f"{[(s.device.value, s.detail) for s in self.history]}")
            return self.device.status

    def seen(self, predicate: Callable[[DeviceStatus], bool]) -> bool:
        with self._changed:
            return any(predicate(s) for s in self.history)


def is_ready(media: Media) -> Callable[[DeviceStatus], bool]:
    def check(status: DeviceStatus) -> bool:
        return (isinstance(status, CardReaderStatus) and status.device is DeviceState.ONLINE
                and status.media is media)
    return check


def is_state(state: DeviceState, detail: str) -> Callable[[DeviceStatus], bool]:
    return lambda s: s.device is state and s.detail == detail
