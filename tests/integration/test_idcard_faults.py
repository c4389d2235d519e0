"""Every fault the simulator can inject ends in the right status and a readable message, and
the next good card reads (real reader thread, real pyserial, a pty).
"""
from __future__ import annotations

import time

import pytest

from drivers.idcard import ga467
from drivers.idcard.fixtures import SAMPLE_CARD, SAMPLE_CARD_2
from drivers.idcard.ga467 import Sw3
from drivers.idcard.simulator import SamSimulator
from kiosk.ports import DeviceState, DeviceStatus
from tests.integration.test_idcard_reader_pty import FAST_CARD, make_reader, sim  # noqa: F401

TIMEOUT = 0.3       # reply timeout for these tests: a mute reader is noticed quickly


def wait_for_commands(sim, since: float, *pattern, timeout: float = 10.0) -> None:
    """Wait until the simulator has received `pattern` (in that order, others between allowed;
    None stands for any command) from the reader since `since` (time.monotonic()). The reader asks one thing at a time, so once
    a command has arrived it has acted on every reply before it: this is how a test knows the
    reader has seen something happen, whatever the machine's load, instead of sleeping and
    hoping. The timeout only bounds a failing test."""
    deadline = time.monotonic() + timeout
    while True:
        todo = list(pattern)
        for t, command in list(sim.history):
            if todo and t >= since and todo[0] in (None, command):
                todo.pop(0)
        if not todo:
            return
        assert time.monotonic() < deadline, f"the reader did not send {pattern} within {timeout} s"
        time.sleep(0.01)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def good_card_reads(sim, rec, card=SAMPLE_CARD_2) -> None:
    sim.clear_faults()
    sim.place_card(card)
    assert rec.next_card(timeout=3) == card


# -- the wire -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault, code, detail", [
    ("checksum", "bad_frame", "读卡器应答校验错误"),
    ("truncate", "timeout", "读卡器无应答"),
    ("mute", "timeout", "读卡器无应答"),
])
def test_persistent_wire_fault_is_a_device_fault_then_recovers(sim, make_reader, fault, code,
                                                               detail):
    reader, rec = make_reader(sim.path, reply_timeout=TIMEOUT)
    rec.wait_state(DeviceState.OK, 2)
    sim.inject_fault(fault)
    status = rec.wait_state(DeviceState.FAULT, 3, code=code)
    assert status.detail == detail
    wait_for_commands(sim, time.monotonic(), None, None, None)   # still failing, thread alive ...
    assert reader.status() == status                             # ... status stays fault
    sim.clear_faults()
    rec.wait_state(DeviceState.OK, 3)
    # ok only ever follows a fault after a successful exchange, never on its own
    assert [s.state for s in rec.statuses] == [DeviceState.OK, DeviceState.FAULT, DeviceState.OK]
    good_card_reads(sim, rec)


@pytest.mark.parametrize("fault", ["checksum", "truncate", "mute"])
def test_a_single_bad_reply_is_noise_not_a_fault(sim, make_reader, fault):
    reader, rec = make_reader(sim.path, reply_timeout=TIMEOUT)
    rec.wait_state(DeviceState.OK, 2)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    sim.inject_fault(fault, count=1)
    # the bad reply (to the first command from now on), and two exchanges after it
    wait_for_commands(sim, time.monotonic(), None, None, None)
    assert [s.state for s in rec.statuses] == [DeviceState.OK]
    sim.remove_card()
    good_card_reads(sim, rec)


@pytest.mark.parametrize("fault", ["split", "garbage"])
def test_split_replies_and_garbage_between_frames_still_read(sim, make_reader, fault):
    reader, rec = make_reader(sim.path, reply_timeout=TIMEOUT)
    sim.inject_fault(fault)                     # every reply, from the SAM check on
    rec.wait_state(DeviceState.OK, 2)
    for card in (SAMPLE_CARD, SAMPLE_CARD_2):
        sim.place_card(card)
        assert rec.next_card(timeout=3) == card
    assert [s.state for s in rec.statuses] == [DeviceState.OK]


def test_garbage_that_looks_like_a_huge_frame_header(sim, make_reader):
    # Noise ending in a frame header with LEN 0x0FF0 before each reply: the reply must not
    # wait behind it until the timeout.
    reader, rec = make_reader(sim.path, reply_timeout=TIMEOUT)
    rec.wait_state(DeviceState.OK, 2)
    original = sim._send

    def noisy_send(frame: bytes, split: bool = False) -> None:
        original(ga467.PREAMBLE + b"\x0f\xf0\x00" + frame, split)
    sim._send = noisy_send
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card(timeout=2) == SAMPLE_CARD
    assert reader.status() == DeviceStatus.ok()


# -- every SW3 a SAM can answer ------------------------------------------------------------------

