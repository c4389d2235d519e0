"""ReceiptPrinter for any ESC/POS printer, on any transport (transports.py).

Each job: connect, real-time status (DLE EOT 1-4), the slip's bytes, status again, disconnect.
The status after the data proves the printer took it and shows paper that ran out during the
slip. No exception leaves this class for a device problem: it comes back as a DeviceStatus or
a PrintResult with a message in plain Chinese for the user.

No double prints. Every job has an id, and what happened to it is remembered:
- printed (status after was fine): the same id again prints nothing and answers "已打印";
- sent, unconfirmed (the data went out, then the reply timed out or the link dropped): a retry
  asks the printer first; if it is fine, the slip is on paper and nothing is sent again;
- cut short (paper out or cover open after the data, or the link broke while sending): part of
  the slip is on paper, so a retry prints it whole, marked 【补打】.
The user can ask for another copy explicitly: ReceiptDoc.as_reprint(new_id), also marked 补打.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from collections import OrderedDict

from drivers.printer.options import RenderOptions
from drivers.printer.transports import Connection, NetworkTransport, Transport
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
UNCONFIRMED = "打印机未确认打印完成，请查看出纸口；如未取到回执请联系工作人员"
ALREADY_PRINTED = "已打印"
ONE_WAY = "单向连接，无法读取纸张和机盖状态"
_REMEMBERED_JOBS = 1000   # a retry follows its job within minutes; this is days of slips

PRINTED, SENT, CUT_SHORT = "printed", "sent", "cut_short"


class _NoReply(Exception):
    """Connected, but the printer did not answer a status request in time."""


def status_from_bytes(online: int, offline_cause: int, paper: int, error: int = 0x12) -> DeviceStatus:
    """Map the replies to DLE EOT 1, 2, 4 (and 3) in the Epson bit layout to a DeviceStatus."""
    for value in (online, offline_cause, error, paper):
        if value & 0x93 != 0x12:               # bits 1, 4 set and 0, 7 clear in every reply
            return DeviceStatus.fault("bad_status_reply", f"状态字节异常 0x{value:02X}")
    if offline_cause & 0x04:
        return DeviceStatus(DeviceState.COVER_OPEN)
    if paper & 0x60 or offline_cause & 0x20:
        return DeviceStatus(DeviceState.PAPER_OUT)
    if error & 0x08:
        return DeviceStatus.fault("cutter_error", "切刀故障：请打开机盖清除卡纸")
    if error & 0x20:
        return DeviceStatus.fault("unrecoverable_error", "打印机不可恢复错误，请断电检修")
    if error & 0x40:                           # head too hot: the printer resumes by itself
        return DeviceStatus(DeviceState.BUSY, detail="打印头过热，自动恢复中")
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
    """`EscposReceiptPrinter(host, port)` for a network printer, or `transport=` for any other."""

    def __init__(self, host: str | None = None, port: int = 9100, columns: int = 48,
                 timeout: float = 3.0, *, transport: Transport | None = None,
                 options: RenderOptions | None = None):
        if transport is None:
            if host is None:
                raise ValueError("give a host or a transport")
            transport = NetworkTransport(host, port, timeout)
        self.transport = transport
        self.options = options or RenderOptions(columns)
        self.columns = self.options.columns
        self.timeout = timeout
        self._lock = threading.Lock()          # the controller prints, the health poller asks
        self._jobs: OrderedDict[str, str] = OrderedDict()
        self._last = DeviceStatus.absent("not probed yet")

    @property
    def description(self) -> str:
        return f"{self.transport.description}, {self.columns} 列, {self.options.text_mode}"

    def status(self) -> DeviceStatus:
        with self._lock:
            try:
                with self.transport.connect() as conn:
                    self._last = self._query(conn)
            except _NoReply:
                self._last = self._no_reply()
            except OSError as e:
                self._last = self._absent(e)
            return self._last

    def print(self, doc: ReceiptDoc) -> PrintResult:
        with self._lock:
            state = self._jobs.get(doc.job_id)
            if state == PRINTED:
                return PrintResult(True, doc.job_id, self._last, ALREADY_PRINTED)
            if state == SENT:
                return self._confirm(doc)
            if state == CUT_SHORT:
                doc = dataclasses.replace(doc, reprint=True)
            # Imported on the first slip, not at start: python-escpos, qrcode, python-barcode and
            # PIL are ~100 modules the idle kiosk need not hold (options.py; issue #15).
            from drivers.printer.escpos_render import render
            return self._print(doc, render(doc, options=self.options))

    # -- internals ---------------------------------------------------------------------------
    def _print(self, doc: ReceiptDoc, data: bytes) -> PrintResult:
        sending = False
        try:
            with self.transport.connect() as conn:
                before = self._query(conn)
                if not before.usable:
                    return self._failed(doc, before)
                sending = True
                conn.write(data)
                sending = False
                self._remember(doc.job_id, SENT)
                # Asked after the data: the reply proves the printer took it, and shows
                # paper that ran out during the slip (the slip is then incomplete).
                after = self._query(conn)
        except _NoReply:
            return self._failed(doc, self._no_reply())
        except OSError as e:
            if sending:                        # some of it may be on paper, uncut
                self._remember(doc.job_id, CUT_SHORT)
            return self._failed(doc, self._absent(e))
        self._last = after
        if not after.usable:
            self._remember(doc.job_id, CUT_SHORT)
            return self._failed(doc, after)
        self._remember(doc.job_id, PRINTED)
        log.info("printed job %s (%d bytes) on %s, printer %s", doc.job_id, len(data),
                 self.transport.description, after.state.value)
        return PrintResult(True, doc.job_id, after)

    def _confirm(self, doc: ReceiptDoc) -> PrintResult:
        """The job's data went out but was never confirmed: ask, never send it again blindly."""
        try:
            with self.transport.connect() as conn:
                now = self._query(conn)
        except _NoReply:
            return self._failed(doc, self._no_reply())
        except OSError as e:
            return self._failed(doc, self._absent(e))
        self._last = now
        if now.usable:
            self._remember(doc.job_id, PRINTED)
            log.info("job %s confirmed printed on retry; not sent again", doc.job_id)
            return PrintResult(True, doc.job_id, now, ALREADY_PRINTED)
        self._remember(doc.job_id, CUT_SHORT)  # it stopped during or after our slip
        return self._failed(doc, now)

    def _query(self, conn: Connection) -> DeviceStatus:
        if not conn.bidirectional:
            return DeviceStatus(DeviceState.OK, detail=ONE_WAY)
        conn.discard_input()
        replies = []
        for n in (1, 2, 3, 4):
            conn.write(DLE_EOT + bytes([n]))
            reply = conn.read(1, self.timeout)
            if not conn.bidirectional:         # learnt on the first read (usblp, one-way)
                return DeviceStatus(DeviceState.OK, detail=ONE_WAY)
            if not reply:
                raise _NoReply()
            replies.append(reply[0])
        online, offline_cause, error, paper = replies
        return status_from_bytes(online, offline_cause, paper, error)

    def _remember(self, job_id: str, state: str) -> None:
        self._jobs[job_id] = state
        self._jobs.move_to_end(job_id)
        while len(self._jobs) > _REMEMBERED_JOBS:
            self._jobs.popitem(last=False)

    def _failed(self, doc: ReceiptDoc, status: DeviceStatus) -> PrintResult:
        self._last = status
        log.warning("job %s not confirmed: printer %s %s", doc.job_id, status.state.value, status.code)
        if self._jobs.get(doc.job_id) == SENT:
            return PrintResult(False, doc.job_id, status, UNCONFIRMED)
        return PrintResult(False, doc.job_id, status, MESSAGES.get(status.state, MESSAGES[DeviceState.FAULT]))

    def _absent(self, error: OSError) -> DeviceStatus:
        return DeviceStatus.absent(f"无法连接 {self.transport.description}（{error.__class__.__name__}）")

    @staticmethod
    def _no_reply() -> DeviceStatus:
        return DeviceStatus.fault("no_status_reply", "打印机已连接但不应答状态查询")
