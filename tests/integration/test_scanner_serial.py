"""SerialCodeScanner over a real pseudo-terminal through real pyserial: a scanner module that
sends each code as a line ending in CR, LF or CR LF.

Hot-plug: a reopened pty gets a new /dev/pts/N, so the scanner is given a symlink (as udev
gives /dev/scanner in production) that the test re-points.
"""
from __future__ import annotations

import datetime as dt
import os
import queue
import threading
import tty

import pytest

from kiosk.domain.application_no import make_application_no
from kiosk.domain.payload import BUSINESS_LICENCE, RECEIPT, UNKNOWN
from kiosk.ports import DeviceState
from drivers.scanner.serial_scanner import SerialCodeScanner

RECEIPT_NO = make_application_no(dt.date(2026, 11, 28), 5)


class Module:
    """The scanner module's end of the wire: a pty master behind a symlinked slave."""

    def __init__(self, link: str):
        self.link = link
        self.master = None
        self.plug()

    def plug(self):
        self.master, slave = os.openpty()
        tty.setraw(slave)
        path = os.ttyname(slave)
        self._slave = slave
        if os.path.lexists(self.link):
            os.unlink(self.link)
        os.symlink(path, self.link)

    def unplug(self):
        os.unlink(self.link)
        os.close(self.master)
        os.close(self._slave)
        self.master = None

    def send(self, data: bytes):
        os.write(self.master, data)

    def close(self):
        if self.master is not None:
            self.unplug()


class Recorder:
    def __init__(self):
        self.codes: queue.Queue = queue.Queue()
        self.statuses = []
        self._cond = threading.Condition()

    def on_code(self, code):
        self.codes.put(code)

    def on_status(self, status):
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def wait_state(self, state, timeout=5.0):
        with self._cond:
            assert self._cond.wait_for(lambda: self.statuses and self.statuses[-1].state == state, timeout), \
                f"no {state} within {timeout}s: {self.statuses}"


@pytest.fixture
def module(tmp_path):
    m = Module(str(tmp_path / "scanner"))
    yield m
    m.close()


@pytest.fixture
def scanner(module):
    s = SerialCodeScanner(module.link, baudrate=9600, dedupe_window_s=1.0)
    rec = Recorder()
    s.start(rec.on_code, rec.on_status)
    rec.wait_state(DeviceState.OK)
    yield s, rec
    s.stop()


def test_lines_with_any_line_ending_are_codes(module, scanner):
    _, rec = scanner
    module.send(RECEIPT_NO.encode() + b"\r")
    module.send("张三 江苏省南京市".encode("gb18030") + b"\r\n")
    module.send(b"91110000600037341L\n")
    got = [rec.codes.get(timeout=2) for _ in range(3)]
    assert [(c.kind, c.source) for c in got] == [(RECEIPT, "serial"), (UNKNOWN, "serial"), (BUSINESS_LICENCE, "serial")]
    assert got[1].text == "张三 江苏省南京市" and got[1].charset == "gb18030"


def test_the_same_code_twice_within_the_window_is_one_event(module, scanner):
    _, rec = scanner
    module.send(RECEIPT_NO.encode() + b"\r" + RECEIPT_NO.encode() + b"\r")
    assert rec.codes.get(timeout=2).text == RECEIPT_NO
    with pytest.raises(queue.Empty):
        rec.codes.get(timeout=0.3)


def test_code_split_across_writes_and_one_without_suffix(module, scanner):
    _, rec = scanner
    module.send(b"QY2026")
    module.send(RECEIPT_NO[6:].encode() + b"\r\n")
    assert rec.codes.get(timeout=2).text == RECEIPT_NO
    module.send(b"NO-SUFFIX-CODE")            # a module configured without CR: taken when idle
    assert rec.codes.get(timeout=2).text == "NO-SUFFIX-CODE"


def test_unplug_and_replug(module, scanner):
    s, rec = scanner
    module.unplug()
    rec.wait_state(DeviceState.ABSENT, timeout=3)
    assert "扫码器" in s.status().detail
    module.plug()
    rec.wait_state(DeviceState.OK, timeout=3)
    module.send(b"AFTER-REPLUG\r")
    assert rec.codes.get(timeout=2).text == "AFTER-REPLUG"
    assert s.latest_frame() is None
