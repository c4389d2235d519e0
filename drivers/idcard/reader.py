"""IdCardReader adapter for a GA 467 SAM reader on a serial port (kiosk.ports.IdCardReader).

One daemon thread owns the port: open -> SAM status -> poll find/select/read every
poll_interval -> on_card(IdentityCard). The port is reopened every second when it cannot be
opened or disappears (USB hot-plug). Callbacks run on that thread; the controller only queues.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Callable

import serial

from kiosk.domain.identity import IdentityCard
from kiosk.ports import DeviceStatus, OnStatus

from . import ga467
from .resident_text import CardDataError, decode_resident_text, split_read_data

log = logging.getLogger(__name__)

# What a vanished device raises. pyserial lets termios.error (not an OSError) escape from
# tcflush/tcsetattr on POSIX when a USB adapter or a pty disappears.
try:
    import termios
    PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:     # Windows
    PORT_ERRORS = (serial.SerialException, OSError)

REOPEN_INTERVAL = 1.0   # s between attempts to (re)open a missing port
READ_SLICE = 0.05       # s: longest blocking read, so stop() is honoured promptly
FAULT_AFTER = 2         # consecutive failed exchanges before "fault": one lost reply is noise


class _NoReply(Exception):
    """An exchange produced no usable reply; .code is the DeviceStatus fault code."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


class _Stopping(Exception):
    """stop() was called in the middle of an exchange."""


