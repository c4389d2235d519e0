"""Text block <-> IdentityCard for every card type (pure).

decode_card_text() chooses the layout by the type flag and checks what can be checked offline:
code tables, dates, and the number's check digit (GB 11643, computed directly: python-stdnum's
region database rejects valid 81/82/83 and 9x numbers). encode_card_text() is the inverse,
used by the simulator and the tests.
"""
from __future__ import annotations

import re

from kiosk.domain.identity import (FOREIGN_2017, FOREIGN_2023, HMT_RESIDENCE, RESIDENT,
                                   IdentityCard, is_valid_id_number)

from .codes import (NATION_BY_NAME, SEX_BY_NAME, CardDataError, format_date, nation_name,
                    parse_count, parse_date, parse_valid_to, sex_name)
from .layouts import LAYOUTS, Layout, layout_for, text_of

# 2017 foreigner's number: ISO 3166 alpha-3 nationality + 12 digits. Format only: a single
# unofficial library computes its check digit (ICAO 9303 7-3-1), too little to turn a genuine
# permanent resident away on (docs/idcard.md).
_FOREIGN_2017_NUMBER = re.compile(r"[A-Z]{3}[0-9]{12}")
_HMT_PREFIXES = ("81", "82", "83")      # 香港、澳门、台湾居民居住证


def decode_card_text(block: bytes) -> IdentityCard:
    text = text_of(block)
    layout = layout_for(text)
    raw = layout.split(text)
    return _DECODERS[layout.card_type](layout, text, raw)


def encode_card_text(card: IdentityCard) -> bytes:
    try:
        layout = LAYOUTS[card.card_type]
    except KeyError:
        raise ValueError(f"unknown card type {card.card_type!r}") from None
    values = _ENCODERS[card.card_type](card)
    if layout.flag != " ":
        values["type_flag"] = layout.flag
    return layout.join(values).encode("utf-16-le")


# -- resident ID card ---------------------------------------------------------------------------

def _decode_resident(layout: Layout, text: str, raw: dict[str, str]) -> IdentityCard:
    return IdentityCard(**_common_fields(raw), nation=nation_name(raw["nation"]))


def _encode_resident(card: IdentityCard) -> dict[str, str]:
    return {**_common_values(card), "nation": _code(NATION_BY_NAME, card.nation)}


# -- 港澳台居民居住证 ("J") --------------------------------------------------------------------

def _decode_hmt(layout: Layout, text: str, raw: dict[str, str]) -> IdentityCard:
    common = _common_fields(raw)
    if not common["id_number"].startswith(_HMT_PREFIXES):
        raise CardDataError("港澳台居民居住证号码应以 81、82 或 83 开头")
    _require(raw["pass_number"], "通行证号码为空")
    # The nation field is reserved on these cards (blank); decode it only if one is present.
    nation = nation_name(raw["reserved_nation"]) if raw["reserved_nation"] else ""
    return IdentityCard(**common, nation=nation, card_type=HMT_RESIDENCE,
                        pass_number=raw["pass_number"],
                        issue_count=parse_count(raw["issue_count"], "签发次数"))


def _encode_hmt(card: IdentityCard) -> dict[str, str]:
    return {**_common_values(card),
            "reserved_nation": _code(NATION_BY_NAME, card.nation) if card.nation else "",
            "pass_number": card.pass_number, "issue_count": _count(card.issue_count)}


# -- 外国人永久居留身份证 2017 ("I") -----------------------------------------------------------

def _decode_foreign_2017(layout: Layout, text: str, raw: dict[str, str]) -> IdentityCard:
    english = raw["english_name"]
    _require(english or raw["chinese_name"], "姓名为空")
    number = raw["id_number"].upper()
    if not _FOREIGN_2017_NUMBER.fullmatch(number):
        raise CardDataError("外国人永久居留身份证号码格式错误")
    return IdentityCard(
        name=raw["chinese_name"] or english, sex=sex_name(raw["sex"]), nation="",
        birth=parse_date(raw["birth"], "出生日期"), address="", id_number=number,
        authority=raw["authority_code"],
        valid_from=parse_date(raw["valid_from"], "有效期起始日期"),
        valid_to=parse_valid_to(raw["valid_to"]),
        card_type=FOREIGN_2017, english_name=english, nationality=raw["nationality"],
        card_version=raw["card_version"],
    )


