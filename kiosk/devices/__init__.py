"""Devices: card reader, camera, printers, speaker. Each has one interface, real driver(s)
and a simulator that can be told to fail; each runs its I/O on its own worker
thread and reports one typed status (modelled on XFS4IoT ``Common.Status``)."""

from kiosk.devices.status import (
    CameraStatus,
    CardReaderStatus,
    DeviceState,
    DeviceStatus,
    Media,
    Paper,
    PrinterStatus,
)

__all__ = [
    "CameraStatus",
    "CardReaderStatus",
    "DeviceState",
    "DeviceStatus",
    "Media",
    "Paper",
    "PrinterStatus",
]
