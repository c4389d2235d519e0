"""IdentityCard's optional fields for the other card types (defaults keep resident code working)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from drivers.idcard.cli import card_fields
from drivers.idcard.fixtures import (EXPIRED_CARD, FOREIGN_2017_CARD, FOREIGN_2023_CARD,
                                     HMT_CARD, SAMPLE_CARD, SAMPLE_CARD_2, SAMPLE_CARDS)
from kiosk.domain.identity import CARD_TYPE_NAMES, IdentityCard, is_valid_id_number

TODAY = dt.date(2026, 6, 1)


def test_positional_construction_still_makes_a_resident_card():
    card = IdentityCard("张三", "男", "汉", dt.date(1990, 3, 7), "地址", "320102199003070017",
                        "公安局", dt.date(2020, 1, 1), None)
    assert card.card_type == "resident" and card.english_name == "" and card.photo is None
    assert card.issue_count is None and card.renewal_count is None


@pytest.mark.parametrize("card", list(SAMPLE_CARDS.values()), ids=list(SAMPLE_CARDS))
def test_repr_is_masked_for_every_card_type(card):
    card = dataclasses.replace(card, photo=b"\x89PNG-secret")
    text = repr(card) + str(card)
    for secret in (card.name, card.id_number, card.english_name, card.pass_number, "PNG-secret"):
        if secret:
            assert secret not in text
    assert card.card_type in text


def test_photo_is_neither_compared_nor_shown():
    with_photo = dataclasses.replace(SAMPLE_CARD, photo=b"image")
    assert with_photo == SAMPLE_CARD


def test_fixture_numbers_carry_valid_check_digits():
    for card in (SAMPLE_CARD, SAMPLE_CARD_2, EXPIRED_CARD, HMT_CARD, FOREIGN_2023_CARD):
        assert is_valid_id_number(card.id_number), card.card_type
    assert len(FOREIGN_2017_CARD.id_number) == 15


def test_expiry():
    assert EXPIRED_CARD.is_expired(TODAY)
    assert not SAMPLE_CARD.is_expired(TODAY)
    assert not SAMPLE_CARD_2.is_expired(dt.date(2999, 1, 1))      # 长期
    assert card_fields(EXPIRED_CARD, TODAY)["expired"] is True


def test_json_fields_of_a_resident_card():
    fields = card_fields(SAMPLE_CARD_2, TODAY)
    assert fields == {
        "card_type": "resident", "name": "李四华", "sex": "女", "nation": "回",
        "birth_date": "1992-05-12", "address": "江苏省南京市鼓楼区北京西路2号",
        "id_number": "320102199205120027", "issuer": "南京市公安局鼓楼分局",
        "valid_from": "2012-06-01", "valid_to": "长期", "expired": False,
    }


def test_json_fields_of_the_other_types():
    hmt = card_fields(HMT_CARD, TODAY)
    assert (hmt["card_type"], hmt["nation"], hmt["pass_number"], hmt["issue_count"]) == \
        ("hmt_residence", "", "H60123456", 1)
    f17 = card_fields(FOREIGN_2017_CARD, TODAY)
    assert (f17["english_name"], f17["nationality"], f17["nation"], f17["address"]) == \
        ("SMITH, JOHN ROBERT", "USA", "", "")
    f23 = card_fields(FOREIGN_2023_CARD, TODAY)
    assert f23["card_type"] == "foreign_2023" and f23["renewal_count"] == 0
    assert "pass_number" not in f23 and "issue_count" not in f23


def test_every_card_type_has_a_chinese_name():
    assert set(CARD_TYPE_NAMES) == set(SAMPLE_CARDS)
