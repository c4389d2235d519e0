"""The four 256-byte text-block layouts a GA 467 SAM returns (pure).

UCS-2 little-endian, fixed-width fields padded with spaces. Widths are in bytes (2 per
character). The card type is the character at bytes 248-249: a space on a resident ID card,
"J", "I" or "Y" on the others. docs/idcard.md says where each layout was confirmed.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.identity import FOREIGN_2017, FOREIGN_2023, HMT_RESIDENCE, RESIDENT

from .codes import CardDataError

TEXT_LEN = 256
TYPE_FLAG_OFFSET = 248          # bytes; character index 124


@dataclass(frozen=True)
class Layout:
    card_type: str
    flag: str                           # the type flag character (" " for resident)
    fields: tuple[tuple[str, int], ...]  # (name, width in bytes), in card order

    def __post_init__(self) -> None:
        # A typo in a width would shift every later field: refuse to import rather than misread.
        if sum(w for _, w in self.fields) != TEXT_LEN:
            raise ValueError(f"{self.card_type} layout is not {TEXT_LEN} bytes")
        if self.flag != " " and self.offset("type_flag") != TYPE_FLAG_OFFSET:
            raise ValueError(f"{self.card_type} type flag not at byte {TYPE_FLAG_OFFSET}")

    def offset(self, name: str) -> int:
        pos = 0
        for field, width in self.fields:
            if field == name:
                return pos
            pos += width
        raise KeyError(name)

    def split(self, text: str) -> dict[str, str]:
        """Field values, padding removed (spaces; some readers pad with NULs)."""
        out: dict[str, str] = {}
        pos = 0
        for name, width in self.fields:
            out[name] = text[pos:pos + width // 2].rstrip(" \x00")
            pos += width // 2
        return out

    def raw(self, text: str, name: str) -> str:
        """One field unstripped (where trailing spaces carry meaning)."""
        start = self.offset(name) // 2
        width = dict(self.fields)[name] // 2
        return text[start:start + width]

    def join(self, values: dict[str, str]) -> str:
        out = []
        for name, width in self.fields:
            value = values.get(name, "")
            if len(value) > width // 2:
                raise ValueError(f"{self.card_type}.{name} longer than {width // 2} characters")
            out.append(value.ljust(width // 2, " "))
        return "".join(out)


RESIDENT_LAYOUT = Layout(RESIDENT, " ", (
    ("name", 30), ("sex", 2), ("nation", 4), ("birth", 16), ("address", 70),
    ("id_number", 36), ("authority", 30), ("valid_from", 16), ("valid_to", 16),
    ("reserved", 36),
))

# 港澳台居民居住证: the resident layout up to valid-to, then pass number and issue count.
HMT_LAYOUT = Layout(HMT_RESIDENCE, "J", (
    ("name", 30), ("sex", 2), ("reserved_nation", 4), ("birth", 16), ("address", 70),
    ("id_number", 36), ("authority", 30), ("valid_from", 16), ("valid_to", 16),
    ("pass_number", 18), ("issue_count", 4), ("reserved", 6), ("type_flag", 2),
    ("reserved_2", 6),
))

# 外国人永久居留身份证, 2017 edition.
FOREIGN_2017_LAYOUT = Layout(FOREIGN_2017, "I", (
    ("english_name", 120), ("sex", 2), ("id_number", 30), ("nationality", 6),
    ("chinese_name", 30), ("valid_from", 16), ("valid_to", 16), ("birth", 16),
    ("card_version", 4), ("authority_code", 8), ("type_flag", 2), ("reserved", 6),
))

# 外国人永久居留身份证, 2023 edition: English name in two parts (characters 1-35 and 36-46).
FOREIGN_2023_LAYOUT = Layout(FOREIGN_2023, "Y", (
    ("chinese_name", 30), ("sex", 2), ("renewal_count", 4), ("birth", 16),
    ("english_name_1", 70), ("id_number", 36), ("reserved", 30), ("valid_from", 16),
    ("valid_to", 16), ("english_name_2", 22), ("nationality", 6), ("type_flag", 2),
    ("previous_number", 6),
))

LAYOUTS = {layout.card_type: layout for layout in
           (RESIDENT_LAYOUT, HMT_LAYOUT, FOREIGN_2017_LAYOUT, FOREIGN_2023_LAYOUT)}
_BY_FLAG = {layout.flag: layout for layout in LAYOUTS.values()}


def text_of(block: bytes) -> str:
    if len(block) != TEXT_LEN:
        raise CardDataError(f"文字信息应为 {TEXT_LEN} 字节，实际 {len(block)} 字节")
    try:
        text = bytes(block).decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise CardDataError("文字信息不是有效的 UCS-2 编码") from exc
    # UCS-2 has no surrogate pairs: a pair would decode to one character and shift every field.
    if len(text) != TEXT_LEN // 2:
        raise CardDataError("文字信息不是有效的 UCS-2 编码")
    return text


def layout_for(text: str) -> Layout:
    """Choose the layout by the type flag. Some readers pad with NULs instead of spaces."""
    flag = text[TYPE_FLAG_OFFSET // 2]
    layout = _BY_FLAG.get(" " if flag == "\x00" else flag)
    if layout is None:
        raise CardDataError("无法识别的证件类型标识")
    return layout
