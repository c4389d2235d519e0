"""Fictitious cardholders, one or more per card type, for the simulator, the demo and the tests.

Every person is invented; every number carries a valid check digit (GB 11643) so the driver's
own checks pass, exactly as with a real card.
"""
from __future__ import annotations

import datetime as dt

from kiosk.domain.identity import (FOREIGN_2017, FOREIGN_2023, HMT_RESIDENCE, RESIDENT,
                                   IdentityCard)

SAMPLE_CARD = IdentityCard(
    name="张三", sex="男", nation="汉", birth=dt.date(1990, 3, 7),
    address="江苏省南京市玄武区中山路1号", id_number="320102199003070017",
    authority="南京市公安局玄武分局",
    valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2040, 1, 1),
)
SAMPLE_CARD_2 = IdentityCard(
    name="李四华", sex="女", nation="回", birth=dt.date(1992, 5, 12),
    address="江苏省南京市鼓楼区北京西路2号", id_number="320102199205120027",
    authority="南京市公安局鼓楼分局",
    valid_from=dt.date(2012, 6, 1), valid_to=None,
)
# The legal representative of 南京梅园示例餐饮有限公司 in the hall's sample credit data
# (hall/sample_data/credit_sample.json): the demo's credit report walk uses this card.
LEGAL_REP_CARD = IdentityCard(
    name="王演示", sex="男", nation="汉", birth=dt.date(1980, 1, 1),
    address="江苏省南京市玄武区长江路1号", id_number="320102198001011019",
    authority="南京市公安局玄武分局",
    valid_from=dt.date(2016, 1, 1), valid_to=dt.date(2036, 1, 1),
)
LEGAL_REP_LICENCE = "91320102MA0079192H"     # that enterprise's 统一社会信用代码 (its licence QR)
EXPIRED_CARD = IdentityCard(
    name="王老五", sex="男", nation="满", birth=dt.date(1960, 8, 8),
    address="江苏省南京市秦淮区夫子庙3号", id_number="320102196008080018",
    authority="南京市公安局秦淮分局",
    valid_from=dt.date(2000, 1, 1), valid_to=dt.date(2020, 1, 1),
)
HMT_CARD = IdentityCard(
    name="陈嘉欣", sex="女", nation="", birth=dt.date(1988, 2, 14),
    address="广东省深圳市福田区深南大道4号", id_number="810000198802140046",
    authority="深圳市公安局", valid_from=dt.date(2024, 3, 1), valid_to=dt.date(2029, 3, 1),
    card_type=HMT_RESIDENCE, pass_number="H60123456", issue_count=1,
)
HMT_CARD_TW = IdentityCard(
    name="林志明", sex="男", nation="", birth=dt.date(1991, 9, 20),
    address="福建省厦门市思明区环岛路5号", id_number="830000199109200037",
    authority="厦门市公安局", valid_from=dt.date(2022, 5, 1), valid_to=dt.date(2027, 5, 1),
    card_type=HMT_RESIDENCE, pass_number="01234567", issue_count=2,
)
FOREIGN_2017_CARD = IdentityCard(
    name="史密斯", sex="男", nation="", birth=dt.date(1985, 6, 11), address="",
    id_number="USA110085061112", authority="1100",
    valid_from=dt.date(2018, 7, 1), valid_to=dt.date(2028, 7, 1),
    card_type=FOREIGN_2017, english_name="SMITH, JOHN ROBERT", nationality="USA",
    card_version="20",
)
# A name longer than 35 characters exercises the 2023 card's two-part English name field, and
# the space that falls exactly on character 35. With no Chinese name on the card,
# IdentityCard.name is the English name.
FOREIGN_2023_CARD = IdentityCard(
    name="SCHMIDT-LEUTHEUSSER, ANNA MARIA EL KATHARINA", sex="女", nation="",
    birth=dt.date(1988, 3, 15), address="",
    id_number="931276198803150023", authority="",
    valid_from=dt.date(2024, 1, 2), valid_to=dt.date(2034, 1, 2),
    card_type=FOREIGN_2023, english_name="SCHMIDT-LEUTHEUSSER, ANNA MARIA EL KATHARINA",
    nationality="DEU", renewal_count=0, previous_number="",
)

SAMPLE_CARDS: dict[str, IdentityCard] = {
    RESIDENT: SAMPLE_CARD,
    HMT_RESIDENCE: HMT_CARD,
    FOREIGN_2017: FOREIGN_2017_CARD,
    FOREIGN_2023: FOREIGN_2023_CARD,
}
# Every fictitious cardholder by the name the simulator's console knows it by (one per card type,
# as above, and the people the demo's walk needs besides: its second citizen, the legal
# representative of the credit walk, an expired card, a Taiwan resident's permit).
CONSOLE_CARDS: dict[str, IdentityCard] = {
    **SAMPLE_CARDS,
    "resident_2": SAMPLE_CARD_2,
    "legal_rep": LEGAL_REP_CARD,
    "expired": EXPIRED_CARD,
    "hmt_tw": HMT_CARD_TW,
}

# Stand-in for the WLT photo: opaque bytes of the right size (the driver must discard them).
FAKE_PHOTO = bytes((i * 7 + 3) & 0xFF for i in range(1024))
FAKE_FINGERPRINT = bytes((i * 13 + 5) & 0xFF for i in range(1024))
