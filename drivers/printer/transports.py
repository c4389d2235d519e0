"""How bytes reach a receipt printer: TCP port 9100, a serial line, a device file, or USB.

Each transport opens one connection per job (`with transport.connect() as conn:`), writes, and
reads single status bytes with a deadline. One connection per job because a kiosk prints a few
slips an hour, and reopening is what makes a replugged printer work again without a restart.

Not python-escpos's printer classes: `Network._read()` is `recv(16)` (it merges replies), its
`open()` turns every socket error into one exception, and `Serial`/`File`/`Usb` each raise
their own (docs/decisions.md #6). Here every device problem is an OSError, and a missing reply
is an empty read, so the driver above tells "absent" from "not answering" the same way on all
four wires.
"""
from __future__ import annotations

import errno
import os
import select
import socket
import stat
from contextlib import contextmanager
from typing import ContextManager, Iterator, Protocol


class Connection(Protocol):
    bidirectional: bool                # False: nothing can be read back (no status)

    def write(self, data: bytes) -> None: ...     # returns when the data left this machine
    def read(self, n: int, timeout: float) -> bytes: ...   # b"" when nothing came in time
    def discard_input(self) -> None: ...          # drop late replies to an earlier request


class Transport(Protocol):
    description: str                   # for technicians and logs: "tcp 192.0.2.10:9100"

    def connect(self) -> ContextManager[Connection]: ...


# -- network ---------------------------------------------------------------------------------
class _SocketConnection:
    bidirectional = True

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self, n: int, timeout: float) -> bytes:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(n)
        except socket.timeout:
            return b""
        if not data:
            raise ConnectionResetError("printer closed the connection")
        return data

    def discard_input(self) -> None:
        return                         # a fresh connection per job has no stale replies


class NetworkTransport:
    def __init__(self, host: str, port: int = 9100, timeout: float = 3.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.description = f"tcp {host}:{port}"

    @contextmanager
    def connect(self) -> Iterator[_SocketConnection]:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        try:
            # Status requests are 3-byte writes followed by a read: without NODELAY, Nagle's
            # algorithm holds each one back until the previous reply's ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            yield _SocketConnection(sock)
        finally:
            sock.close()


# -- serial ----------------------------------------------------------------------------------
class _SerialConnection:
    bidirectional = True

    def __init__(self, ser):
        self.ser = ser

    def write(self, data: bytes) -> None:
        # A raster slip is ~45 kB: 4 s at 115200 baud. The write deadline follows the size.
        self.ser.write_timeout = 2.0 + len(data) * 10 * 2 / self.ser.baudrate
        self.ser.write(data)
        self.ser.flush()               # wait until the UART sent it, so "after" means after

    def read(self, n: int, timeout: float) -> bytes:
        self.ser.timeout = timeout
        return self.ser.read(n)

    def discard_input(self) -> None:
        self.ser.reset_input_buffer()


class SerialTransport:
    def __init__(self, port: str, baudrate: int = 115200, flow_control: str = "none",
                 timeout: float = 3.0):
        self.port, self.baudrate, self.flow_control, self.timeout = port, baudrate, flow_control, timeout
        self.description = f"serial {port} {baudrate} baud" + (
            f", {flow_control}" if flow_control != "none" else "")

    @contextmanager
    def connect(self) -> Iterator[_SerialConnection]:
        import serial                  # pyserial: only serial terminals need it loaded
        # SerialException is an OSError: an unplugged adapter reads as "absent" like a socket.
        ser = serial.Serial(self.port, self.baudrate, timeout=self.timeout,
                            rtscts=self.flow_control == "rtscts",
                            xonxoff=self.flow_control == "xonxoff", exclusive=True)
        try:
            yield _SerialConnection(ser)
        finally:
            ser.close()


# -- device file -----------------------------------------------------------------------------
class _FileConnection:
    def __init__(self, fd: int, bidirectional: bool):
        self.fd, self.bidirectional = fd, bidirectional

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def read(self, n: int, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, n)
        except OSError as e:
            # usblp answers reads with EINVAL/EOPNOTSUPP on printers that cannot talk back.
            if e.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                self.bidirectional = False
                return b""
            raise

    def discard_input(self) -> None:
        while self.bidirectional and select.select([self.fd], [], [], 0)[0]:
            if not os.read(self.fd, 4096):
                return


class FileTransport:
    """A printer device file (`/dev/usb/lp0`, a tty) read and written as is, or a plain file.

    A plain file (or a path that does not exist yet) is a capture: jobs are appended to it and
    there is nothing to read a status from. A character device is opened for reading too.
    """

    def __init__(self, path: str, timeout: float = 3.0):
        self.path, self.timeout = path, timeout
        self.description = f"file {path}"

    @contextmanager
    def connect(self) -> Iterator[_FileConnection]:
        try:
            is_device = stat.S_ISCHR(os.stat(self.path).st_mode)
        except FileNotFoundError:
            is_device = False
        if is_device:
            fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY)
        else:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            yield _FileConnection(fd, bidirectional=is_device)
        finally:
            os.close(fd)


# -- USB (libusb) ----------------------------------------------------------------------------
class _UsbConnection:
    bidirectional = True

    def __init__(self, out_ep, in_ep, timeout: float):
        self.out_ep, self.in_ep, self.timeout = out_ep, in_ep, timeout
        self.bidirectional = in_ep is not None

    def write(self, data: bytes) -> None:
        # USB full speed moves ~1 MB/s: the deadline is for a printer that stopped taking data.
        self.out_ep.write(data, timeout=int((self.timeout + len(data) / 100_000) * 1000))

    def read(self, n: int, timeout: float) -> bytes:
        import usb.core
        try:
            return bytes(self.in_ep.read(max(n, self.in_ep.wMaxPacketSize), timeout=int(timeout * 1000)))[:n]
        except usb.core.USBTimeoutError:
            return b""

    def discard_input(self) -> None:
        return                         # bulk IN holds no data until we ask (no ASB enabled)


class UsbTransport:
    """A USB printer through libusb (pyusb), for when no usblp device file exists.

    The usblp kernel driver, if bound, is detached first: it would hold the interface.
    """

    def __init__(self, vendor_id: int, product_id: int, timeout: float = 3.0, interface: int = 0):
        self.vendor_id, self.product_id, self.timeout, self.interface = vendor_id, product_id, timeout, interface
        self.description = f"usb {vendor_id:04x}:{product_id:04x}"

    @contextmanager
    def connect(self) -> Iterator[_UsbConnection]:
        try:
            import usb.core
            import usb.util
        except ImportError:
            raise FileNotFoundError(errno.ENOENT, "pyusb is not installed") from None
        try:
            dev = usb.core.find(idVendor=self.vendor_id, idProduct=self.product_id)
        except usb.core.NoBackendError:
            raise FileNotFoundError(errno.ENOENT, "libusb is not installed (apt install libusb-1.0-0)") from None
        if dev is None:
            raise FileNotFoundError(errno.ENODEV, f"no USB device {self.description[4:]}")
        try:
            if dev.is_kernel_driver_active(self.interface):
                dev.detach_kernel_driver(self.interface)
            dev.set_configuration()
            intf = dev.get_active_configuration()[(self.interface, 0)]
            out_ep = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(
                e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
            in_ep = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(
                e.bEndpointAddress) == usb.util.ENDPOINT_IN)
            if out_ep is None:
                raise OSError(errno.ENODEV, f"{self.description}: no bulk OUT endpoint")
            yield _UsbConnection(out_ep, in_ep, self.timeout)
        finally:
            usb.util.dispose_resources(dev)