class SerialIdCardReader:
    def __init__(self, port: str, baudrate: int = 115200, poll_interval: float = 0.3,
                 reply_timeout: float = 1.0,
                 serial_factory: Callable[..., serial.SerialBase] = serial.serial_for_url) -> None:
        self.port = port
        self.baudrate = baudrate
        self.poll_interval = poll_interval
        self.reply_timeout = reply_timeout
        self._serial_factory = serial_factory
        self._on_card: Callable[[IdentityCard], None] = lambda card: None
        self._on_status: OnStatus = lambda status: None
        self._status: DeviceStatus | None = None    # None until the thread has tried the port
        self._status_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._decoder = ga467.FrameDecoder()
        self._failures = 0
        # Digest of the text block last seen, not the card itself: enough to tell "same card
        # still lying there" from "another card", without keeping personal data in the driver.
        self._last_digest: bytes | None = None

    # -- IdCardReader port --------------------------------------------------------------------
    def start(self, on_card: Callable[[IdentityCard], None], on_status: OnStatus) -> None:
        if self._thread is not None:
            raise RuntimeError("ID card reader already started")
        self._on_card, self._on_status = on_card, on_status
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="idcard-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=REOPEN_INTERVAL + 0.5)
            if self._thread.is_alive():
                log.error("ID card reader thread did not stop in time")
            self._thread = None

    def status(self) -> DeviceStatus:
        with self._status_lock:
            return self._status or DeviceStatus.absent("读卡器尚未连接")

    # -- thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ser = self._serial_factory(self.port, baudrate=self.baudrate, timeout=READ_SLICE,
                                           write_timeout=self.reply_timeout)
            except (*PORT_ERRORS, ValueError) as exc:   # ValueError: malformed port URL
                if self._set_status(DeviceStatus.absent(f"读卡器未连接（{self.port}）")):
                    log.warning("cannot open ID card reader port %s: %s", self.port, exc)
                self._stop.wait(REOPEN_INTERVAL)
                continue
            try:
                self._serve(ser)
            except _Stopping:
                break
            except PORT_ERRORS as exc:
                log.warning("ID card reader port %s lost: %s", self.port, exc)
                self._set_status(DeviceStatus.absent(f"读卡器连接中断（{self.port}）"))
                self._stop.wait(REOPEN_INTERVAL)
            except Exception:   # a bug here must not leave a dead thread behind an "ok" status
                log.exception("ID card reader thread error; reopening %s", self.port)
                self._set_status(DeviceStatus.fault("internal", "读卡器驱动内部错误"))
                self._stop.wait(REOPEN_INTERVAL)
            finally:
                self._close(ser)

    def _close(self, ser: serial.SerialBase) -> None:
        try:
            ser.close()
        except PORT_ERRORS as exc:     # the device may already be gone
            log.debug("closing %s: %s", self.port, exc)

    def _serve(self, ser: serial.SerialBase) -> None:
        """Talk to an open port until it fails (raises) or stop() is called."""
        self._failures = 0
        sam_ok = False
        while not self._stop.is_set():
            if not sam_ok:
                sam_ok = self._check_sam(ser)
            if sam_ok:
                self._poll(ser)
            self._stop.wait(self.poll_interval)
        raise _Stopping

    def _check_sam(self, ser: serial.SerialBase) -> bool:
        reply = self._transact(ser, ga467.SAM_STATUS)
        if reply is None:
            return False
        if reply.sw3 != ga467.SW_OK:
            log.warning("SAM self-test failed: SW3=0x%02X", reply.sw3)
            self._set_status(DeviceStatus.fault("sam", f"安全模块自检失败：{reply.message}"))
            return False
        self._set_status(DeviceStatus.ok())
        return True

    def _poll(self, ser: serial.SerialBase) -> None:
        reply = self._transact(ser, ga467.FIND)
        if reply is not None and reply.sw3 != ga467.SW_FIND_OK:
            # One failed find is not proof of removal: a single missed RF answer would make a
            # card that is lying there be reported again. Confirm with a second find.
            reply = self._transact(ser, ga467.FIND)
        if reply is None:
            return
        if reply.sw3 != ga467.SW_FIND_OK:
            if reply.sw3 == ga467.SW_FIND_FAILED:
                self._last_digest = None        # card gone: the same card may be reported again
            else:
                log.warning("find: SW3=0x%02X %s", reply.sw3, reply.message)
            return
        reply = self._transact(ser, ga467.SELECT)
        if reply is None or reply.sw3 != ga467.SW_OK:
            if reply is not None:
                log.info("select: SW3=0x%02X %s", reply.sw3, reply.message)
            return
        reply = self._transact(ser, ga467.READ_TEXT_PHOTO)
        if reply is None or reply.sw3 != ga467.SW_OK:
            if reply is not None:
                log.info("read: SW3=0x%02X %s", reply.sw3, reply.message)
            return
        self._handle_read(reply.data)

    def _handle_read(self, data: bytes) -> None:
        try:
            text, photo_len = split_read_data(data)
        except CardDataError as exc:
            log.warning("read reply malformed: %s", exc)
            return
        del data        # the WLT photo is never kept or passed on (ARCHITECTURE §5)
        digest = hashlib.sha256(text).digest()
        if digest == self._last_digest:
            return                              # the same card is still lying on the reader
        self._last_digest = digest              # also for a bad block: log it once, not per poll
        try:
            card = decode_resident_text(text)
        except CardDataError as exc:
            log.warning("card text unreadable: %s", exc)
            return
        log.info("card read: %r (photo %d bytes discarded)", card, photo_len)
        try:
            self._on_card(card)
        except Exception:       # a consumer bug must not kill the reader thread
            log.exception("on_card callback failed")

    # -- one command, one reply ---------------------------------------------------------------
    def _transact(self, ser: serial.SerialBase, command: tuple[int, int]):
        """Exchange, track consecutive failures; a ga467.Reply, or None if there was none."""
        try:
            reply = self._exchange(ser, command)
        except _NoReply as exc:
            self._failures += 1
            log.warning("command %02X %02X: %s", command[0], command[1], exc.detail)
            if self._failures >= FAULT_AFTER:
                self._set_status(DeviceStatus.fault(exc.code, exc.detail))
            return None
        self._failures = 0
        if reply.sw3 in (ga467.SW_CHECKSUM_ERROR, ga467.SW_LENGTH_ERROR, ga467.SW_BAD_COMMAND):
            log.warning("reader rejected %02X %02X: %s", command[0], command[1], reply.message)
        # The reader answered with a well-formed frame; the SAM check decides about "sam".
        if command != ga467.SAM_STATUS:
            self._set_status(DeviceStatus.ok())
        return reply

    def _exchange(self, ser: serial.SerialBase, command: tuple[int, int]) -> ga467.Reply:
        # Drop stale bytes (a late reply to a timed-out command, a half frame) so they cannot
        # be taken for the answer to this command.
        ser.reset_input_buffer()
        self._decoder.reset()
        try:
            ser.write(ga467.build_command(*command))
        except serial.SerialTimeoutException as exc:
            raise _NoReply("timeout", "读卡器不接收命令") from exc
        # The deadline counts from the last byte received: a long reply that keeps arriving is
        # fine, silence (nothing, or a truncated frame) for reply_timeout is not. Hard cap so a
        # babbling line cannot hold us forever.
        now = time.monotonic()
        deadline, cap = now + self.reply_timeout, now + 3 * self.reply_timeout
        while True:
            if self._stop.is_set():
                raise _Stopping
            now = time.monotonic()
            if now >= min(deadline, cap):
                raise _NoReply("timeout", "读卡器无应答")
            data = ser.read(ser.in_waiting or 1)
            if not data:
                continue
            deadline = time.monotonic() + self.reply_timeout
            payloads = self._decoder.feed(data)
            errors = self._decoder.take_errors()
            for err in errors:
                log.warning("bad frame from reader: %s: %s", type(err).__name__, err)
            if payloads:
                try:
                    return ga467.parse_reply(payloads[0])
                except ga467.FrameError as exc:
                    raise _NoReply("bad_frame", "读卡器应答格式错误") from exc
            if errors:
                raise _NoReply("bad_frame", "读卡器应答校验错误")

    # -- status -------------------------------------------------------------------------------
    def _set_status(self, status: DeviceStatus) -> bool:
        """Record and announce a status change. True if it changed."""
        with self._status_lock:
            if status == self._status:
                return False
            self._status = status
        log.info("ID card reader status: %s %s %s", status.state.value, status.code, status.detail)
        try:
            self._on_status(status)
        except Exception:       # a consumer bug must not kill the reader thread
            log.exception("on_status callback failed")
        return True
