"""The other card types' text blocks: 港澳台居民居住证 (J), 外国人永久居留身份证 2017 (I) and 2023 (Y).

Byte offsets are asserted as numbers taken from public implementations (docs/idcard.md), not
computed from our own tables, so a wrong width in layouts.py fails here.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from drivers.idcard.card_text import decode_card_text, encode_card_text
from drivers.idcard.codes import CardDataError
from drivers.idcard.fixtures import (FOREIGN_2017_CARD, FOREIGN_2023_CARD, HMT_CARD, HMT_CARD_TW,
                                     SAMPLE_CARD, SAMPLE_CARDS)
from drivers.idcard.layouts import LAYOUTS
from kiosk.domain.identity import ric_check_symbol


def field(block: bytes, offset: int, width: int) -> str:
    """A field by byte offset and width, the way vendor SDKs read it."""
    return block[offset:offset + width].decode("utf-16-le").rstrip(" ")


def replace_at(block: bytes, offset: int, value: str) -> bytes:
    raw = value.encode("utf-16-le")
    return block[:offset] + raw + block[offset + len(raw):]


@pytest.mark.parametrize("card_type", sorted(SAMPLE_CARDS))
def test_every_card_type_round_trips(card_type):
    card = SAMPLE_CARDS[card_type]
    block = encode_card_text(card)
    assert len(block) == 256
    assert decode_card_text(block) == card


def test_all_layouts_are_256_bytes_with_the_flag_at_248():
    for layout in LAYOUTS.values():
        assert sum(w for _, w in layout.fields) == 256
        if layout.flag != " ":
            assert layout.offset("type_flag") == 248


# -- 港澳台居民居住证 ----------------------------------------------------------------------------

def test_hmt_layout_offsets():
    block = encode_card_text(HMT_CARD)
    assert field(block, 248, 2) == "J"
    assert field(block, 0, 30) == "陈嘉欣"
    assert field(block, 32, 4) == ""                       # no 民族 on these cards
    assert field(block, 122, 36) == "810000198802140046"
    assert field(block, 188, 16) == "20240301" and field(block, 204, 16) == "20290301"
    assert field(block, 220, 18) == "H60123456"            # 通行证号码
    assert field(block, 238, 4) == "01"                    # 签发次数


def test_hmt_card_fields():
    card = decode_card_text(encode_card_text(HMT_CARD_TW))
    assert card.card_type == "hmt_residence" and card.nation == ""
    assert (card.pass_number, card.issue_count) == ("01234567", 2)
    assert card.id_number.startswith("83") and card.address.startswith("福建省")


def test_hmt_number_must_be_an_81_82_83_number():
    first17 = "32010219900307001"
    card = dataclasses.replace(HMT_CARD, id_number=first17 + ric_check_symbol(first17))
    with pytest.raises(CardDataError, match="81"):
        decode_card_text(encode_card_text(card))


def test_hmt_bad_check_digit_is_rejected_without_leaking_the_number():
    block = replace_at(encode_card_text(HMT_CARD), 122 + 34, "7")    # last digit 6 -> 7
    with pytest.raises(CardDataError) as exc:
        decode_card_text(block)
    assert "810000" not in str(exc.value)


def test_hmt_issue_count_must_be_digits():
    block = replace_at(encode_card_text(HMT_CARD), 238, "0A")
    with pytest.raises(CardDataError, match="签发次数"):
        decode_card_text(block)


# -- 外国人永久居留身份证 2017 ---------------------------------------------------------------------

def test_foreign_2017_layout_offsets():
    block = encode_card_text(FOREIGN_2017_CARD)
    assert field(block, 248, 2) == "I"
    assert field(block, 0, 120) == "SMITH, JOHN ROBERT"    # English name first
    assert field(block, 120, 2) == "1"
    assert field(block, 122, 30) == "USA110085061112"      # 15-character number
    assert field(block, 152, 6) == "USA"                   # nationality
    assert field(block, 158, 30) == "史密斯"                 # Chinese name
    assert field(block, 188, 16) == "20180701" and field(block, 204, 16) == "20280701"
    assert field(block, 220, 16) == "19850611"             # birth comes after validity
    assert field(block, 236, 4) == "20"                    # card version
    assert field(block, 240, 8) == "1100"                  # issuing office code


def test_foreign_2017_fields():
    card = decode_card_text(encode_card_text(FOREIGN_2017_CARD))
    assert card.card_type == "foreign_2017" and card.name == "史密斯"
    assert (card.english_name, card.nationality, card.sex) == ("SMITH, JOHN ROBERT", "USA", "男")
    assert card.birth == dt.date(1985, 6, 11) and card.nation == "" and card.address == ""


def test_foreign_2017_without_chinese_name_uses_the_english_name():
    card = dataclasses.replace(FOREIGN_2017_CARD, name=FOREIGN_2017_CARD.english_name)
    block = encode_card_text(card)
    assert field(block, 158, 30) == ""
    assert decode_card_text(block).name == "SMITH, JOHN ROBERT"


@pytest.mark.parametrize("number", ["US1110085061112", "USA11008506111", "usa11008506111X"])
def test_foreign_2017_number_format_is_checked(number):
    block = replace_at(encode_card_text(FOREIGN_2017_CARD), 122, number.ljust(15))
    with pytest.raises(CardDataError, match="号码"):
        decode_card_text(block)


# -- 外国人永久居留身份证 2023 ---------------------------------------------------------------------

def test_foreign_2023_layout_offsets():
    block = encode_card_text(FOREIGN_2023_CARD)
    assert field(block, 248, 2) == "Y"
    assert field(block, 0, 30) == ""                       # this holder has no Chinese name
    assert field(block, 30, 2) == "2"
    assert field(block, 32, 4) == "00"                     # 换证次数
    assert field(block, 36, 16) == "19880315"
    # characters 1-35, the 35th a space between two words
    assert block[52:122].decode("utf-16-le") == "SCHMIDT-LEUTHEUSSER, ANNA MARIA EL "
    assert field(block, 122, 36) == "931276198803150023"
    assert field(block, 188, 16) == "20240102" and field(block, 204, 16) == "20340102"
    assert field(block, 220, 22) == "KATHARINA"           # characters 36-46
    assert field(block, 242, 6) == "DEU"


def test_foreign_2023_english_name_keeps_the_space_on_character_35():
    card = decode_card_text(encode_card_text(FOREIGN_2023_CARD))
    assert card.english_name == "SCHMIDT-LEUTHEUSSER, ANNA MARIA EL KATHARINA"
    assert card.name == card.english_name and card.renewal_count == 0
    assert card.nationality == "DEU" and card.sex == "女" and card.authority == ""


def test_foreign_2023_with_chinese_name_and_old_number_link():
    card = dataclasses.replace(FOREIGN_2023_CARD, name="安娜", renewal_count=1,
                               previous_number="DEU")
    block = encode_card_text(card)
    assert field(block, 0, 30) == "安娜" and field(block, 250, 6) == "DEU"
    assert decode_card_text(block) == card


def test_foreign_2023_number_must_start_with_9_and_carry_its_check_digit():
    first17 = "32010219900307001"
    wrong_prefix = dataclasses.replace(FOREIGN_2023_CARD,
                                       id_number=first17 + ric_check_symbol(first17))
    with pytest.raises(CardDataError, match="9"):
        decode_card_text(encode_card_text(wrong_prefix))
    bad_digit = replace_at(encode_card_text(FOREIGN_2023_CARD), 122 + 34, "4")
    with pytest.raises(CardDataError, match="校验"):
        decode_card_text(bad_digit)


# -- the type flag -----------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["X", "j", "1"])
def test_unknown_type_flag_is_rejected(flag):
    block = replace_at(encode_card_text(SAMPLE_CARD), 248, flag)
    with pytest.raises(CardDataError, match="证件类型"):
        decode_card_text(block)


def test_nul_type_flag_means_resident():
    block = encode_card_text(SAMPLE_CARD)
    block = block[:248] + b"\x00\x00" + block[250:]
    assert decode_card_text(block) == SAMPLE_CARD


def test_a_resident_card_text_is_not_read_as_another_type():
    # The same bytes with a flag switched must not decode quietly as the other type.
    block = replace_at(encode_card_text(SAMPLE_CARD), 248, "Y")
    with pytest.raises(CardDataError):
        decode_card_text(block)


def test_surrogate_pairs_are_not_ucs2():
    # Valid UTF-16 but two code units per character: every later field would shift.
    block = encode_card_text(SAMPLE_CARD)
    block = "😀".encode("utf-16-le") + block[4:]
    with pytest.raises(CardDataError, match="UCS-2"):
        decode_card_text(block)
