"""Application numbers (受理编号) the hall issues: QY + YYYYMMDD + 5-digit daily sequence + check,
e.g. QY2026112800001C (kiosk.domain.serial_no has the shape and the check). Pure: no I/O."""
from __future__ import annotations

import datetime as dt

from kiosk.domain.serial_no import APPLICATION

PREFIX = APPLICATION.prefix
MAX_SEQUENCE = APPLICATION.max_sequence
LENGTH = APPLICATION.length


def make_application_no(date: dt.date, seq: int) -> str:
    """The number for the `seq`-th application (1-based) received on `date` (China time)."""
    return APPLICATION.make(date, seq)


def is_valid_application_no(s: object) -> bool:
    return APPLICATION.is_valid(s)


def application_no_date(s: str) -> dt.date:
    """The receiving date encoded in a valid number (raises ValueError otherwise)."""
    return APPLICATION.date_of(s)
