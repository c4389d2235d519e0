"""A SAM ID card reader simulated on a pseudo-terminal, speaking GA 467 on the wire.

The driver under test opens the pty's client side with pyserial exactly as it would open
/dev/ttyUSB0, so tests, the demo and production share the whole byte path. A pty delivers
bytes instantly whatever the baud rate, so the simulator paces both directions itself (10 bits
per byte: a 1,295-byte read reply takes ~112 ms at 115200 baud, as on a real line) and adds a
configurable card latency per command (the SAM's radio exchange with the card).

Fault injection covers what a failing reader does: corrupted checksums, truncated or split
replies, garbage between frames, any SW3 error, silence, no card, and unplug/replug (the pty
disappears; with `link` a symlink is removed and re-pointed like udev's /dev/serial/by-id).

    python -m drivers.idcard.simulator [--link PATH]     # prints the pty path; type `help`
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import select
import sys
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass

from kiosk.domain.identity import IdentityCard

from . import ga467
from .card_text import encode_card_text
from .fixtures import (CONSOLE_CARDS, FAKE_FINGERPRINT, FAKE_PHOTO, SAMPLE_CARD,  # noqa: F401
                       SAMPLE_CARD_2)
from .ga467 import Sw3
from .read_data import build_new_address, build_read_data, build_sam_id

log = logging.getLogger(__name__)

_CHUNK = 64                     # bytes written per pacing step: small enough for smooth arrival
SAM_ID = build_sam_id(5, 1, 20230601, 12345678, 1234567890)   # 05.01-20230601-0012345678-...

# Commands that talk to the card over the air (and so take the card latency).
_CARD_COMMANDS = {ga467.FIND, ga467.SELECT, ga467.READ_TEXT_PHOTO, ga467.READ_TEXT_PHOTO_FP,
                  ga467.READ_NEW_ADDRESS}


@dataclass(frozen=True)
class CardLatency:
    """Seconds the SAM spends on each command before its reply starts on the wire.

    Defaults keep tests fast; a real SAM needs roughly 0.5-1 s for a text + photo read.
    """
    find: float = 0.005
    select: float = 0.005
    read: float = 0.05
    sam: float = 0.001          # SAM-internal commands (status, id, reset, set RF bytes)

    def of(self, command: tuple[int, int]) -> float:
        if command == ga467.FIND:
            return self.find
        if command == ga467.SELECT:
            return self.select
        if command in _CARD_COMMANDS:
            return self.read
        return self.sam


@dataclass
class _Injected:
    kind: str                           # a frame fault, or "status"
    sw3: int = 0
    command: tuple[int, int] | None = None  # None: every command
    remaining: int | None = None        # None: until cleared


class SamSimulator:
    FAULTS = ("mute", "truncate", "checksum", "garble", "split", "garbage")

    def __init__(self, baud: int = 115200, latency: CardLatency | None = None,
                 link: str | None = None, seed: int | None = None) -> None:
        self.baud = baud
        self.latency = latency or CardLatency()
        self.link = link                    # optional symlink kept pointing at the pty
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._card: IdentityCard | bytes | None = None
        self._photo = FAKE_PHOTO
        self._fingerprint: bytes | None = None
        self._found = False         # a FIND succeeded since the card was placed
        self._selected = False      # a SELECT succeeded since then
        self._injected: list[_Injected] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master = -1
        self._slave = -1
        self.path = ""
        self.commands_seen = 0      # for tests: proves the driver is polling
        self.history: deque[tuple[float, tuple[int, int]]] = deque(maxlen=2000)
        self.card_placed_at: float | None = None
        self.card_found_at: float | None = None     # arrival of the FIND that first saw it

    # -- plugging -----------------------------------------------------------------------------
    def start(self) -> str:
        """Plug in: a new pty (a new /dev/pts/N, like a new ttyUSB after re-plugging)."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        self._master, self._slave = os.openpty()
        # Raw mode, or the line discipline rewrites CR/LF and echoes bytes back.
        tty.setraw(self._slave)
        # We keep the slave fd open ourselves so that the master never sees EIO (and the raw
        # termios survive) while the driver closes and reopens the port.
        self.path = os.ttyname(self._slave)
        if self.link:
            tmp = self.link + ".new"
            os.symlink(self.path, tmp)
            os.replace(tmp, self.link)      # atomic, as udev does it
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
        if self.link:
            try:
                os.unlink(self.link)
            except FileNotFoundError:
                log.debug("link %s already gone", self.link)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    unplug = stop

    def replug(self) -> str:
        self.stop()
        return self.start()

    # -- the card -----------------------------------------------------------------------------
    def place_card(self, card: IdentityCard | bytes, photo: bytes = FAKE_PHOTO,
                   fingerprint: bytes | None = None) -> None:
        """`card`: an IdentityCard (encoded by card_text), or a 256-byte text block exactly as
        a card returns it -- a dump from a real reader, or one assembled by hand from a
        published layout, so that a test does not lean on our own encoder."""
        with self._lock:
            self._card, self._photo, self._fingerprint = card, photo, fingerprint
            self._found = self._selected = False
            self.card_placed_at, self.card_found_at = time.monotonic(), None

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._found = self._selected = False
            self.card_placed_at = self.card_found_at = None

    # -- faults -------------------------------------------------------------------------------
    def inject_fault(self, kind: str | None, count: int | None = None,
                     command: tuple[int, int] | None = None) -> None:
        """Misbehave on the wire, for `count` replies or until cleared with None:
        "mute" (hung SAM, no reply), "truncate" (reply cut in half), "checksum" (bad CHK;
        "garble" is the old name), "split" (reply dribbles out in tiny pieces), "garbage"
        (random bytes before the reply)."""
        if kind is None:
            self.clear_faults()
            return
        if kind not in self.FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {self.FAULTS}")
        with self._lock:
            self._injected.append(_Injected("checksum" if kind == "garble" else kind,
                                            command=command, remaining=count))

    def inject_status(self, sw3: int, command: tuple[int, int] | None = None,
                      count: int | None = None) -> None:
        """Answer `command` (None: any) with this SW3 and no data, `count` times or until
        cleared: every error a SAM can report (Sw3), or an unknown code."""
        with self._lock:
            self._injected.append(_Injected("status", sw3=sw3, command=command, remaining=count))

    def clear_faults(self) -> None:
        with self._lock:
            self._injected.clear()

    # -- timing -------------------------------------------------------------------------------
    def wire_time(self, nbytes: int) -> float:
        return nbytes * 10.0 / self.baud

    # -- device side --------------------------------------------------------------------------
    def _run(self) -> None:
        decoder = ga467.FrameDecoder()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            arrived = time.monotonic()
            try:
                data = os.read(self._master, 4096)
            except OSError as exc:
                log.warning("simulator pty read failed: %s", exc)
                return
            for payload in decoder.feed(data):
                # The command itself took wire time to arrive (a pty delivers it at once).
                self._sleep(self.wire_time(len(payload) + ga467.HEADER_LEN + 1))
                self._serve(payload, arrived)
            for err in decoder.take_errors():
                sw3 = Sw3.CHECKSUM_ERROR if isinstance(err, ga467.ChecksumError) \
                    else Sw3.LENGTH_ERROR
                self._send(ga467.build_reply(sw3))

    def _serve(self, payload: bytes, arrived: float) -> None:
        command = (payload[0], payload[1]) if len(payload) >= 2 else (-1, -1)
        self.commands_seen += 1
        self.history.append((arrived, command))
        self._sleep(self.latency.of(command))
        frame_fault, status = self._take_injection(command)
        reply = ga467.build_reply(status) if status is not None \
            else self._answer(command, payload[2:], arrived)
        self._send_with_fault(reply, frame_fault)

    def _take_injection(self, command) -> tuple[str | None, int | None]:
        """The frame fault and injected status that apply to this reply (counting them down)."""
        frame_fault = status = None
        with self._lock:
            for inj in list(self._injected):
                if inj.command is not None and inj.command != command:
                    continue
                if inj.kind == "status":
                    if status is not None:
                        continue
                    status = inj.sw3
                elif frame_fault is None:
                    frame_fault = inj.kind
                else:
                    continue
                if inj.remaining is not None:
                    inj.remaining -= 1
                    if inj.remaining <= 0:
                        self._injected.remove(inj)
        return frame_fault, status

    def _answer(self, command: tuple[int, int], data: bytes, arrived: float) -> bytes:
        with self._lock:
            card = self._card
            if command in (ga467.SAM_STATUS, ga467.RESET):
                return ga467.build_reply(Sw3.OK)
            if command == ga467.SAM_ID:
                return ga467.build_reply(Sw3.OK, SAM_ID)
            if command == ga467.SET_MAX_RF_BYTES:
                ok = len(data) == 1
                return ga467.build_reply(Sw3.OK if ok else Sw3.LENGTH_ERROR)
            if command == ga467.FIND:
                self._found = card is not None
                if not self._found:
                    return ga467.build_reply(Sw3.FIND_FAILED)
                if self.card_found_at is None:
                    self.card_found_at = arrived
                return ga467.build_reply(Sw3.FIND_OK, b"\x00\x00\x00\x00")
            if command == ga467.SELECT:
                self._selected = card is not None and self._found
                if not self._selected:
                    return ga467.build_reply(Sw3.SELECT_FAILED)
                return ga467.build_reply(Sw3.OK, bytes(8))
            if command in (ga467.READ_TEXT_PHOTO, ga467.READ_TEXT_PHOTO_FP,
                           ga467.READ_NEW_ADDRESS):
                if card is None or not self._selected:
                    return ga467.build_reply(Sw3.READ_FAILED)
                return self._read_reply(command, card)
        return ga467.build_reply(Sw3.BAD_COMMAND)

    def _read_reply(self, command, card: IdentityCard | bytes) -> bytes:
        raw = isinstance(card, (bytes, bytearray))
        if command == ga467.READ_NEW_ADDRESS:
            if raw or not card.new_address:
                return ga467.build_reply(Sw3.NO_CONTENT)
            return ga467.build_reply(Sw3.OK, build_new_address(card.new_address))
        text = bytes(card) if raw else encode_card_text(card)
        if command == ga467.READ_TEXT_PHOTO:
            return ga467.build_reply(Sw3.OK, build_read_data(text, self._photo))
        return ga467.build_reply(Sw3.OK, build_read_data(text, self._photo,
                                                         self._fingerprint or b""))

    def _send_with_fault(self, frame: bytes, fault: str | None) -> None:
        if fault == "mute":
            return
        if fault == "truncate":
            self._send(frame[:len(frame) // 2])
        elif fault == "checksum":
            self._send(frame[:-1] + bytes([frame[-1] ^ 0xFF]))
        elif fault == "split":
            self._send(frame, split=True)
        elif fault == "garbage":
            junk = bytes(self._random.choice((0xAA, 0x96, 0x69, 0x00, self._random.randrange(256)))
                         for _ in range(self._random.randint(1, 40)))
            self._send(junk + frame)
        else:
            self._send(frame)

    def _send(self, frame: bytes, split: bool = False) -> None:
        """Write at the line rate: ~10 bits per byte (start + 8 data + stop)."""
        per_byte = 10.0 / self.baud
        start = time.monotonic()
        off = 0
        while off < len(frame):
            if self._stop.is_set():
                return
            size = self._random.randint(1, 7) if split else _CHUNK
            chunk = frame[off:off + size]
            # Sleep until this chunk would have finished arriving on a real line; split
            # replies also stall a little between pieces, as a congested USB adapter does.
            due = start + (off + len(chunk)) * per_byte
            if split:
                start += self._random.uniform(0, 0.002)
            self._sleep(due - time.monotonic())
            try:
                os.write(self._master, chunk)
            except OSError as exc:
                log.warning("simulator pty write failed: %s", exc)
                return
            off += len(chunk)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)


# -- interactive use (`python -m drivers.idcard.simulator`) ----------------------------------

_HELP = """commands (one per line):
  <empty line>     toggle the current card on/off the reader
  resident | hmt_residence | foreign_2017 | foreign_2023   place that card type's sample
  resident_2 | legal_rep | expired | hmt_tw                  place that person's card
  remove           take the card off
  fault KIND [N]   mute|truncate|checksum|split|garbage (N replies, default until cleared)
  status HEX [N]   answer every command with SW3 0xHEX
  clear            clear faults
  unplug | replug  the pty disappears / comes back (with --link, the link is re-pointed)"""


def _console(sim: SamSimulator, words: list[str], state: dict) -> bool:
    """One console command; False if it was not understood."""
    cmd, args = (words[0], words[1:]) if words else ("", [])
    count = int(args[1]) if len(args) > 1 else None
    if cmd == "":
        state["present"] = not state["present"]
        if state["present"]:
            sim.place_card(state["card"])
        else:
            sim.remove_card()
    elif cmd in CONSOLE_CARDS:
        state["card"], state["present"] = CONSOLE_CARDS[cmd], True
        sim.place_card(state["card"])
    elif cmd == "remove":
        state["present"] = False
        sim.remove_card()
    elif cmd == "fault" and args:
        sim.inject_fault(args[0], count)
    elif cmd == "status" and args:
        sim.inject_status(int(args[0], 16), count=count)
    elif cmd == "clear":
        sim.clear_faults()
    elif cmd == "unplug":
        sim.stop()
    elif cmd == "replug":
        print(sim.replug(), flush=True)
    else:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="GA 467 SAM simulator on a pty")
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--link", help="keep this symlink pointing at the pty (like udev)")
    ap.add_argument("--card", choices=sorted(CONSOLE_CARDS), default="resident")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    sim = SamSimulator(baud=args.baud, link=args.link)
    print(sim.start(), flush=True)
    state = {"card": CONSOLE_CARDS[args.card], "present": True}
    sim.place_card(state["card"])
    print(f"{args.card} card placed; type `help`", file=sys.stderr, flush=True)
    try:
        for line in sys.stdin:
            try:
                understood = _console(sim, line.split(), state)
            except ValueError as exc:      # a typo at the console must not kill the reader
                print(f"error: {exc}", file=sys.stderr, flush=True)
                continue
            print("ok" if understood else _HELP, file=sys.stderr, flush=True)
        # stdin closed (e.g. run in the background): keep serving until interrupted.
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