@pytest.mark.parametrize("sw3, command", [
    (Sw3.SELECT_FAILED, ga467.SELECT),
    (Sw3.UNAUTHORISED, ga467.READ_TEXT_PHOTO),
    (Sw3.CARD_AUTH_FAILED, ga467.READ_TEXT_PHOTO),
    (Sw3.SAM_AUTH_FAILED, ga467.READ_TEXT_PHOTO),
    (Sw3.VERIFY_FAILED, ga467.READ_TEXT_PHOTO),
    (Sw3.UNKNOWN_CARD_TYPE, ga467.SELECT),
    (Sw3.READ_FAILED, ga467.READ_TEXT_PHOTO),
])
def test_card_errors_are_reported_once_and_the_device_stays_ok(sim, make_reader, sw3, command):
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    sim.inject_status(sw3, command=command)
    sim.place_card(SAMPLE_CARD)
    error = rec.next_error()
    assert error.sw3 == sw3 and error.code == sw3.name.lower()
    assert error.message == ga467.SW3_INFO[sw3].message and has_chinese(error.message)
    # the card keeps failing on every poll (two more, each answered before the next find) ...
    wait_for_commands(sim, time.monotonic(), command, ga467.FIND, command, ga467.FIND)
    assert rec.errors.empty()                   # ... but the user is told once
    assert rec.cards.empty() and reader.last_card_error == error
    assert reader.status() == DeviceStatus.ok()
    sim.clear_faults()                          # re-placed properly: it reads
    assert rec.next_card() == SAMPLE_CARD


def test_no_card_is_quiet(sim, make_reader):
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    wait_for_commands(sim, time.monotonic(), *[ga467.FIND] * 4)   # polling find, answered 80
    assert rec.cards.empty() and rec.errors.empty()
    assert [s.state for s in rec.statuses] == [DeviceState.OK]
    good_card_reads(sim, rec)


@pytest.mark.parametrize("sw3", [Sw3.CHECKSUM_ERROR, Sw3.LENGTH_ERROR, Sw3.BAD_COMMAND, 0x42])
def test_link_errors_from_the_sam_are_a_protocol_fault(sim, make_reader, sw3):
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    sim.inject_status(sw3, command=ga467.FIND)
    status = rec.wait_state(DeviceState.FAULT, 2, code="protocol")
    assert ga467.sw3_message(sw3) in status.detail and has_chinese(status.detail)
    good_card_reads(sim, rec)
    assert reader.status() == DeviceStatus.ok()


@pytest.mark.parametrize("sw3, code", [(Sw3.SAM_SELF_TEST_FAILED, "sam_selftest"),
                                       (Sw3.SAM_UNAUTHORISED, "sam_unauthorised")])
def test_sam_failure_at_start_is_a_fault_with_a_reset(make_reader, sw3, code):
    sim = SamSimulator(latency=FAST_CARD)
    sim.inject_status(sw3, command=ga467.SAM_STATUS)
    sim.start()
    try:
        reader, rec = make_reader(sim.path)
        status = rec.wait_state(DeviceState.FAULT, 2, code=code)
        assert status.detail == ga467.SW3_INFO[sw3].message
        # a reset after the fault, the status asked again, refused again (a second reset)
        wait_for_commands(sim, 0.0, ga467.RESET, ga467.SAM_STATUS, ga467.RESET)
        assert reader.status() == status            # no "ok" while the SAM keeps failing
        good_card_reads(sim, rec)
        assert rec.statuses[-1] == DeviceStatus.ok()
    finally:
        sim.stop()


def test_sam_failure_while_polling(sim, make_reader):
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    sim.inject_status(Sw3.SAM_SELF_TEST_FAILED, command=ga467.FIND, count=1)
    sim.inject_status(Sw3.SAM_SELF_TEST_FAILED, command=ga467.SAM_STATUS)
    rec.wait_state(DeviceState.FAULT, 2, code="sam_selftest")
    good_card_reads(sim, rec)


def test_unreadable_card_text_is_a_card_error(sim, make_reader):
    import dataclasses
    reader, rec = make_reader(sim.path)
    rec.wait_state(DeviceState.OK, 2)
    # A text block whose number fails its check digit: what a corrupted chip would give.
    sim.place_card(dataclasses.replace(SAMPLE_CARD, id_number="320102199003070018"))
    error = rec.next_error()
    assert error.code == "unreadable" and has_chinese(error.message)
    assert reader.status() == DeviceStatus.ok()
    good_card_reads(sim, rec)


def test_a_card_already_read_that_then_fails_to_read_again_is_not_an_error(sim, make_reader):
    # Some SAMs refuse to read a card a second time until it is lifted.
    reader, rec = make_reader(sim.path)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_card() == SAMPLE_CARD
    sim.inject_status(Sw3.READ_FAILED, command=ga467.READ_TEXT_PHOTO)
    t0 = time.monotonic()
    # a read refused (the card is read again on every poll), and the next poll after it
    wait_for_commands(sim, t0, ga467.READ_TEXT_PHOTO, ga467.FIND)
    assert rec.errors.empty() and reader.last_card_error is None
    sim.remove_card()                           # lifted and put back: a fresh attempt
    # ... once the reader has seen the field empty: two empty finds (one could be a lost RF
    # answer) and the next poll after them. A fixed 0.2 s here was too short under load: the
    # card came back before the reader had looked, so it was rightly still "the card read".
    t1 = time.monotonic()
    wait_for_commands(sim, t1, ga467.FIND, ga467.FIND, ga467.FIND)
    sim.place_card(SAMPLE_CARD)
    assert rec.next_error().sw3 == Sw3.READ_FAILED
