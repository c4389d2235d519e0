"""GA 467 framing: published frames byte-exact, resync, split frames, bad frames."""
import pytest

from drivers.idcard import ga467
from drivers.idcard.ga467 import (ChecksumError, FrameDecoder, LengthError, Reply, build_command,
                                  build_reply, parse_reply)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# Frames as published for real readers.
FIND = h("AA AA AA 96 69 00 03 20 01 22")
FIND_OK = h("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
SELECT = h("AA AA AA 96 69 00 03 20 02 21")
READ = h("AA AA AA 96 69 00 03 30 01 32")
SAM_STATUS = h("AA AA AA 96 69 00 03 11 FF ED")
SAM_OK = h("AA AA AA 96 69 00 04 00 00 90 94")


@pytest.mark.parametrize("command, frame", [
    (ga467.FIND, FIND), (ga467.SELECT, SELECT), (ga467.READ_TEXT_PHOTO, READ),
    (ga467.SAM_STATUS, SAM_STATUS),
])
def test_build_command_matches_published_frames(command, frame):
    assert build_command(*command) == frame


def test_build_reply_matches_published_frames():
    assert build_reply(ga467.SW_FIND_OK, b"\x00\x00\x00\x00") == FIND_OK
    assert build_reply(ga467.SW_OK) == SAM_OK


def test_published_frames_decode():
    dec = FrameDecoder()
    payloads = dec.feed(FIND + FIND_OK + SELECT + READ + SAM_STATUS + SAM_OK)
    assert payloads == [h("20 01"), h("00 00 9F 00 00 00 00"), h("20 02"), h("30 01"),
                        h("11 FF"), h("00 00 90")]
    assert dec.take_errors() == []
    assert parse_reply(payloads[1]) == Reply(0, 0, 0x9F, b"\x00\x00\x00\x00")
    assert parse_reply(payloads[5]) == Reply(0, 0, 0x90, b"")


def test_length_counts_everything_after_it():
    frame = build_reply(ga467.SW_OK, bytes(1284))
    assert len(frame) == 7 + int.from_bytes(frame[5:7], "big") == 1295
    assert frame[:10] == h("AA AA AA 96 69 05 08 00 00 90")


def test_resync_after_garbage():
    dec = FrameDecoder()
    garbage = h("00 FF AA AA 96 13 AA AA AA 96")   # includes preamble look-alikes
    assert dec.feed(garbage + SAM_OK + b"\x55\x66" + FIND_OK) == [h("00 00 90"),
                                                                 h("00 00 9F 00 00 00 00")]
    assert dec.take_errors() == []
    assert dec.discarded == len(garbage) + 2


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 13])
def test_frames_split_across_feeds(chunk):
    stream = b"\x01\x02" + FIND_OK + build_reply(ga467.SW_OK, bytes(range(256)) * 5) + SAM_OK
    dec = FrameDecoder()
    out = []
    for i in range(0, len(stream), chunk):
        out += dec.feed(stream[i:i + chunk])
    assert [p[2] for p in out] == [0x9F, 0x90, 0x90]
    assert out[1][3:] == bytes(range(256)) * 5


def test_bad_checksum_is_reported_and_decoding_continues():
    bad = FIND_OK[:-1] + b"\x00"
    dec = FrameDecoder()
    assert dec.feed(bad + SAM_OK) == [h("00 00 90")]
    errors = dec.take_errors()
    assert len(errors) == 1 and isinstance(errors[0], ChecksumError)
    assert isinstance(errors[0], ga467.FrameError)
    assert dec.take_errors() == []      # handed out once


def test_corrupted_length_does_not_swallow_the_next_frame():
    # LEN claims 16 bytes, so the next good frame is inside the claimed span.
    bad = h("AA AA AA 96 69 00 10 00 00 90 94")
    dec = FrameDecoder()
    out = dec.feed(bad + SAM_OK + FIND_OK)
    assert out == [h("00 00 90"), h("00 00 9F 00 00 00 00")]
    assert [type(e) for e in dec.take_errors()] == [ChecksumError]


@pytest.mark.parametrize("length", [0, 1, 2, 0xFFFF])
def test_absurd_length_is_reported_and_skipped(length):
    bad = ga467.PREAMBLE + length.to_bytes(2, "big") + b"\x00\x00\x90"
    dec = FrameDecoder()
    assert dec.feed(bad + SAM_OK) == [h("00 00 90")]
    errors = dec.take_errors()
    assert len(errors) == 1 and isinstance(errors[0], LengthError)


def test_truncated_frame_waits_then_reset_forgets_it():
    dec = FrameDecoder()
    assert dec.feed(FIND_OK[:9]) == []
    dec.reset()
    assert dec.feed(SAM_OK) == [h("00 00 90")]


def test_parse_reply_too_short():
    with pytest.raises(LengthError):
        parse_reply(b"\x00\x00")


@pytest.mark.parametrize("sw3", [0x90, 0x9F, 0x80, 0x81, 0x41, 0x10, 0x11, 0x21])
def test_every_status_has_a_chinese_message(sw3):
    msg = ga467.SW3_MESSAGES[sw3]
    assert msg and any("\u4e00" <= c <= "\u9fff" for c in msg)
    assert Reply(0, 0, sw3, b"").message == msg


def test_unknown_status_message_names_the_code():
    assert "0x42" in ga467.sw3_message(0x42)
