"""Read replies around the text block (30 01, 30 10, 30 03), the SAM id, the photo hook."""
from __future__ import annotations

import logging

import pytest

from drivers.idcard import ga467
from drivers.idcard.card_text import encode_card_text
from drivers.idcard.codes import CardDataError
from drivers.idcard.fixtures import FAKE_FINGERPRINT, FAKE_PHOTO, SAMPLE_CARD
from drivers.idcard.photo import decode_photo
from drivers.idcard.read_data import (build_new_address, build_read_data, build_sam_id,
                                      format_sam_id, parse_new_address, split_read_data)

TEXT = encode_card_text(SAMPLE_CARD)


def test_read_with_fingerprint_parses_the_fingerprint_length():
    data = build_read_data(TEXT, FAKE_PHOTO, FAKE_FINGERPRINT)
    assert data[:6] == bytes.fromhex("0100 0400 0400")
    parts = split_read_data(data, with_fingerprint=True)
    assert parts.text == TEXT and parts.photo == FAKE_PHOTO and parts.fingerprint_len == 1024
    assert "photo=" not in repr(parts)                  # 1 KB of WLT kept out of any log line


def test_read_with_fingerprint_of_a_card_without_one():
    parts = split_read_data(build_read_data(TEXT, FAKE_PHOTO, b""), with_fingerprint=True)
    assert parts.fingerprint_len == 0 and parts.text == TEXT


def test_fingerprint_bytes_are_not_handed_out():
    parts = split_read_data(build_read_data(TEXT, FAKE_PHOTO, FAKE_FINGERPRINT), True)
    assert FAKE_FINGERPRINT not in b"".join(v for v in vars(parts).values()
                                            if isinstance(v, bytes))


@pytest.mark.parametrize("cut", [1, 100, 1024])
def test_read_with_fingerprint_too_short_is_rejected(cut):
    data = build_read_data(TEXT, FAKE_PHOTO, FAKE_FINGERPRINT)
    with pytest.raises(CardDataError):
        split_read_data(data[:-cut], with_fingerprint=True)


def test_new_address():
    data = build_new_address("江苏省南京市玄武区北京东路41号")
    assert len(data) == 70
    assert parse_new_address(data) == "江苏省南京市玄武区北京东路41号"
    with pytest.raises(CardDataError):
        parse_new_address(data[:-2])
    with pytest.raises(CardDataError):
        parse_new_address(b"\x00\xd8" * 35)             # lone surrogates


def test_sam_id_format():
    assert format_sam_id(build_sam_id(5, 1, 20230601, 12345678, 1234567890)) == \
        "05.01-20230601-0012345678-1234567890"
    with pytest.raises(CardDataError):
        format_sam_id(bytes(15))


def test_photo_hook_is_off_by_default():
    assert decode_photo(None, FAKE_PHOTO) is None


def test_photo_hook_gets_the_wlt_and_its_result_is_returned():
    seen = []
    assert decode_photo(lambda wlt: seen.append(wlt) or b"BM-image", FAKE_PHOTO) == b"BM-image"
    assert seen == [FAKE_PHOTO]


def test_a_failing_photo_decoder_is_logged_not_raised(caplog):
    caplog.set_level(logging.ERROR, logger="drivers.idcard.photo")

    def broken(wlt: bytes) -> bytes:
        raise RuntimeError("licence file missing")
    assert decode_photo(broken, FAKE_PHOTO) is None
    assert "photo decoder failed" in caplog.text


def test_read_frame_sizes():
    assert len(ga467.build_reply(ga467.Sw3.OK, build_read_data(TEXT, FAKE_PHOTO))) == 1295
    assert len(ga467.build_reply(ga467.Sw3.OK, build_read_data(TEXT, FAKE_PHOTO,
                                                              FAKE_FINGERPRINT))) == 2321
