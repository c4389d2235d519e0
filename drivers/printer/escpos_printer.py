"""ReceiptPrinter for a network (TCP, port 9100) ESC/POS printer.

Transport: a plain socket, not python-escpos's `Network`. We already build the bytes with
python-escpos (escpos_render.py), so all the transport has to do is connect, write, and read
one status byte per DLE EOT request with a deadline. `Network` gets in the way of exactly that:
its `_read()` is `recv(16)` (it would merge replies), `open()` turns every socket error into
DeviceNotFoundError (hiding refused vs timed out), and its `__del__` closes the socket at
garbage-collection time. A socket with TCP_NODELAY does the three steps clearly.

One connection per call: network printers serve one client at a time, and a kiosk prints a
few slips an hour, so holding a connection open would only block the technician's tools.
"""
from __future__ import annotations

import logging
import socket
import threading
from collections import OrderedDict

from drivers.printer.escpos_render import render
from kiosk.domain.receipt import ReceiptDoc
from kiosk.ports import DeviceState, DeviceStatus, PrintResult

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
MESSAGES = {
    DeviceState.PAPER_OUT: "打印机缺纸，请联系工作人员",
    DeviceState.COVER_OPEN: "打印机盖未关好，请联系工作人员",
    DeviceState.ABSENT: "打印机未连接，请联系工作人员",
    DeviceState.FAULT: "打印机故障，请联系工作人员",
    DeviceState.BUSY: "打印机忙，请稍后再试",
}
ALREADY_PRINTED = "已打印"
_REMEMBERED_JOBS = 1000   # a retry follows its job within seconds; this is hours of slips


class _NoReply(Exception):
    """Connected, but the printer did not answer a status request in time."""


def status_from_bytes(online: int, offline_cause: int, paper: int) -> DeviceStatus:
    """Map the replies to DLE EOT 1, 2 and 4 (Epson bit layout) to a DeviceStatus."""
    for value in (online, offline_cause, paper):
        if value & 0x93 != 0x12:               # bits 1, 4 set and 0, 7 clear in every reply
            return DeviceStatus.fault("bad_status_reply", f"状态字节异常 0x{value:02X}")
    if offline_cause & 0x04:
        return DeviceStatus(DeviceState.COVER_OPEN)
    if paper & 0x60 or offline_cause & 0x20:
        return DeviceStatus(DeviceState.PAPER_OUT)
    if offline_cause & 0x40:
        return DeviceStatus.fault("printer_error", "打印机报错（切刀或过热），请检查打印机")
    if online & 0x08:                          # offline for no reason above
        if offline_cause & 0x08:               # the FEED button is held down
            return DeviceStatus(DeviceState.BUSY)
        return DeviceStatus.fault("offline", "打印机离线")
    if paper & 0x0C:
        return DeviceStatus(DeviceState.PAPER_NEAR_END)
    return DeviceStatus.ok()


class EscposReceiptPrinter:
    """Never raises for device problems: they come back as a DeviceStatus / PrintResult."""

    def __init__(self, host: str, port: int = 9100, columns: int = 48, timeout: float = 3.0):
        self.host, self.port, self.columns, self.timeout = host, port, columns, timeout
        self._lock = threading.Lock()          # the controller prints, the health poller asks
        self._printed: OrderedDict[str, None] = OrderedDict()
        self._last = DeviceStatus.absent("not probed yet")

    def status(self) -> DeviceStatus:
        with self._lock:
            try:
                with self._connect() as sock:
                    self._last = self._query(sock)
            except _NoReply:
                self._last = self._no_reply()
            except OSError as e:
                self._last = self._absent(e)
            return self._last

    def print(self, doc: ReceiptDoc) -> PrintResult:
        data = render(doc, self.columns)       # before the lock: a bad doc is our bug, not the device's
        with self._lock:
            if doc.job_id in self._printed:
                return PrintResult(True, doc.job_id, self._last, ALREADY_PRINTED)
            try:
                with self._connect() as sock:
                    before = self._query(sock)
                    if not before.usable:
                        return self._failed(doc, before)
                    sock.sendall(data)
                    # Asked after the data: the reply proves the printer took it, and shows
                    # paper that ran out during the slip (the slip is then incomplete).
                    after = self._query(sock)
            except _NoReply:
                return self._failed(doc, self._no_reply())
            except OSError as e:
                return self._failed(doc, self._absent(e))
            self._last = after
            if not after.usable:
                return self._failed(doc, after)
            self._remember(doc.job_id)
            log.info("printed job %s (%d bytes), printer %s", doc.job_id, len(data), after.state.value)
            return PrintResult(True, doc.job_id, after)

    # -- internals ---------------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        # Status requests are 3-byte writes followed by a read: without NODELAY, Nagle's
        # algorithm holds each one back until the previous reply's ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _query(self, sock: socket.socket) -> DeviceStatus:
        return status_from_bytes(*(self._ask(sock, n) for n in (1, 2, 4)))

    @staticmethod
    def _ask(sock: socket.socket, n: int) -> int:
        sock.sendall(DLE_EOT + bytes([n]))
        try:
            reply = sock.recv(1)
        except socket.timeout:
            raise _NoReply() from None
        if not reply:
            raise ConnectionResetError("printer closed the connection")
        return reply[0]

    def _remember(self, job_id: str) -> None:
        self._printed[job_id] = None
        while len(self._printed) > _REMEMBERED_JOBS:
            self._printed.popitem(last=False)

    def _failed(self, doc: ReceiptDoc, status: DeviceStatus) -> PrintResult:
        self._last = status
        log.warning("job %s not printed: printer %s %s", doc.job_id, status.state.value, status.code)
        return PrintResult(False, doc.job_id, status, MESSAGES.get(status.state, MESSAGES[DeviceState.FAULT]))

    def _absent(self, error: OSError) -> DeviceStatus:
        return DeviceStatus.absent(f"无法连接 {self.host}:{self.port}（{error.__class__.__name__}）")

    @staticmethod
    def _no_reply() -> DeviceStatus:
        return DeviceStatus.fault("no_status_reply", "打印机已连接但不应答状态查询")
