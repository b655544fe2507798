"""The device status model, after XFS4IoT ``Common.Status`` and its per-class fields."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DeviceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    NO_DEVICE = "noDevice"
    HARDWARE_ERROR = "hardwareError"
    USER_ERROR = "userError"
    BUSY = "busy"
    STARTING = "starting"


# States a device does not leave by itself: out of use until someone sees to it
# (no use waiting on it in a test; a failure to count).
DOWN_STATES = frozenset({DeviceState.OFFLINE, DeviceState.HARDWARE_ERROR,
                         DeviceState.NO_DEVICE})


class Media(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    JAMMED = "jammed"
    UNKNOWN = "unknown"


class Paper(StrEnum):
    FULL = "full"
    LOW = "low"
    OUT = "out"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeviceStatus:
    device: DeviceState
    # A short technician-facing reason ("paper_out", "pcscd_down" ...); never personal data.
    detail: str = ""

    @property
    def usable(self) -> bool:
        """Can a citizen's journey rely on this device right now?"""
        return self.device in (DeviceState.ONLINE, DeviceState.BUSY)

    @property
    def reason(self) -> str:
        """Why the device is not usable, as a text key suffix (``unavailable.<reason>``)."""
        return "" if self.usable else self.device.value


@dataclass(frozen=True)
class CardReaderStatus(DeviceStatus):
    media: Media = Media.UNKNOWN

    @property
    def usable(self) -> bool:
        return super().usable and self.media is not Media.JAMMED

    @property
    def reason(self) -> str:
        if self.media is Media.JAMMED:
            return "card_jammed"
        return super().reason


@dataclass(frozen=True)
class PrinterStatus(DeviceStatus):
    paper: Paper = Paper.UNKNOWN
    cover_open: bool = False
    jammed: bool = False
    # A printout lies in the exit slot, not yet taken (XFS4IoT Printer media
    # "present"). Only printers with a presenter sensor know; the others say False.
    printout_waiting: bool = False

    @property
    def usable(self) -> bool:
        return (super().usable and self.paper is not Paper.OUT and not self.cover_open
                and not self.jammed)

    @property
    def reason(self) -> str:
        if self.device in (DeviceState.ONLINE, DeviceState.BUSY):
            if self.paper is Paper.OUT:
                return "paper_out"
            if self.cover_open:
                return "cover_open"
            if self.jammed:
                return "paper_jam"
        return super().reason


@dataclass(frozen=True)
class CameraStatus(DeviceStatus):
    camera: str = "ok"  # "ok" or "inop", as XFS4IoT's Camera status
