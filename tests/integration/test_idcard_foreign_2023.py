"""外国人永久居留身份证 2023 版 ("Y"): its 换证次数 (renewal count) is reported like the 港澳台
居民居住证's 签发次数 (issue 12).

The text block here is assembled by hand from the published layout (docs/idcard.md, "Where
each layout was confirmed": the NIA's 2023 machine-readable rules as implemented in public
reader code), not by our own encoder, and sent by the SAM simulator over a real pty to the real
reader: a wrong offset in layouts.py cannot hide behind an encoder that shares it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading

import pytest

from drivers.idcard.card_text import encode_card_text
from drivers.idcard.fixtures import FOREIGN_2023_CARD, HMT_CARD
from drivers.idcard.reader import SerialIdCardReader
from drivers.idcard.simulator import CardLatency, SamSimulator
from terminal.cli import main
from kiosk.domain.identity import FOREIGN_2023, ric_check_symbol

FAST_CARD = CardLatency(find=0.001, select=0.001, read=0.005)
NUMBER = "931276198803150023"
assert ric_check_symbol(NUMBER[:17]) == NUMBER[17]


def ucs2(text: str, width: int) -> bytes:
    """A field as the card stores it: UCS-2 LE, padded with spaces to `width` bytes."""
    data = text.encode("utf-16-le")
    assert len(data) <= width
    return data + " ".encode("utf-16-le") * ((width - len(data)) // 2)


def published_2023_block(renewal: str, previous: str = "") -> bytes:
    """(offset, width) straight from the published table: 中文姓名 0/30, 性别 30/2,
    换证次数 32/4, 出生日期 36/16, 英文姓名 52/70 (characters 1-35), 证件号码 122/36,
    预留 158/30, 签发日期 188/16, 终止日期 204/16, 英文姓名 220/22 (characters 36-46),
    国籍 242/6, 证件类型标识 248/2 ("Y"), 既往版本证件号码关联项 250/6."""
    fields = [
        (0, 30, "安娜"), (30, 2, "2"), (32, 4, renewal), (36, 16, "19880315"),
        (52, 70, "SCHMIDT-LEUTHEUSSER, ANNA MARIA EL "), (122, 36, NUMBER), (158, 30, ""),
        (188, 16, "20240102"), (204, 16, "20340102"), (220, 22, "KATHARINA"), (242, 6, "DEU"),
        (248, 2, "Y"), (250, 6, previous),
    ]
    block = b""
    for offset, width, text in fields:
        assert len(block) == offset, f"layout table gap before byte {offset}"
        block += ucs2(text, width)
    assert len(block) == 256
    return block


@pytest.fixture
def sim():
    s = SamSimulator(latency=FAST_CARD)
    s.start()
    yield s
    s.stop()


def read_one(sim, block: bytes):
    got = []
    reader = SerialIdCardReader(sim.path, poll_interval=0.05)
    done = threading.Event()
    reader.start(lambda card: (got.append(card), done.set()), lambda status: None)
    try:
        sim.place_card(block)
        assert done.wait(5), "no card read"
    finally:
        reader.stop()
    return got[0]


@pytest.mark.parametrize("stored, count", [("00", 0), ("02", 2), ("11", 11)])
def test_renewal_count_of_a_2023_card_read_over_the_pty(sim, stored, count):
    card = read_one(sim, published_2023_block(stored, previous="DEU"))
    assert card.card_type == FOREIGN_2023
    assert card.renewal_count == count
    assert (card.name, card.english_name, card.nationality, card.id_number) == (
        "安娜", "SCHMIDT-LEUTHEUSSER, ANNA MARIA EL KATHARINA", "DEU", NUMBER)
    assert card.birth == dt.date(1988, 3, 15) and card.sex == "女"
    assert card.previous_number == "DEU"


def test_our_encoder_writes_the_published_layout():
    """The simulator's cards (encode_card_text) match the hand-assembled block byte for byte."""
    card = dataclasses.replace(FOREIGN_2023_CARD, name="安娜", renewal_count=2, previous_number="DEU")
    assert encode_card_text(card) == published_2023_block("02", previous="DEU")


def test_technician_command_reports_renewal_count_like_the_issue_count(sim, capsys):
    sim.place_card(published_2023_block("03"))
    assert main(["device", "idcard", "--port", sim.path, "--json", "--timeout", "5"]) == 0
    y = json.loads(capsys.readouterr().out)
    sim.place_card(HMT_CARD)
    assert main(["device", "idcard", "--port", sim.path, "--json", "--timeout", "5"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert y["card_type"] == "foreign_2023" and y["renewal_count"] == 3
    assert j["card_type"] == "hmt_residence" and j["issue_count"] == HMT_CARD.issue_count
