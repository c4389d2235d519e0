"""Compatibility names from the walking skeleton; the layouts now live in layouts.py and
card_text.py (all four card types), the read-reply parts in read_data.py."""
from __future__ import annotations

from kiosk.domain.identity import IdentityCard

from .card_text import decode_card_text, encode_card_text
from .codes import LONG_TERM, NATION_CODES, SEX_CODES, CardDataError
from .layouts import RESIDENT_LAYOUT, TEXT_LEN
from .read_data import PHOTO_LEN
from .read_data import build_read_data as _build_read_data
from .read_data import split_read_data as _split_read_data

FIELDS = RESIDENT_LAYOUT.fields

__all__ = ["CardDataError", "FIELDS", "LONG_TERM", "NATION_CODES", "PHOTO_LEN", "SEX_CODES",
           "TEXT_LEN", "build_read_data", "decode_resident_text", "encode_resident_text",
           "split_read_data"]

decode_resident_text = decode_card_text     # any card type: the flag chooses the layout
encode_resident_text = encode_card_text


def split_read_data(data: bytes) -> tuple[bytes, int]:
    """(text block, photo length) of a 30 01 reply."""
    parts = _split_read_data(data)
    return parts.text, len(parts.photo)


def build_read_data(card: IdentityCard, photo: bytes) -> bytes:
    return _build_read_data(encode_card_text(card), photo)
