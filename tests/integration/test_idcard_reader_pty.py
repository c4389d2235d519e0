"""SerialIdCardReader against SamSimulator over a real pseudo-terminal, through real pyserial.

Hot-plug: a pty that is closed and reopened gets a new /dev/pts/N, so the reader is given a
symlink (as udev gives /dev/serial/by-id/... in production) that the simulator re-points.
Fault injection lives in test_idcard_faults.py; the technician command in test_idcard_cli.py.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import queue
import threading
import time

import pytest
import serial

from drivers.idcard import ga467
from drivers.idcard.fixtures import (EXPIRED_CARD, FAKE_FINGERPRINT, FAKE_PHOTO, SAMPLE_CARD,
                                     SAMPLE_CARD_2, SAMPLE_CARDS)
from drivers.idcard.reader import SerialIdCardReader
from drivers.idcard.simulator import CardLatency, SamSimulator
from kiosk.ports import DeviceState, DeviceStatus

FAST_POLL = 0.05
# Fast radio so the suite stays quick; wire pacing stays real (115200 baud).
FAST_CARD = CardLatency(find=0.001, select=0.001, read=0.005)


class Recorder:
    """Collects callbacks from the reader thread."""

    def __init__(self) -> None:
        self.cards: queue.Queue = queue.Queue()
        self.errors: queue.Queue = queue.Queue()
        self.statuses: list[DeviceStatus] = []
        self._cond = threading.Condition()

    def on_card(self, card) -> None:
        self.cards.put(card)

    def on_card_error(self, error) -> None:
        self.errors.put(error)

    def on_status(self, status: DeviceStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def next_card(self, timeout: float = 2.0):
        return self.cards.get(timeout=timeout)

    def next_error(self, timeout: float = 2.0):
        return self.errors.get(timeout=timeout)

    def wait_state(self, state: DeviceState, timeout: float,
                   code: str | None = None) -> DeviceStatus:
        def last_matches():
            s = self.statuses[-1] if self.statuses else None
            return s is not None and s.state == state and (code is None or s.code == code)
        with self._cond:
            assert self._cond.wait_for(last_matches, timeout), \
                f"no {state} {code or ''} within {timeout}s; statuses: {self.statuses}"
            return self.statuses[-1]


@pytest.fixture
def sim():
    s = SamSimulator(latency=FAST_CARD)
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
        reader.start(rec.on_card, rec.on_status, rec.on_card_error)
        readers.append(reader)
        return reader, rec
    yield make
    for r in readers:
        r.stop()


def reader_threads() -> int:
    return sum(t.name == "idcard-reader" for t in threading.enumerate())


def commands_since(sim: SamSimulator, t0: float) -> list[tuple[int, int]]:
    return [c for t, c in list(sim.history) if t >= t0]


# -- the simulator speaks the published protocol ---------------------------------------------

def test_simulator_answers_published_frames_and_errors():
    sim = SamSimulator()        # default latency: what the demo uses
    sim.start()
    try:
        with serial.serial_for_url(sim.path, baudrate=115200, timeout=1) as port:
            def ask(frame: bytes, reply_len: int) -> bytes:
                port.write(frame)
                return port.read(reply_len)

            assert ask(bytes.fromhex("AA AA AA 96 69 00 03 11 FF ED"), 11) == \
                bytes.fromhex("AA AA AA 96 69 00 04 00 00 90 94")
            assert ask(ga467.build_command(*ga467.FIND), 11) == \
                bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")
            assert ask(ga467.build_command(*ga467.SELECT), 11) == \
                bytes.fromhex("AA AA AA 96 69 00 04 00 00 81 85")
            assert ask(ga467.build_command(*ga467.READ_TEXT_PHOTO), 11) == \
                bytes.fromhex("AA AA AA 96 69 00 04 00 00 41 45")
            sim.place_card(SAMPLE_CARD)
            assert ask(bytes.fromhex("AA AA AA 96 69 00 03 20 01 22"), 15) == \
                bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
            assert ask(ga467.build_command(*ga467.SELECT), 19)[9] == ga467.SW_OK
            t0 = time.monotonic()
            read = ask(ga467.build_command(*ga467.READ_TEXT_PHOTO), 1295)
            elapsed = time.monotonic() - t0
            assert len(read) == 1295 and read[:14] == bytes.fromhex(
                "AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
            # paced like 115200 baud (~113 ms for command and reply) plus the card latency
            assert elapsed > 0.11 + sim.latency.read
            assert ask(ga467.build_command(*ga467.SAM_ID), 27)[:10] == \
                bytes.fromhex("AA AA AA 96 69 00 14 00 00 90")
            assert ask(bytes.fromhex("AA AA AA 96 69 00 04 61 FF 50 CA"), 11)[9] == 0x90
            bad_checksum = bytes.fromhex("AA AA AA 96 69 00 03 20 01 00")
            assert ask(bad_checksum, 11)[9] == ga467.SW_CHECKSUM_ERROR
            assert ask(ga467.build_command(0x55, 0x01), 11)[9] == ga467.SW_BAD_COMMAND
    finally:
        sim.stop()


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
    assert card.photo is None                                  # no decoder: photo dropped
    assert reader.status() == DeviceStatus.ok()
    assert reader.sam_id == "05.01-20230601-0012345678-1234567890"


@pytest.mark.parametrize("card_type", sorted(SAMPLE_CARDS))
def test_every_card_type_round_trips_through_the_reader(sim, make_reader, card_type):
    _, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARDS[card_type])
    card = rec.next_card()
    assert card == SAMPLE_CARDS[card_type] and card.card_type == card_type


def test_card_that_stays_is_reported_once_and_again_after_removal(sim, make_reader):
    _, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    seen = sim.commands_seen
    time.sleep(0.6)                             # ~10 polls, each reading the card again
    assert sim.commands_seen > seen + 10
    assert rec.cards.empty()

    sim.remove_card()
    time.sleep(5 * FAST_POLL)                   # let the reader see the card gone
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    time.sleep(0.3)
    assert rec.cards.empty()


def test_swapped_card_is_reported_at_once(sim, make_reader):
    _, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    sim.place_card(SAMPLE_CARD_2)               # swapped between two polls: no failed find
    card = rec.next_card()
    assert card == SAMPLE_CARD_2 and card.valid_to is None and card.sex == "女"


def test_one_missed_find_does_not_report_the_card_again(sim, make_reader):
    _, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    sim.inject_status(ga467.Sw3.FIND_FAILED, command=ga467.FIND, count=1)   # one RF glitch
    time.sleep(0.4)
    assert rec.cards.empty()


def test_expired_card_is_reported_and_flagged(sim, make_reader, caplog):
    caplog.set_level("INFO", logger="drivers.idcard")
    _, rec = make_reader(sim.path)
    sim.place_card(EXPIRED_CARD)
    card = rec.next_card()
    assert card.is_expired(dt.date.today())
    assert "expired" in caplog.text and "王老五" not in caplog.text


def test_card_data_never_reaches_the_log(sim, make_reader, caplog):
    caplog.set_level("DEBUG", logger="drivers.idcard")
    _, rec = make_reader(sim.path)
    for card in SAMPLE_CARDS.values():
        sim.place_card(card)
        assert rec.next_card() == card
    text = caplog.text
    assert text.count("card read:") == len(SAMPLE_CARDS)
    for card in SAMPLE_CARDS.values():
        for secret in (card.name, card.id_number, card.english_name, card.pass_number,
                       card.address):
            if secret:
                assert secret not in text


def test_not_wanted_means_no_read_but_presence_is_tracked(sim, make_reader):
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    reader.set_wanted(False)
    time.sleep(2 * FAST_POLL)
    t0 = time.monotonic()
    sim.place_card(SAMPLE_CARD)
    time.sleep(0.4)
    assert rec.cards.empty()
    sent = commands_since(sim, t0)
    assert ga467.FIND in sent and ga467.SELECT not in sent and ga467.READ_TEXT_PHOTO not in sent
    reader.set_wanted(True)
    assert rec.next_card() == SAMPLE_CARD


def test_fingerprint_read(sim, make_reader, caplog):
    caplog.set_level("INFO", logger="drivers.idcard")
    _, rec = make_reader(sim.path, read_fingerprint=True)
    t0 = time.monotonic()
    sim.place_card(SAMPLE_CARD, fingerprint=FAKE_FINGERPRINT)
    assert rec.next_card() == SAMPLE_CARD
    assert ga467.READ_TEXT_PHOTO_FP in commands_since(sim, t0)
    assert "fingerprint 1024 bytes" in caplog.text


def test_fingerprint_read_falls_back_when_the_reader_lacks_it(sim, make_reader):
    reader, rec = make_reader(sim.path, read_fingerprint=True)
    sim.inject_status(ga467.Sw3.BAD_COMMAND, command=ga467.READ_TEXT_PHOTO_FP)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    assert reader.read_fingerprint is False and reader.status() == DeviceStatus.ok()


def test_new_address_is_read_when_asked(sim, make_reader):
    _, rec = make_reader(sim.path, read_new_address=True)
    moved = dataclasses.replace(SAMPLE_CARD, new_address="江苏省南京市玄武区北京东路41号")
    sim.place_card(moved)
    assert rec.next_card().new_address == "江苏省南京市玄武区北京东路41号"
    sim.remove_card()
    time.sleep(5 * FAST_POLL)
    sim.place_card(SAMPLE_CARD)                 # no appended address: the SAM answers 91
    card = rec.next_card()
    assert card == SAMPLE_CARD and card.new_address == ""


def test_photo_hook_when_a_decoder_is_plugged_in(sim, make_reader):
    wlts = []
    _, rec = make_reader(sim.path, photo_decoder=lambda wlt: wlts.append(wlt) or b"BMP")
    sim.place_card(SAMPLE_CARD)
    card = rec.next_card()
    assert wlts == [FAKE_PHOTO] and card.photo == b"BMP" and card == SAMPLE_CARD


# -- device status and hot-plug ----------------------------------------------------------------

def test_missing_port_is_absent_then_connects_when_it_appears(make_reader, tmp_path):
    link = str(tmp_path / "idcard")
    reader, rec = make_reader(link)
    status = rec.wait_state(DeviceState.ABSENT, 2)
    assert link in status.detail
    time.sleep(1.2)                             # retries do not repeat the same status
    assert len(rec.statuses) == 1

    sim = SamSimulator(latency=FAST_CARD, link=link)       # plugged in
    try:
        sim.start()
        rec.wait_state(DeviceState.OK, 2)
        sim.place_card(SAMPLE_CARD)
        assert rec.next_card() == SAMPLE_CARD
    finally:
        sim.stop()


def test_unplug_and_replug_within_two_seconds_without_leaking_threads(make_reader, tmp_path):
    link = str(tmp_path / "idcard")
    sim = SamSimulator(latency=FAST_CARD, link=link)
    sim.start()
    before = threading.active_count()
    reader, rec = make_reader(link)
    rec.wait_state(DeviceState.OK, 2)
    try:
        for cycle, card in enumerate((SAMPLE_CARD, SAMPLE_CARD_2, SAMPLE_CARD)):
            sim.place_card(card)
            assert rec.next_card() == card, cycle
            sim.unplug()                        # the pty and the by-id link are gone
            status = rec.wait_state(DeviceState.ABSENT, 2)
            assert status.detail and link in status.detail
            assert reader_threads() == 1
            sim.start()                         # plugged back in: a new /dev/pts/N
            t0 = time.monotonic()
            rec.wait_state(DeviceState.OK, 2)
            assert time.monotonic() - t0 < 2.0
        assert threading.active_count() == before + 1   # the reader's own thread, nothing else
    finally:
        sim.stop()
    reader.stop()
    assert reader_threads() == 0


def test_stop_is_prompt_even_while_waiting_for_a_reply(sim, make_reader):
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    sim.inject_fault("mute")
    time.sleep(0.3)                             # now inside an exchange, waiting for a reply
    t0 = time.monotonic()
    reader.stop()
    assert time.monotonic() - t0 < 1.0
    assert reader_threads() == 0


def test_port_that_is_not_a_tty_is_absent_not_a_crash(make_reader, tmp_path):
    path = tmp_path / "not-a-port"
    path.write_text("")
    os.chmod(path, 0o000)
    reader, rec = make_reader(str(path))
    rec.wait_state(DeviceState.ABSENT, 2)
    assert reader_threads() == 1
