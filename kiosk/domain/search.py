"""Finding a matter: by audience (个人 / 法人) and by what the user types — hanzi, or the pinyin
initials of the name (`hwgg` finds 户外广告设施设置审批), the way Chinese users search by touch.

The initials come with the catalogue (the hall works them out: Catalog.initials). pypinyin is
imported here only for a matter the hall sent none for (an older hall): its phrase dictionary
is ~48 MB resident, the largest single thing a kiosk process would otherwise hold idle."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Mapping

from kiosk.domain.catalogue import Matter


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """Lower-case pinyin initials of the hanzi; other characters kept as they are."""
    from pypinyin import Style, lazy_pinyin     # only where the hall sent none (see above)
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()


def matches(m: Matter, query: str, known: Mapping[str, str] | None = None) -> bool:
    q = query.strip().lower()
    if not q:
        return True
    if q.isascii():
        name_initials = (known or {}).get(m.code) or initials(m.name)
        return q in name_initials or q in m.code.lower()
    return q in m.name or q in m.department


def filter_matters(matters: Iterable[Matter], audience: str = "", query: str = "",
                   known: Mapping[str, str] | None = None) -> tuple[Matter, ...]:
    """audience "" = everyone; otherwise "个人" or "法人" (企业). `known`: the catalogue's initials."""
    return tuple(m for m in matters
                 if (not audience or audience in m.audience) and matches(m, query, known))
