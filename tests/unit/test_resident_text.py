"""The 256-byte UCS-2LE text block of a resident ID card (the other types: test_idcard_layouts)."""
import dataclasses
import datetime as dt

import pytest

from drivers.idcard import ga467
from drivers.idcard.card_text import decode_card_text as decode_resident_text
from drivers.idcard.card_text import encode_card_text as encode_resident_text
from drivers.idcard.codes import NATION_CODES, CardDataError
from drivers.idcard.fixtures import FAKE_PHOTO, SAMPLE_CARD, SAMPLE_CARD_2
from drivers.idcard.read_data import build_read_data as _build_read_data
from drivers.idcard.read_data import split_read_data
from kiosk.domain.identity import is_valid_id_number


def build_read_data(card, photo):
    return _build_read_data(encode_resident_text(card), photo)


def test_round_trip():
    block = encode_resident_text(SAMPLE_CARD)
    assert len(block) == 256
    assert decode_resident_text(block) == SAMPLE_CARD


def test_field_layout():
    block = encode_resident_text(SAMPLE_CARD)
    text = block.decode("utf-16-le")
    assert text[0:15] == "张三".ljust(15)
    assert text[15] == "1"                                  # 男
    assert text[16:18] == "01"                              # 汉
    assert text[18:26] == "19900307"
    assert text[61:79] == "320102199003070017"
    assert text[94:102] == "20200101" and text[102:110] == "20400101"
    assert text[110:] == " " * 18                          # reserved


def test_long_term_validity():
    assert SAMPLE_CARD_2.valid_to is None
    block = encode_resident_text(SAMPLE_CARD_2)
    assert block.decode("utf-16-le")[102:110] == "长期      "
    card = decode_resident_text(block)
    assert card.valid_to is None and card.sex == "女" and card.nation == "回"
    assert not card.is_expired(dt.date(2099, 1, 1))


def test_nation_table_is_complete():
    assert [f"{i:02d}" for i in range(1, 57)] + ["97", "98"] == list(NATION_CODES)
    assert NATION_CODES["01"] == "汉" and NATION_CODES["02"] == "蒙古"
    assert NATION_CODES["05"] == "维吾尔" and NATION_CODES["56"] == "基诺"
    assert NATION_CODES["98"] == "外国血统中国籍人士"
    assert len(set(NATION_CODES.values())) == len(NATION_CODES)


@pytest.mark.parametrize("code, name", [("03", "回"), ("29", "柯尔克孜"), ("97", "其他")])
def test_nation_codes_round_trip(code, name):
    card = dataclasses.replace(SAMPLE_CARD, nation=name)
    block = encode_resident_text(card)
    assert block.decode("utf-16-le")[16:18] == code
    assert decode_resident_text(block).nation == name


def test_check_digit():
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("11010519491231003X")
    assert is_valid_id_number(SAMPLE_CARD.id_number)
    assert is_valid_id_number(SAMPLE_CARD_2.id_number)


def test_bad_check_digit_on_card_is_rejected_without_leaking_the_number():
    text = encode_resident_text(SAMPLE_CARD).decode("utf-16-le")
    block = (text[:61] + "320102199003070018" + text[79:]).encode("utf-16-le")
    with pytest.raises(CardDataError) as exc:
        decode_resident_text(block)
    assert "320102" not in str(exc.value)


@pytest.mark.parametrize("block", [
    b"",
    bytes(255),
    bytes(256),                                   # all NUL: empty name
    b"\xff" * 256,                                # no valid codes
    b"\x00\xd8" * 128,                            # lone surrogates: not UCS-2
    bytes(range(256)),
])
def test_garbage_block_raises_card_data_error(block):
    with pytest.raises(CardDataError):
        decode_resident_text(block)


def test_bad_date_raises_card_data_error():
    text = encode_resident_text(SAMPLE_CARD).decode("utf-16-le")
    block = (text[:18] + "19901307" + text[26:]).encode("utf-16-le")   # month 13
    with pytest.raises(CardDataError, match="出生日期"):
        decode_resident_text(block)


def test_encode_rejects_overlong_field():
    with pytest.raises(ValueError):
        encode_resident_text(dataclasses.replace(SAMPLE_CARD, address="长" * 36))


def test_read_reply_layout():
    frame = ga467.build_reply(ga467.SW_OK, build_read_data(SAMPLE_CARD, FAKE_PHOTO))
    assert len(frame) == 1295
    assert frame[:14] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert frame[14:270] == encode_resident_text(SAMPLE_CARD)
    assert frame[270:1294] == FAKE_PHOTO
    payload = ga467.FrameDecoder().feed(frame)[0]
    parts = split_read_data(ga467.parse_reply(payload).data)
    assert decode_resident_text(parts.text) == SAMPLE_CARD and parts.photo == FAKE_PHOTO
    assert parts.fingerprint_len == 0


def test_read_data_with_wrong_lengths_is_rejected():
    data = build_read_data(SAMPLE_CARD, FAKE_PHOTO)
    with pytest.raises(CardDataError):
        split_read_data(data[:-1])
    with pytest.raises(CardDataError):
        split_read_data(b"\x00\xff" + data[2:])
    with pytest.raises(CardDataError):
        split_read_data(data, with_fingerprint=True)     # a 30 01 reply read as a 30 10 one
    with pytest.raises(CardDataError):
        split_read_data(data[:3])


def test_compatibility_names_of_the_skeleton_still_work():
    from drivers.idcard import resident_text
    data = resident_text.build_read_data(SAMPLE_CARD, FAKE_PHOTO)
    text, photo_len = resident_text.split_read_data(data)
    assert resident_text.decode_resident_text(text) == SAMPLE_CARD and photo_len == 1024
    assert sum(w for _, w in resident_text.FIELDS) == resident_text.TEXT_LEN == 256


def test_nul_padding_reads_like_space_padding():
    text = encode_resident_text(SAMPLE_CARD).decode("utf-16-le").replace(" ", "\x00")
    assert decode_resident_text(text.encode("utf-16-le")) == SAMPLE_CARD


def test_lower_case_x_check_digit_is_normalised():
    card = dataclasses.replace(SAMPLE_CARD, id_number="11010519491231002x")
    assert decode_resident_text(encode_resident_text(card)).id_number == "11010519491231002X"


def test_unknown_nation_code_is_rejected():
    text = encode_resident_text(SAMPLE_CARD).decode("utf-16-le")
    for code in ("00", "57", "99"):
        with pytest.raises(CardDataError, match="民族"):
            decode_resident_text((text[:16] + code + text[18:]).encode("utf-16-le"))
