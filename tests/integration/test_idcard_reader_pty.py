"""SerialIdCardReader against SamSimulator over a real pseudo-terminal, through real pyserial.

Hot-plug: a pty that is closed and reopened gets a new /dev/pts/N, so the reader is given a
symlink (as udev gives /dev/idcard in production) that the tests re-point.
"""
from __future__ import annotations

import os
import queue
import threading
import time

import pytest
import serial

from drivers.idcard import ga467
from drivers.idcard.reader import SerialIdCardReader
from drivers.idcard.simulator import SAMPLE_CARD, SAMPLE_CARD_2, SamSimulator
from kiosk.ports import DeviceState, DeviceStatus

FAST_POLL = 0.1


class Recorder:
    """Collects callbacks from the reader thread."""

    def __init__(self) -> None:
        self.cards: queue.Queue = queue.Queue()
        self.statuses: list[DeviceStatus] = []
        self._cond = threading.Condition()

    def on_card(self, card) -> None:
        self.cards.put(card)

    def on_status(self, status: DeviceStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def next_card(self, timeout: float = 2.0):
        return self.cards.get(timeout=timeout)

    def wait_state(self, state: DeviceState, timeout: float,
                   code: str | None = None) -> DeviceStatus:
        def last_matches():
            s = self.statuses[-1] if self.statuses else None
            return s is not None and s.state == state and (code is None or s.code == code)
        with self._cond:
            assert self._cond.wait_for(last_matches, timeout), \
                f"no {state} within {timeout}s; statuses: {self.statuses}"
            return self.statuses[-1]


@pytest.fixture
def sim():
    s = SamSimulator()
    s.start()
    yield s
    s.stop()


@pytest.fixture
def make_reader():
    readers = []

    def make(port, **kw):
        kw.setdefault("poll_interval", FAST_POLL)
        reader = SerialIdCardReader(port, **kw)
        rec = Recorder()
        reader.start(rec.on_card, rec.on_status)
        readers.append(reader)
        return reader, rec
    yield make
    for r in readers:
        r.stop()


def point(link: str, target: str) -> None:
    """Atomically (re)point a symlink, like udev replacing /dev/idcard."""
    tmp = link + ".new"
    os.symlink(target, tmp)
    os.replace(tmp, link)


# -- the simulator speaks the published protocol ---------------------------------------------

def test_simulator_answers_published_frames_and_errors(sim):
    with serial.serial_for_url(sim.path, baudrate=115200, timeout=1) as port:
        def ask(frame: bytes, reply_len: int) -> bytes:
            port.write(frame)
            return port.read(reply_len)

        assert ask(bytes.fromhex("AA AA AA 96 69 00 03 11 FF ED"), 11) == \
            bytes.fromhex("AA AA AA 96 69 00 04 00 00 90 94")
        assert ask(ga467.build_command(*ga467.FIND), 15)[9] == ga467.SW_FIND_FAILED
        sim.place_card(SAMPLE_CARD)
        assert ask(bytes.fromhex("AA AA AA 96 69 00 03 20 01 22"), 15) == \
            bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
        assert ask(ga467.build_command(*ga467.SELECT), 19)[9] == ga467.SW_OK
        t0 = time.monotonic()
        read = ask(ga467.build_command(*ga467.READ_TEXT_PHOTO), 1295)
        elapsed = time.monotonic() - t0
        assert len(read) == 1295 and read[:14] == bytes.fromhex(
            "AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
        assert elapsed > 0.1        # paced like 115200 baud (~112 ms), not pty speed
        bad_checksum = bytes.fromhex("AA AA AA 96 69 00 03 20 01 00")
        assert ask(bad_checksum, 11)[9] == ga467.SW_CHECKSUM_ERROR
        assert ask(ga467.build_command(0x55, 0x01), 11)[9] == ga467.SW_BAD_COMMAND


# -- cards ------------------------------------------------------------------------------------

def test_card_placed_is_reported_with_its_fields(sim, make_reader):
    reader, rec = make_reader(sim.path, poll_interval=0.3)     # the production default
    rec.wait_state(DeviceState.OK, 2)
    sim.place_card(SAMPLE_CARD)
    t0 = time.monotonic()
    card = rec.next_card(timeout=2)
    assert time.monotonic() - t0 < 1.0
    assert card == SAMPLE_CARD
    assert (card.name, card.sex, card.nation, card.id_number) == ("张三", "男", "汉",
                                                                  "320102199003070017")
    assert card.address == "江苏省南京市玄武区中山路1号"
    assert card.authority == "南京市公安局玄武分局"
    assert reader.status() == DeviceStatus.ok()


def test_card_that_stays_is_reported_once_and_again_after_removal(sim, make_reader):
    _, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    seen = sim.commands_seen
    time.sleep(1.0)                             # ~10 polls, each reading the card again
    assert sim.commands_seen > seen + 10
    assert rec.cards.empty()

    sim.remove_card()
    time.sleep(5 * FAST_POLL)                   # let the reader see the card gone
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    time.sleep(0.5)
    assert rec.cards.empty()


def test_swapped_card_is_reported_at_once(sim, make_reader):
    _, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    sim.place_card(SAMPLE_CARD_2)               # swapped between two polls: no failed find
    card = rec.next_card()
    assert card == SAMPLE_CARD_2 and card.valid_to is None and card.sex == "女"


def test_card_data_never_reaches_the_log(sim, make_reader, caplog):
    caplog.set_level("DEBUG", logger="drivers.idcard")
    _, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARD)
    rec.next_card()
    text = caplog.text
    assert "card read" in text
    assert "张三" not in text and SAMPLE_CARD.id_number not in text and "中山路" not in text


# -- device status ----------------------------------------------------------------------------

def test_missing_port_is_absent_then_connects_when_it_appears(sim, make_reader, tmp_path):
    link = str(tmp_path / "idcard")
    reader, rec = make_reader(link)
    status = rec.wait_state(DeviceState.ABSENT, 2)
    assert link in status.detail
    time.sleep(1.5)                             # retries do not repeat the same status
    assert len(rec.statuses) == 1

    point(link, sim.path)                       # plugged in
    rec.wait_state(DeviceState.OK, 3)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD


def test_unplug_and_replug(make_reader, tmp_path):
    first = SamSimulator()
    link = str(tmp_path / "idcard")
    point(link, first.start())
    _, rec = make_reader(link)
    rec.wait_state(DeviceState.OK, 2)
    first.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD

    first.stop()                                # unplugged: the pty is gone
    rec.wait_state(DeviceState.ABSENT, 3)

    second = SamSimulator()                     # plugged back in: a new /dev/pts/N
    try:
        point(link, second.start())
        rec.wait_state(DeviceState.OK, 4)
        time.sleep(3 * FAST_POLL)               # empty reader seen: the card counts as removed
        second.place_card(SAMPLE_CARD)
        assert rec.next_card(timeout=3) == SAMPLE_CARD
    finally:
        second.stop()


@pytest.mark.parametrize("fault, code", [("mute", "timeout"), ("truncate", "timeout"),
                                         ("garble", "bad_frame")])
def test_reader_fault_then_recovery(sim, make_reader, fault, code):
    reader, rec = make_reader(sim.path, reply_timeout=0.5)
    rec.wait_state(DeviceState.OK, 2)
    sim.inject_fault(fault)
    status = rec.wait_state(DeviceState.FAULT, 4, code=code)
    assert status.detail
    time.sleep(1.0)                             # still failing: status stays fault, thread alive
    assert reader.status() == status
    sim.inject_fault(None)
    rec.wait_state(DeviceState.OK, 3)
    # ok only ever follows a fault after a successful exchange, never on its own
    assert [s.state for s in rec.statuses] == [DeviceState.OK, DeviceState.FAULT, DeviceState.OK]
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD


def test_stop_is_prompt_even_while_waiting_for_a_reply(sim, make_reader):
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    sim.inject_fault("mute")
    time.sleep(0.3)                             # now inside an exchange, waiting for a reply
    t0 = time.monotonic()
    reader.stop()
    assert time.monotonic() - t0 < 1.0
    assert not any(t.name == "idcard-reader" for t in threading.enumerate())
