"""Dated serial numbers with a check character: PREFIX + YYYYMMDD + daily sequence + ISO 7064
Mod 37,36 (python-stdnum). Application numbers (QY…), credit report numbers (XY…) and
appointment codes (YY…) share this one shape, so a kiosk tells its own codes from any other QR
code and a mistyped number is caught before a network round trip. Pure: no I/O.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from stdnum.iso7064 import mod_37_36


@dataclass(frozen=True)
class SerialNo:
    prefix: str
    digits: int                           # width of the daily sequence
    _shape: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # ASCII: \d alone would accept ٣ and other non-ASCII digits
        object.__setattr__(self, "_shape", re.compile(
            rf"{re.escape(self.prefix)}(\d{{8}})(\d{{{self.digits}}})[0-9A-Z]", re.ASCII))

    @property
    def max_sequence(self) -> int:
        return 10 ** self.digits - 1

    @property
    def length(self) -> int:
        return len(self.prefix) + 8 + self.digits + 1

    def make(self, date: dt.date, seq: int) -> str:
        """The number for the `seq`-th item (1-based) of `date` (China time)."""
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= self.max_sequence:
            raise ValueError(f"daily sequence must be an integer in 1..{self.max_sequence}, got {seq!r}")
        body = f"{self.prefix}{date:%Y%m%d}{seq:0{self.digits}d}"
        return body + mod_37_36.calc_check_digit(body)

    def is_valid(self, s: object) -> bool:
        """Shape, a real calendar date, a sequence >= 1 and the check character. Strict about
        case: we print upper case, so anything else is not one of ours."""
        if not isinstance(s, str):
            return False
        m = self._shape.fullmatch(s)
        if m is None or int(m.group(2)) == 0:
            return False
        try:
            dt.datetime.strptime(m.group(1), "%Y%m%d")
        except ValueError:
            return False
        return mod_37_36.is_valid(s)

    def date_of(self, s: str) -> dt.date:
        if not self.is_valid(s):
            raise ValueError(f"not a valid {self.prefix} number: {s!r}")
        return dt.datetime.strptime(s[len(self.prefix):len(self.prefix) + 8], "%Y%m%d").date()


APPLICATION = SerialNo("QY", 5)
CREDIT_REPORT = SerialNo("XY", 5)
APPOINTMENT = SerialNo("YY", 4)
