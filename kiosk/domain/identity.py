"""Who the user is: the ID card read by the reader, check digits, masking for screens and paper.

Pure: no I/O. The WLT photo never reaches this module (ARCHITECTURE §5, privacy).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# GB 11643-1999: weights for the first 17 digits; the check symbol indexed by sum % 11.
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"


def ric_check_symbol(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _RIC_WEIGHTS))
    return _RIC_CHECK[total % 11]


def is_valid_id_number(number: str) -> bool:
    """GB 11643 check digit only. We check the digit directly rather than with python-stdnum's
    region database, which rejects some valid HK/MO/TW (81/82/83) and foreigner (9x) numbers."""
    # isascii() too: str.isdigit() also accepts "¹" or "３", which int() then refuses (found by fuzzing).
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()):
        return False
    return number[17].upper() == ric_check_symbol(number[:17])


# The card types a GA 467 reader returns, told apart by the type flag in the text block.
RESIDENT = "resident"                   # 居民身份证
HMT_RESIDENCE = "hmt_residence"         # 港澳台居民居住证 ("J")
FOREIGN_2017 = "foreign_2017"           # 外国人永久居留身份证 2017 版 ("I")
FOREIGN_2023 = "foreign_2023"           # 外国人永久居留身份证 2023 版 ("Y")
CARD_TYPE_NAMES = {
    RESIDENT: "居民身份证", HMT_RESIDENCE: "港澳台居民居住证",
    FOREIGN_2017: "外国人永久居留身份证（2017 版）", FOREIGN_2023: "外国人永久居留身份证（2023 版）",
}


@dataclass(frozen=True)
class IdentityCard:
    name: str                # Chinese name; a foreigner without one: the English name
    sex: str                 # "男" / "女"
    nation: str              # 民族, already decoded ("汉"); "" where the card has none
    birth: dt.date
    address: str             # "" where the card has none (foreigners' cards)
    id_number: str           # 18 characters; a 2017 foreigner's card: 15
    authority: str           # 签发机关; 2017 foreigner's card: the issuing office code
    valid_from: dt.date
    valid_to: dt.date | None  # None = 长期
    # The other card types (all optional, so resident-only code keeps working):
    card_type: str = RESIDENT
    english_name: str = ""
    nationality: str = ""    # ISO 3166 code as stored on the card (foreigners)
    pass_number: str = ""    # 通行证号码 (港澳台居民居住证)
    issue_count: int | None = None      # 签发次数 (港澳台居民居住证)
    renewal_count: int | None = None    # 换证次数 (2023 foreigner's card)
    previous_number: str = ""           # 既往版本证件号码关联项 (2023 foreigner's card)
    card_version: str = ""              # 证件版本号 (2017 foreigner's card)
    new_address: str = ""               # 追加住址 (30 03), when the reader is asked for it
    # Only when a vendor WLT decoder is plugged in (drivers/idcard/photo.py); never on disk.
    photo: bytes | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:  # never let a name or full number reach a log through repr()
        return (f"IdentityCard(type={self.card_type}, name={mask_name(self.name)}, "
                f"id={mask_id_number(self.id_number)})")

    __str__ = __repr__

    @property
    def masked_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def is_expired(self, today: dt.date) -> bool:
        return self.valid_to is not None and self.valid_to < today


def mask_id_number(number: str) -> str:
    """3201**********123X style: first 4 and last 4 kept (the form used on receipts)."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
