"""Application numbers (受理编号) the hall issues: QY + YYYYMMDD + 5-digit daily sequence + check.

The check character is ISO 7064 Mod 37,36 (python-stdnum), so a kiosk can tell one of its own
hall's receipt QR codes from any other QR code, and a mistyped number is caught before a
network round trip. Example: QY2026112800001C. Pure: no I/O.
"""
from __future__ import annotations

import datetime as dt
import re

from stdnum.iso7064 import mod_37_36

PREFIX = "QY"
MAX_SEQUENCE = 99_999
LENGTH = len(PREFIX) + 8 + 5 + 1
_SHAPE = re.compile(r"QY(\d{8})(\d{5})[0-9A-Z]", re.ASCII)  # ASCII: \d would match ٣ etc.


def make_application_no(date: dt.date, seq: int) -> str:
    """The number for the `seq`-th application (1-based) received on `date` (China time)."""
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQUENCE:
        raise ValueError(f"daily sequence must be an integer in 1..{MAX_SEQUENCE}, got {seq!r}")
    body = f"{PREFIX}{date:%Y%m%d}{seq:05d}"
    return body + mod_37_36.calc_check_digit(body)


def is_valid_application_no(s: object) -> bool:
    """Shape, a real calendar date, a sequence >= 1 and the check character.

    Strict about case: receipts print upper case, so anything else is not one of ours.
    """
    if not isinstance(s, str):
        return False
    m = _SHAPE.fullmatch(s)
    if m is None or int(m.group(2)) == 0:
        return False
    try:
        dt.datetime.strptime(m.group(1), "%Y%m%d")
    except ValueError:
        return False
    return mod_37_36.is_valid(s)


def application_no_date(s: str) -> dt.date:
    """The receiving date encoded in a valid number (raises ValueError otherwise)."""
    if not is_valid_application_no(s):
        raise ValueError("not a valid application number")
    return dt.datetime.strptime(s[2:10], "%Y%m%d").date()