def _encode_foreign_2017(card: IdentityCard) -> dict[str, str]:
    return {
        "english_name": card.english_name, "sex": _code(SEX_BY_NAME, card.sex),
        "id_number": card.id_number, "nationality": card.nationality,
        "chinese_name": _chinese_name(card), "valid_from": format_date(card.valid_from),
        "valid_to": format_date(card.valid_to), "birth": format_date(card.birth),
        "card_version": card.card_version, "authority_code": card.authority,
    }


# -- 外国人永久居留身份证 2023 ("Y") -----------------------------------------------------------

def _decode_foreign_2023(layout: Layout, text: str, raw: dict[str, str]) -> IdentityCard:
    # Part 1 holds characters 1-35 and part 2 continues it directly: join them unstripped, or
    # a space that falls on character 35 (between two words) would be lost.
    english = (layout.raw(text, "english_name_1") + layout.raw(text, "english_name_2"))
    english = english.rstrip(" \x00")
    _require(english or raw["chinese_name"], "姓名为空")
    number = raw["id_number"].upper()
    if not number.startswith("9"):
        raise CardDataError("外国人永久居留身份证号码应以 9 开头")
    _check_ric(number)
    return IdentityCard(
        name=raw["chinese_name"] or english, sex=sex_name(raw["sex"]), nation="",
        birth=parse_date(raw["birth"], "出生日期"), address="", id_number=number, authority="",
        valid_from=parse_date(raw["valid_from"], "有效期起始日期"),
        valid_to=parse_valid_to(raw["valid_to"]),
        card_type=FOREIGN_2023, english_name=english, nationality=raw["nationality"],
        renewal_count=parse_count(raw["renewal_count"], "换证次数"),
        previous_number=raw["previous_number"],
    )


def _encode_foreign_2023(card: IdentityCard) -> dict[str, str]:
    english = card.english_name
    return {
        "chinese_name": _chinese_name(card), "sex": _code(SEX_BY_NAME, card.sex),
        "renewal_count": _count(card.renewal_count), "birth": format_date(card.birth),
        "english_name_1": english[:35], "id_number": card.id_number,
        "valid_from": format_date(card.valid_from), "valid_to": format_date(card.valid_to),
        "english_name_2": english[35:], "nationality": card.nationality,
        "previous_number": card.previous_number,
    }


_DECODERS = {RESIDENT: _decode_resident, HMT_RESIDENCE: _decode_hmt,
             FOREIGN_2017: _decode_foreign_2017, FOREIGN_2023: _decode_foreign_2023}
_ENCODERS = {RESIDENT: _encode_resident, HMT_RESIDENCE: _encode_hmt,
             FOREIGN_2017: _encode_foreign_2017, FOREIGN_2023: _encode_foreign_2023}


# -- helpers ------------------------------------------------------------------------------------

def _require(value: str, message: str) -> None:
    if not value:
        raise CardDataError(message)


def _check_ric(number: str) -> None:
    # The card's own check digit is our best guard against a garbled read of the number.
    if not is_valid_id_number(number):
        raise CardDataError("证件号码格式或校验位错误")


def _common_fields(raw: dict[str, str]) -> dict:
    """The fields the resident and 港澳台 layouts share, decoded and checked."""
    _require(raw["name"], "姓名为空")
    _check_ric(raw["id_number"])
    return {
        "name": raw["name"], "sex": sex_name(raw["sex"]),
        "birth": parse_date(raw["birth"], "出生日期"), "address": raw["address"],
        "id_number": raw["id_number"].upper(), "authority": raw["authority"],
        "valid_from": parse_date(raw["valid_from"], "有效期起始日期"),
        "valid_to": parse_valid_to(raw["valid_to"]),
    }


def _common_values(card: IdentityCard) -> dict[str, str]:
    return {
        "name": card.name, "sex": _code(SEX_BY_NAME, card.sex), "birth": format_date(card.birth),
        "address": card.address, "id_number": card.id_number, "authority": card.authority,
        "valid_from": format_date(card.valid_from), "valid_to": format_date(card.valid_to),
    }


def _chinese_name(card: IdentityCard) -> str:
    # IdentityCard.name falls back to the English name when the card has no Chinese one.
    return "" if card.name == card.english_name else card.name


def _code(table: dict[str, str], name: str) -> str:
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"no card code for {name!r}") from None


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:02d}"
