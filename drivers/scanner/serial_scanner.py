"""CodeScanner adapter for a barcode-scanner module on a (USB-)serial port.

Such modules decode by themselves and send each code as one line ending in CR, LF or CR LF.
One thread owns the port and reopens it every second while it is missing (USB hot-plug), like
the ID card reader. The bytes of a line go through the same payload decoding and the same
de-duplication as the camera's codes; the module's own character set (often GBK or UTF-8,
set on the module) is guessed like any code without an ECI.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Callable

import serial

from kiosk.domain.payload import ScannedCode, scan_result
from kiosk.ports import DeviceStatus, OnStatus

from .pipeline import Deduper

log = logging.getLogger(__name__)

from drivers.serial_link import keep_port_open

REOPEN_INTERVAL = 0.5   # s between attempts to (re)open a missing port: back within 2 s of replugging
READ_SLICE = 0.05       # s: longest blocking read, so stop() is honoured promptly
IDLE_FLUSH_S = 0.3      # a partial line this long without more bytes is taken as a whole code
MAX_LINE = 8192         # bytes; longer than any QR code holds: the line is garbage


class SerialCodeScanner:
    def __init__(self, port: str, baudrate: int = 9600, dedupe_window_s: float = 3.0,
                 serial_factory: Callable[..., serial.SerialBase] = serial.serial_for_url,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.port = port
        self.baudrate = baudrate
        self._serial_factory = serial_factory
        self._clock = clock
        self._dedupe = Deduper(dedupe_window_s, clock)
        self._on_code: Callable[[ScannedCode], None] = lambda code: None
        self._on_status: OnStatus = lambda status: None
        self._status: DeviceStatus | None = None
        self._status_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned_no_suffix = False

    # -- CodeScanner port ---------------------------------------------------------------------
    def start(self, on_code: Callable[[ScannedCode], None], on_status: OnStatus,
              on_hint=None) -> None:
        # on_hint is never called: a scanner module decodes in hardware and says nothing of
        # codes it cannot read.
        if self._thread is not None:
            raise RuntimeError("serial scanner already started")
        self._on_code, self._on_status = on_code, on_status
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="scanner-serial", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=REOPEN_INTERVAL + 0.5)
            if self._thread.is_alive():
                log.error("serial scanner thread did not stop in time")
            self._thread = None

    def status(self) -> DeviceStatus:
        with self._status_lock:
            return self._status or DeviceStatus.absent("扫码器尚未连接")

    def latest_frame(self):
        """A serial module has no picture to preview."""
        return None

    # -- thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        def serve(ser: serial.SerialBase) -> None:
            self._set_status(DeviceStatus.ok())      # a scanner only talks when a code comes
            self._read_lines(ser)
        keep_port_open(device="扫码器", port=self.port, serve=serve, set_status=self._set_status,
                       open_port=lambda: self._serial_factory(self.port, baudrate=self.baudrate, timeout=READ_SLICE),
                       stop=self._stop, reopen_s=REOPEN_INTERVAL)

    def _read_lines(self, ser: serial.SerialBase) -> None:
        buf = bytearray()
        last_byte = self._clock()
        while not self._stop.is_set():
            data = ser.read(ser.in_waiting or 1)
            now = self._clock()
            if not data:
                if buf and now - last_byte >= IDLE_FLUSH_S:
                    if not self._warned_no_suffix:
                        log.warning("scanner on %s sent a code without CR/LF; set its suffix to CR",
                                    self.port)
                        self._warned_no_suffix = True
                    self._line(bytes(buf))
                    buf.clear()
                continue
            last_byte = now
            buf += data
            while True:
                cut = min((i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0), default=-1)
                if cut < 0:
                    break
                line = bytes(buf[:cut])
                del buf[:cut + 1]
                if line:                  # CR LF leaves an empty line between: not a code
                    self._line(line)
            if len(buf) > MAX_LINE:
                log.warning("scanner on %s sent %d bytes without a line end; dropped", self.port, len(buf))
                buf.clear()

    def _line(self, line: bytes) -> None:
        if not self._dedupe.is_new(line):
            return
        t0 = time.perf_counter()
        code = scan_result(line, None, "serial")      # the module decoded it: ms = ours only
        code = dataclasses.replace(code, ms=(time.perf_counter() - t0) * 1000)
        log.info("code from serial scanner: %s %s", code.kind, code.payload.preview)
        try:
            self._on_code(code)
        except Exception:       # a consumer bug must not kill the reader thread
            log.exception("on_code callback failed")

    # -- status -------------------------------------------------------------------------------
    def _set_status(self, status: DeviceStatus) -> bool:
        with self._status_lock:
            if status == self._status:
                return False
            self._status = status
        log.info("serial scanner status: %s %s %s", status.state.value, status.code, status.detail)
        try:
            self._on_status(status)
        except Exception:       # a consumer bug must not kill the reader thread
            log.exception("on_status callback failed")
        return True
