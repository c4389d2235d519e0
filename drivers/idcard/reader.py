"""IdCardReader adapter for a GA 467 SAM reader on a serial port (kiosk.ports.IdCardReader).

One daemon thread owns the port: open -> SAM status, SAM id, RF frame size -> every
poll_interval: find -> select -> read -> on_card(IdentityCard). The port is reopened every
REOPEN_INTERVAL when it cannot be opened or disappears (USB hot-plug; configure a stable
/dev/serial/by-id/... path). Callbacks run on that thread; the controller only queues.

What each SW3 does to the loop is decided by its kind (ga467.Sw3Kind): NO_CARD keeps polling,
CARD is a problem with the card in the field (reported once through on_card_error, the device
stays ok), LINK counts as a failed exchange like a timeout, SAM is a device fault at once.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

import serial

from kiosk.domain.identity import RESIDENT, IdentityCard
from kiosk.ports import DeviceStatus, OnStatus

from . import ga467
from .card_text import decode_card_text
from .codes import CardDataError
from .ga467 import Sw3, Sw3Kind
from .photo import PhotoDecoder, decode_photo
from .read_data import format_sam_id, parse_new_address, split_read_data

log = logging.getLogger(__name__)

# What a vanished device raises. pyserial lets termios.error (not an OSError) escape from
# tcflush/tcsetattr on POSIX when a USB adapter or a pty disappears.
from drivers.serial_link import keep_port_open

REOPEN_INTERVAL = 0.5   # s between attempts to (re)open a missing port: "ok" within 2 s of re-plug
READ_SLICE = 0.05       # s: longest blocking read, so stop() is honoured promptly
FAULT_AFTER = 2         # consecutive failed exchanges before "fault": one lost reply is noise
MAX_RF_BYTES = 0x50     # 61 FF data byte, the value vendor drivers send at start-up
_SAM_FAULT_CODES = {Sw3.SAM_SELF_TEST_FAILED: "sam_selftest",
                    Sw3.SAM_UNAUTHORISED: "sam_unauthorised"}


@dataclass(frozen=True)
class CardError:
    """A card on the reader that could not be read. Never carries personal data."""
    code: str               # "select_failed", "read_failed", "card_auth_failed", "unreadable", ...
    message: str            # plain Chinese, for the screen
    sw3: int | None = None


class _NoReply(Exception):
    """An exchange produced no usable reply; .code is the DeviceStatus fault code."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


class _Stopping(Exception):
    """stop() was called in the middle of an exchange."""


class _SamFault(Exception):
    """The SAM reported itself unusable (SW3 60/66) in the middle of polling."""


