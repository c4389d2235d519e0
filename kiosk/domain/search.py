"""Finding a matter: by audience (个人 / 法人) and by what the user types — hanzi, or the pinyin
initials of the name (`hwgg` finds 户外广告设施设置审批), the way Chinese users search by touch."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from pypinyin import Style, lazy_pinyin

from kiosk.domain.catalogue import Matter


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """Lower-case pinyin initials of the hanzi; other characters kept as they are."""
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()


def matches(m: Matter, query: str) -> bool:
    q = query.strip().lower()
    if not q:
        return True
    if q.isascii():
        return q in initials(m.name) or q in m.code.lower()
    return q in m.name or q in m.department


def filter_matters(matters: Iterable[Matter], audience: str = "", query: str = "") -> tuple[Matter, ...]:
    """audience "" = everyone; otherwise "个人" or "法人" (企业)."""
    return tuple(m for m in matters if (not audience or audience in m.audience) and matches(m, query))
