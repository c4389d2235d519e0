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


# -- the whole command set and every status (issue #3) ----------------------------------------

@pytest.mark.parametrize("command, data, frame", [
    (ga467.RESET, b"", "AA AA AA 96 69 00 03 10 FF EC"),
    (ga467.SAM_STATUS, b"", "AA AA AA 96 69 00 03 11 FF ED"),
    (ga467.SAM_ID, b"", "AA AA AA 96 69 00 03 12 FF EE"),
    (ga467.FIND, b"", "AA AA AA 96 69 00 03 20 01 22"),
    (ga467.SELECT, b"", "AA AA AA 96 69 00 03 20 02 21"),
    (ga467.READ_TEXT_PHOTO, b"", "AA AA AA 96 69 00 03 30 01 32"),
    (ga467.READ_NEW_ADDRESS, b"", "AA AA AA 96 69 00 03 30 03 30"),
    (ga467.READ_TEXT_PHOTO_FP, b"", "AA AA AA 96 69 00 03 30 10 23"),
    (ga467.SET_MAX_RF_BYTES, b"\x50", "AA AA AA 96 69 00 04 61 FF 50 CA"),
])
def test_every_command_builds_its_published_frame(command, data, frame):
    assert build_command(*command, data) == h(frame)
    payload = FrameDecoder().feed(h(frame))[0]
    assert (payload[0], payload[1]) == command and payload[2:] == data


@pytest.mark.parametrize("frame, status, kind", [
    ("AA AA AA 96 69 00 04 00 00 80 84", ga467.Sw3.FIND_FAILED, ga467.Sw3Kind.NO_CARD),
    ("AA AA AA 96 69 00 04 00 00 81 85", ga467.Sw3.SELECT_FAILED, ga467.Sw3Kind.CARD),
    ("AA AA AA 96 69 00 04 00 00 41 45", ga467.Sw3.READ_FAILED, ga467.Sw3Kind.CARD),
    ("AA AA AA 96 69 00 04 00 00 90 94", ga467.Sw3.OK, ga467.Sw3Kind.OK),
])
def test_published_error_replies_parse_to_typed_statuses(frame, status, kind):
    dec = FrameDecoder()
    (payload,) = dec.feed(h(frame))
    reply = parse_reply(payload)
    assert reply.status is status and reply.kind is kind and reply.data == b""
    assert reply.message == ga467.SW3_INFO[status].message
    assert build_reply(status) == h(frame)


# SW3 -> what the reader must do with it. Written out, not derived from the table, so a wrong
# entry in the table fails here.
EXPECTED_KINDS = {
    0x90: "ok", 0x9F: "ok", 0x91: "ok", 0x80: "no_card", 0x81: "card", 0x10: "link",
    0x11: "link", 0x21: "link", 0x23: "card", 0x31: "card", 0x32: "card", 0x33: "card",
    0x40: "card", 0x41: "card", 0x60: "sam", 0x66: "sam",
}


@pytest.mark.parametrize("sw3, kind", sorted(EXPECTED_KINDS.items()))
def test_every_sw3_has_a_type_a_kind_and_a_chinese_message(sw3, kind):
    reply = Reply(0, 0, sw3, b"")
    assert reply.status is not None and int(reply.status) == sw3
    assert reply.kind.value == kind
    assert any("\u4e00" <= c <= "\u9fff" for c in reply.message)
    assert "0x" not in reply.message            # plain Chinese, not a code dump


def test_the_table_covers_exactly_the_published_codes():
    assert {int(c) for c in ga467.SW3_INFO} == set(EXPECTED_KINDS)
    assert len({i.message for i in ga467.SW3_INFO.values()}) == len(ga467.SW3_INFO)


def test_unknown_status_is_untyped_and_treated_as_a_link_problem():
    reply = Reply(0, 0, 0x42, b"")
    assert reply.status is None and reply.kind is ga467.Sw3Kind.LINK and "0x42" in reply.message


def test_sam_id_reply_frame():
    from drivers.idcard.read_data import build_sam_id, format_sam_id
    frame = build_reply(ga467.Sw3.OK, build_sam_id(5, 1, 20101010, 12345678, 1234567890))
    assert frame[:10] == h("AA AA AA 96 69 00 14 00 00 90") and len(frame) == 27
    reply = parse_reply(FrameDecoder().feed(frame)[0])
    assert format_sam_id(reply.data) == "05.01-20101010-0012345678-1234567890"


def test_fingerprint_read_reply_length():
    # 30 10: SW + three lengths + text 256 + photo 1024 + fingerprint 1024
    from drivers.idcard.read_data import build_read_data
    frame = build_reply(ga467.Sw3.OK, build_read_data(bytes(256), bytes(1024), bytes(1024)))
    assert len(frame) == 7 + 3 + 6 + 256 + 1024 + 1024 + 1
    assert frame[5:16] == h("09 0A 00 00 90 01 00 04 00 04 00")
    assert FrameDecoder().feed(frame)[0][3:9] == h("01 00 04 00 04 00")


# -- truncated frames ---------------------------------------------------------------------------

def test_header_with_huge_length_does_not_hold_the_next_frame_hostage():
    # Noise that looks like a header claiming 4 KB, then a real reply: the reply must come out
    # now, not after 4 KB more bytes (or the caller's timeout).
    fake = ga467.PREAMBLE + h("0F F0") + b"\x00\x00"
    dec = FrameDecoder()
    assert dec.feed(fake + SAM_OK) == [h("00 00 90")]
    assert [type(e) for e in dec.take_errors()] == [LengthError]
    assert dec.pending == 0


def test_truncated_reply_followed_by_the_next_reply():
    read = build_reply(ga467.Sw3.OK, bytes(1284))
    dec = FrameDecoder()
    assert dec.feed(read[:700]) == [] and dec.pending == 700
    assert dec.feed(FIND_OK) == [h("00 00 9F 00 00 00 00")]
    assert dec.pending == 0


def test_pending_is_bounded_and_reset_clears_it():
    dec = FrameDecoder()
    dec.feed(ga467.PREAMBLE + h("10 00") + bytes(5000))     # LEN 4096: waits for the rest
    assert dec.pending <= ga467.HEADER_LEN + ga467.MAX_LEN
    dec.reset()
    assert dec.pending == 0 and dec.feed(SAM_OK) == [h("00 00 90")]