class SerialIdCardReader:
    def __init__(self, port: str, baudrate: int = 115200, poll_interval: float = 0.3,
                 reply_timeout: float = 1.0,
                 serial_factory: Callable[..., serial.SerialBase] = serial.serial_for_url,
                 read_fingerprint: bool = False, read_new_address: bool = False,
                 photo_decoder: PhotoDecoder | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.port = port
        self.baudrate = baudrate
        self.poll_interval = poll_interval
        self.reply_timeout = reply_timeout
        self.read_fingerprint = read_fingerprint    # 30 10 instead of 30 01 (falls back)
        self.read_new_address = read_new_address    # 30 03 after a resident card's read
        self._serial_factory = serial_factory
        self._photo_decoder = photo_decoder         # off by default: see photo.py
        self._today = today
        self._on_card: Callable[[IdentityCard], None] = lambda card: None
        self._on_status: OnStatus = lambda status: None
        self._on_card_error: Callable[[CardError], None] = lambda error: None
        self._status: DeviceStatus | None = None    # None until the thread has tried the port
        self._status_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()              # cuts the poll wait short (stop, wanted)
        self._wanted = True
        self._thread: threading.Thread | None = None
        self._decoder = ga467.FrameDecoder()
        self._failures = 0
        self.sam_id = ""                            # e.g. 05.01-20230601-0012345678-1234567890
        self.last_card_error: CardError | None = None
        # A keyed digest of the text block last seen, not the card: enough to tell "same card
        # still lying there" from "another card", and useless to anyone who reads the memory.
        self._digest_key = os.urandom(16)
        self._last_digest: bytes | None = None
        self._card_reported = False     # on_card was called for the card now in the field
        self._reported_error: CardError | None = None

    # -- IdCardReader port --------------------------------------------------------------------
    def start(self, on_card: Callable[[IdentityCard], None], on_status: OnStatus,
              on_card_error: Callable[[CardError], None] | None = None) -> None:
        if self._thread is not None:
            raise RuntimeError("ID card reader already started")
        self._on_card, self._on_status = on_card, on_status
        if on_card_error is not None:
            self._on_card_error = on_card_error
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="idcard-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=REOPEN_INTERVAL + self.reply_timeout + 0.5)
            if self._thread.is_alive():
                log.error("ID card reader thread did not stop in time")
            self._thread = None

    def status(self) -> DeviceStatus:
        with self._status_lock:
            return self._status or DeviceStatus.absent("读卡器尚未连接")

    def set_wanted(self, wanted: bool) -> None:
        """Whether the kiosk wants a card now. When not, the reader only keeps track of the
        card's presence (find), so a card left lying there is not read again afterwards."""
        self._wanted = wanted
        self._wake.set()

    # -- thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        keep_port_open(device="读卡器", port=self.port, serve=self._serve, set_status=self._set_status,
                       open_port=lambda: self._serial_factory(self.port, baudrate=self.baudrate, timeout=READ_SLICE,
                                                              write_timeout=self.reply_timeout),
                       stop=self._stop, reopen_s=REOPEN_INTERVAL, stopping=(_Stopping,))

    def _serve(self, ser: serial.SerialBase) -> None:
        """Talk to an open port until it fails (raises) or stop() is called."""
        self._failures = 0
        self._decoder.reset()
        sam_ok = False
        while not self._stop.is_set():
            if not sam_ok:
                sam_ok = self._init_sam(ser)
            if sam_ok:
                try:
                    self._poll(ser)
                except _SamFault:
                    sam_ok = False
            self._wake.clear()
            if not self._stop.is_set():     # stop() may have set the wake just before clear()
                self._wake.wait(self.poll_interval)
        raise _Stopping

    # -- SAM ----------------------------------------------------------------------------------
    def _init_sam(self, ser: serial.SerialBase) -> bool:
        reply = self._transact(ser, ga467.SAM_STATUS)
        if reply is None:
            return False
        if reply.kind is Sw3Kind.LINK:
            self._failed("protocol", f"读卡器拒绝命令：{reply.message}")
            return False
        if reply.sw3 != Sw3.OK:
            self._sam_fault(reply)
            # A reset is what vendor tools do first; its answer proves nothing by itself, the
            # next status check (one poll interval later) decides.
            self._transact(ser, ga467.RESET)
            return False
        reply = self._transact(ser, ga467.SAM_ID)
        if reply is not None and reply.sw3 == Sw3.OK:
            try:
                self.sam_id = format_sam_id(reply.data)
                log.info("SAM id %s on %s", self.sam_id, self.port)
            except CardDataError as exc:
                log.warning("SAM id unreadable: %s", exc)
        # A smaller RF frame size makes reads more robust on weak antennas; optional.
        reply = self._transact(ser, ga467.SET_MAX_RF_BYTES, bytes([MAX_RF_BYTES]))
        if reply is not None and reply.sw3 != Sw3.OK:
            log.info("set max RF bytes not accepted: %s", reply.message)
        self._set_status(DeviceStatus.ok())
        return True

    def _sam_fault(self, reply: ga467.Reply) -> None:
        code = _SAM_FAULT_CODES.get(reply.status, "sam")
        log.warning("SAM fault: SW3=0x%02X %s", reply.sw3, reply.message)
        self._set_status(DeviceStatus.fault(code, reply.message))

    # -- polling ------------------------------------------------------------------------------
    def _poll(self, ser: serial.SerialBase) -> None:
        reply = self._transact(ser, ga467.FIND)
        if reply is None or not self._accept(reply):
            return
        if reply.sw3 == Sw3.FIND_FAILED and self._last_digest is not None:
            # One failed find is not proof of removal: a single missed RF answer would make a
            # card that is lying there be reported again. Confirm with a second find.
            reply = self._transact(ser, ga467.FIND)
            if reply is None or not self._accept(reply):
                return
        if reply.sw3 != Sw3.FIND_OK:
            if reply.sw3 == Sw3.FIND_FAILED:
                self._card_gone()
            return
        if not self._wanted:
            return
        reply = self._transact(ser, ga467.SELECT)
        if reply is None or not self._accept(reply) or reply.sw3 != Sw3.OK:
            return
        self._read(ser)

    def _read(self, ser: serial.SerialBase) -> None:
        command = ga467.READ_TEXT_PHOTO_FP if self.read_fingerprint else ga467.READ_TEXT_PHOTO
        reply = self._transact(ser, command)
        if reply is not None and command == ga467.READ_TEXT_PHOTO_FP \
                and reply.sw3 == Sw3.BAD_COMMAND:
            log.warning("reader does not support 30 10 (fingerprint); using 30 01 from now on")
            self.read_fingerprint = False
            command, reply = ga467.READ_TEXT_PHOTO, self._transact(ser, ga467.READ_TEXT_PHOTO)
        if reply is None or not self._accept(reply) or reply.sw3 != Sw3.OK:
            return
        card = self._decode(reply.data, command == ga467.READ_TEXT_PHOTO_FP)
        if card is None:
            return
        if self.read_new_address and card.card_type == RESIDENT:
            card = dataclasses.replace(card, new_address=self._new_address(ser))
        self._report(card)

    def _decode(self, data: bytes, with_fingerprint: bool) -> IdentityCard | None:
        try:
            parts = split_read_data(data, with_fingerprint)
        except CardDataError as exc:
            self._card_error(CardError("unreadable", "证件信息读取不完整，请重新放置证件"), exc)
            return None
        digest = hmac.new(self._digest_key, parts.text, hashlib.sha256).digest()
        if digest == self._last_digest:
            return None                         # the same card is still lying on the reader
        self._last_digest = digest              # also for a bad block: report it once
        self._card_reported = False             # another card than the one reported
        try:
            card = decode_card_text(parts.text)
        except CardDataError as exc:
            self._card_error(CardError("unreadable", "证件信息无法识别"), exc)
            return None
        photo = decode_photo(self._photo_decoder, parts.photo)
        if photo is not None:
            card = dataclasses.replace(card, photo=photo)
        log.info("card read: %r (photo %d bytes%s, fingerprint %d bytes: not kept)", card,
                 len(parts.photo), ", decoded" if photo is not None else "",
                 parts.fingerprint_len)
        return card

    def _new_address(self, ser: serial.SerialBase) -> str:
        reply = self._transact(ser, ga467.READ_NEW_ADDRESS)
        if reply is None or reply.sw3 != Sw3.OK:
            return ""                           # 91: the card has none; an error: go without
        try:
            return parse_new_address(reply.data)
        except CardDataError as exc:
            log.warning("new address unreadable: %s", exc)
            return ""

    def _report(self, card: IdentityCard) -> None:
        self._reported_error = self.last_card_error = None
        self._card_reported = True
        if card.is_expired(self._today()):
            log.info("card read is expired (%s)", card.card_type)
        try:
            self._on_card(card)
        except Exception:       # a consumer bug must not kill the reader thread
            log.exception("on_card callback failed")

    def _card_gone(self) -> None:
        """The field is empty: the same card may be reported again, errors too."""
        self._last_digest = None
        self._card_reported = False
        self._reported_error = None

    # -- replies ------------------------------------------------------------------------------
    def _accept(self, reply: ga467.Reply) -> bool:
        """Act on the kind of a reply. True if polling may go on with it."""
        kind = reply.kind
        if kind is Sw3Kind.SAM:
            self._sam_fault(reply)
            raise _SamFault
        if kind is Sw3Kind.LINK:
            self._failed("protocol", f"读卡器拒绝命令：{reply.message}")
            return False
        # A well-formed, meaningful answer: the device works (this is the only "later probe
        # succeeded" that may turn a fault back into ok, ARCHITECTURE §3).
        self._set_status(DeviceStatus.ok())
        if kind is Sw3Kind.CARD:
            code = reply.status.name.lower() if reply.status else "card"
            self._card_error(CardError(code, reply.message, reply.sw3))
            return False
        return True

    def _card_error(self, error: CardError, cause: Exception | None = None) -> None:
        if self._card_reported:
            # The card in the field was read already; some SAMs refuse a second select/read
            # of it until it is lifted. That is no news for a user who is already identified.
            log.debug("card already read; ignoring %s", error.code)
            return
        self.last_card_error = error
        if error == self._reported_error:
            return                  # the same card failing the same way on every poll: once
        self._reported_error = error
        log.warning("card not readable: %s %s%s", error.code, error.message,
                    f" ({cause})" if cause else "")
        try:
            self._on_card_error(error)
        except Exception:       # a consumer bug must not kill the reader thread
            log.exception("on_card_error callback failed")

    # -- one command, one reply ---------------------------------------------------------------
    def _transact(self, ser: serial.SerialBase, command: tuple[int, int],
                  data: bytes = b"") -> ga467.Reply | None:
        """Exchange and track consecutive failures; a Reply, or None if there was none."""
        try:
            reply = self._exchange(ser, command, data)
        except _NoReply as exc:
            self._failed(exc.code, exc.detail,
                         f"command {ga467.COMMAND_NAMES.get(command, command)}")
            return None
        if reply.kind is not Sw3Kind.LINK:
            self._failures = 0
        return reply

    def _failed(self, code: str, detail: str, context: str = "") -> None:
        self._failures += 1
        log.warning("%s%s", f"{context}: " if context else "", detail)
        if self._failures >= FAULT_AFTER:
            self._set_status(DeviceStatus.fault(code, detail))

    def _exchange(self, ser: serial.SerialBase, command: tuple[int, int],
                  data: bytes) -> ga467.Reply:
        # Drop stale bytes (a late reply to a timed-out command, a half frame) so they cannot
        # be taken for the answer to this command.
        ser.reset_input_buffer()
        self._decoder.reset()
        try:
            ser.write(ga467.build_command(*command, data))
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
            chunk = ser.read(ser.in_waiting or 1)
            if not chunk:
                continue
            deadline = time.monotonic() + self.reply_timeout
            payloads = self._decoder.feed(chunk)
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
