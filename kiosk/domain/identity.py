"""Who the user is: the ID card read by the reader, check digits, masking for screens and paper.

Pure: no I/O. The WLT photo never reaches this module (ARCHITECTURE §5, privacy).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# GB 11643-1999: weights for the first 17 digits; the check symbol indexed by sum % 11.
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"


def ric_check_symbol(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _RIC_WEIGHTS))
    return _RIC_CHECK[total % 11]


def is_valid_id_number(number: str) -> bool:
    """GB 11643 check digit only. We check the digit directly rather than with python-stdnum's
    region database, which rejects some valid HK/MO/TW (81/82/83) and foreigner (9x) numbers."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return number[17].upper() == ric_check_symbol(number[:17])


@dataclass(frozen=True)
class IdentityCard:
    name: str
    sex: str                 # "男" / "女"
    nation: str              # 民族, already decoded ("汉")
    birth: dt.date
    address: str
    id_number: str
    authority: str           # 签发机关
    valid_from: dt.date
    valid_to: dt.date | None  # None = 长期

    def __repr__(self) -> str:  # never let a name or full number reach a log through repr()
        return f"IdentityCard(name={mask_name(self.name)}, id={mask_id_number(self.id_number)})"

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
