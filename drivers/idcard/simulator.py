"""A SAM ID card reader simulated on a pseudo-terminal, speaking GA 467 on the wire.

The driver under test opens the pty's client side with pyserial exactly as it would open
/dev/ttyUSB0, so tests, the demo and production share the whole byte path. A pty delivers
bytes instantly whatever the baud rate, so replies are paced here (10 bits per byte) to keep
timings honest: a 1,295-byte read reply takes ~112 ms at 115200 baud, as on a real line.

    python -m drivers.idcard.simulator      # prints the pty path; Enter toggles the card
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import select
import sys
import threading
import time
import tty

from kiosk.domain.identity import IdentityCard

from . import ga467
from .resident_text import PHOTO_LEN, build_read_data

log = logging.getLogger(__name__)

# Fictitious people; the numbers carry valid GB 11643 check digits.
SAMPLE_CARD = IdentityCard(
    name="张三", sex="男", nation="汉", birth=dt.date(1990, 3, 7),
    address="江苏省南京市玄武区中山路1号", id_number="320102199003070017",
    authority="南京市公安局玄武分局",
    valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2040, 1, 1),
)
SAMPLE_CARD_2 = IdentityCard(
    name="李四华", sex="女", nation="回", birth=dt.date(1992, 5, 12),
    address="江苏省南京市鼓楼区北京西路2号", id_number="320102199205120027",
    authority="南京市公安局鼓楼分局",
    valid_from=dt.date(2012, 6, 1), valid_to=None,
)

# Stand-in for the WLT photo: opaque bytes of the right size (the driver must discard them).
FAKE_PHOTO = bytes((i * 7 + 3) & 0xFF for i in range(PHOTO_LEN))

_CHUNK = 64     # bytes written per pacing step: small enough for smooth arrival


class SamSimulator:
    def __init__(self, baud: int = 115200) -> None:
        self.baud = baud
        self._lock = threading.Lock()
        self._card: IdentityCard | None = None
        self._found = False         # a FIND succeeded since the card was placed
        self._selected = False      # a SELECT succeeded since then
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master = -1
        self._slave = -1
        self.path = ""
        self.commands_seen = 0      # for tests: proves the driver is polling
        self._fault: str | None = None

    # -- public API ---------------------------------------------------------------------------
    def start(self) -> str:
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        self._master, self._slave = os.openpty()
        # Raw mode, or the line discipline rewrites CR/LF and echoes bytes back.
        tty.setraw(self._slave)
        # We keep the slave fd open ourselves so that the master never sees EIO (and the raw
        # termios survive) while the driver closes and reopens the port.
        self.path = os.ttyname(self._slave)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sam-simulator", daemon=True)
        self._thread.start()
        return self.path

    def stop(self) -> None:
        """Unplug: the pty disappears, the driver's next read or write fails."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def place_card(self, card: IdentityCard) -> None:
        with self._lock:
            self._card = card
            self._found = self._selected = False

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._found = self._selected = False

    FAULTS = ("mute", "truncate", "garble")

    def inject_fault(self, kind: str | None) -> None:
        """Misbehave like a failing reader until cleared with None: "mute" (hung SAM, no
        replies), "truncate" (replies cut in half), "garble" (replies with a bad checksum)."""
        if kind is not None and kind not in self.FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {self.FAULTS}")
        self._fault = kind

    # -- device side --------------------------------------------------------------------------
    def _run(self) -> None:
        decoder = ga467.FrameDecoder()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError as exc:
                log.warning("simulator pty read failed: %s", exc)
                return
            for payload in decoder.feed(data):
                self._send(self._apply_fault(self._answer(payload)))
            for err in decoder.take_errors():
                sw3 = (ga467.SW_CHECKSUM_ERROR if isinstance(err, ga467.ChecksumError)
                       else ga467.SW_LENGTH_ERROR)
                self._send(ga467.build_reply(sw3))

    def _answer(self, payload: bytes) -> bytes:
        self.commands_seen += 1
        command = tuple(payload[:2])
        with self._lock:
            card = self._card
            if command in (ga467.SAM_STATUS, ga467.RESET):
                return ga467.build_reply(ga467.SW_OK)
            if command == ga467.FIND:
                self._found = card is not None
                if not self._found:
                    return ga467.build_reply(ga467.SW_FIND_FAILED)
                return ga467.build_reply(ga467.SW_FIND_OK, b"\x00\x00\x00\x00")
            if command == ga467.SELECT:
                self._selected = card is not None and self._found
                if not self._selected:
                    return ga467.build_reply(ga467.SW_SELECT_FAILED)
                return ga467.build_reply(ga467.SW_OK, bytes(8))
            if command == ga467.READ_TEXT_PHOTO:
                if card is None or not self._selected:
                    return ga467.build_reply(ga467.SW_READ_FAILED)
                return ga467.build_reply(ga467.SW_OK, build_read_data(card, FAKE_PHOTO))
        return ga467.build_reply(ga467.SW_BAD_COMMAND)

    def _apply_fault(self, frame: bytes) -> bytes:
        fault = self._fault
        if fault == "mute":
            return b""
        if fault == "truncate":
            return frame[:len(frame) // 2]
        if fault == "garble":
            return frame[:-1] + bytes([frame[-1] ^ 0xFF])
        return frame

    def _send(self, frame: bytes) -> None:
        """Write at the line rate: ~10 bits per byte (start + 8 data + stop)."""
        per_byte = 10.0 / self.baud
        start = time.monotonic()
        for off in range(0, len(frame), _CHUNK):
            if self._stop.is_set():
                return
            chunk = frame[off:off + _CHUNK]
            # Sleep until this chunk would have finished arriving on a real line.
            due = start + (off + len(chunk)) * per_byte
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                os.write(self._master, chunk)
            except OSError as exc:
                log.warning("simulator pty write failed: %s", exc)
                return


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    sim = SamSimulator()
    path = sim.start()
    sim.place_card(SAMPLE_CARD)
    print(path, flush=True)
    print("card placed; press Enter to toggle it, Ctrl-C to quit", file=sys.stderr, flush=True)
    present = True
    try:
        for _ in sys.stdin:
            present = not present
            if present:
                sim.place_card(SAMPLE_CARD)
            else:
                sim.remove_card()
            print("card placed" if present else "card removed", file=sys.stderr, flush=True)
        # stdin closed (e.g. run in the background): keep serving until interrupted.
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
