"""The wires an ESC/POS printer hangs on: TCP port 9100, a serial or device file, USB.

Each transport is three calls, ``write(data)``, ``read(n, timeout) -> bytes`` and
``close()``. ``read`` returns b"" when nothing arrived in time: the status parser
treats that as unknown. A wire that is gone (refused, reset, closed, unplugged)
raises ``DeviceError("offline", ...)`` so the driver can tell silence from loss.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import termios
import tty
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kiosk.devices.base import DeviceError


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, n: int, timeout: float) -> bytes: ...

    def close(self) -> None: ...


Connect = Callable[[], Transport]


class TcpTransport:
    """A raw socket to the printer's port 9100 (Epson, Star and most clones)."""

    def __init__(self, host: str, port: int = 9100, *, connect_timeout_s: float = 3.0,
                 write_timeout_s: float = 15.0) -> None:
        try:
            self._sock = socket.create_connection((host, port), timeout=connect_timeout_s)
        except OSError as exc:
            raise DeviceError("offline", f"tcp {host}:{port}: {exc}") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A printer that stopped (paper out) stops reading: a bounded write turns a
        # full TCP window into an error instead of a worker thread hung forever.
        self._write_timeout_s = write_timeout_s
        self._where = f"{host}:{port}"

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(self._write_timeout_s)
            self._sock.sendall(data)
        except OSError as exc:
            raise DeviceError("offline", f"tcp {self._where} write: {exc}") from exc

    def read(self, n: int, timeout: float) -> bytes:
        try:
            self._sock.settimeout(max(timeout, 0.0))  # 0: poll without blocking
            data = self._sock.recv(n)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as exc:
            raise DeviceError("offline", f"tcp {self._where} read: {exc}") from exc
        if not data:  # an orderly close by the printer: the wire is gone
            raise DeviceError("offline", f"tcp {self._where} closed by the printer")
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


class FileTransport:
    """A character device or file: /dev/usb/lp0 (usblp), /dev/ttyUSB0, a FIFO.

    ``serial=True`` puts a tty in raw mode at ``baudrate`` so the kernel neither
    echoes nor translates the binary raster data."""

    def __init__(self, path: str, *, serial: bool = False, baudrate: int = 38400) -> None:
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError as exc:
            raise DeviceError("offline", f"{path}: {exc}") from exc
        self._path = path
        if serial:
            try:
                tty.setraw(self._fd)
                attrs = termios.tcgetattr(self._fd)
                speed = getattr(termios, f"B{baudrate}")
                attrs[4] = attrs[5] = speed
                termios.tcsetattr(self._fd, termios.TCSANOW, attrs)
            except (termios.error, AttributeError) as exc:
                os.close(self._fd)
                raise DeviceError("offline", f"{path}: not a serial port ({exc})") from exc

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            raise DeviceError("offline", f"{self._path} write: {exc}") from exc

    def read(self, n: int, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([self._fd], [], [], max(timeout, 0.0))
            return os.read(self._fd, n) if ready else b""
        except OSError as exc:
            raise DeviceError("offline", f"{self._path} read: {exc}") from exc

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class UsbTransport:
    """A USB printer-class device through libusb (pyusb), found by vendor/product id."""

    def __init__(self, vendor_id: int, product_id: int, *, interface: int = 0) -> None:
        try:
            import usb.core  # lazily: only USB kiosks need pyusb and libusb
            import usb.util
        except ImportError as exc:
            raise DeviceError("offline", "pyusb is not installed") from exc
        self._usb = usb
        where = f"usb {vendor_id:04x}:{product_id:04x}"
        self._where = where
        try:
            dev = usb.core.find(idVendor=vendor_id, idProduct=product_id)
        except usb.core.NoBackendError as exc:
            raise DeviceError("offline", f"{where}: no libusb backend") from exc
        if dev is None:
            raise DeviceError("offline", f"{where}: not connected")
        self._dev: Any = dev
        self._interface = interface
        try:
            if dev.is_kernel_driver_active(interface):
                # usblp claims printers; libusb cannot talk past it.
                dev.detach_kernel_driver(interface)
            dev.set_configuration()
            usb.util.claim_interface(dev, interface)
        except usb.core.USBError as exc:
            if exc.errno == 16 or "busy" in str(exc).lower():
                raise DeviceError("offline", f"{where}: resource busy - another process "
                                  "(CUPS? a second kiosk?) holds the printer") from exc
            raise DeviceError("offline", f"{where}: {exc}") from exc
        intf = dev.get_active_configuration()[(interface, 0)]
        self._out = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util
                                             .endpoint_direction(e.bEndpointAddress)
                                             == usb.util.ENDPOINT_OUT)
        self._in = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util
                                            .endpoint_direction(e.bEndpointAddress)
                                            == usb.util.ENDPOINT_IN)
        if self._out is None:
            self.close()
            raise DeviceError("offline", f"{where}: no bulk OUT endpoint")

    def write(self, data: bytes) -> None:
        try:
            self._out.write(data, timeout=15000)
        except self._usb.core.USBError as exc:
            raise DeviceError("offline", f"{self._where} write: {exc}") from exc

    def read(self, n: int, timeout: float) -> bytes:
        if self._in is None:
            return b""  # a write-only printer: every status is unknown
        try:
            return bytes(self._in.read(max(n, self._in.wMaxPacketSize),
                                       timeout=max(int(timeout * 1000), 1)))[:n]
        except self._usb.core.USBTimeoutError:
            return b""
        except self._usb.core.USBError as exc:
            raise DeviceError("offline", f"{self._where} read: {exc}") from exc

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._usb.util.release_interface(self._dev, self._interface)
        with contextlib.suppress(Exception):  # even if the release failed (unplugged)
            self._usb.util.dispose_resources(self._dev)


def connector(options: Mapping[str, Any]) -> Connect:
    """A transport factory from config options: ``host`` (+``port``), ``usb_vendor`` +
    ``usb_product`` (ints or hex strings), or ``device`` (+``serial``, ``baudrate``)."""

    def as_id(value: Any) -> int:
        return int(value, 16) if isinstance(value, str) else int(value)

    if "host" in options:
        host, port = str(options["host"]), int(options.get("port", 9100))
        return lambda: TcpTransport(host, port)
    if "usb_vendor" in options and "usb_product" in options:
        vid, pid = as_id(options["usb_vendor"]), as_id(options["usb_product"])
        interface = int(options.get("usb_interface", 0))
        return lambda: UsbTransport(vid, pid, interface=interface)
    if "device" in options:
        path, serial = str(options["device"]), bool(options.get("serial", False))
        baud = int(options.get("baudrate", 38400))
        return lambda: FileTransport(path, serial=serial, baudrate=baud)
    raise ValueError("escpos printer: set host, usb_vendor/usb_product or device")
