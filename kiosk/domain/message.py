"""A message for the user that still knows which catalogue entry it came from.

The core speaks plain Chinese (ARCHITECTURE §5), and many messages carry values: a field's
label, a length limit, a scanned code's escaped text, the hall's reason. A screen must show
them in English too without building strings itself, so such a message is a `Msg`: it *is* the
Chinese text (a str: comparisons, logs and `in` keep working), and it also carries the template
it was made from -- the key of screens/i18n.py's one catalogue -- and the values. screens.i18n.tr
looks the template up and fills in the values (translating any value that is itself a Msg).

    Msg("{label}最多{n}个字", label="联系电话", n=13) == "联系电话最多13个字"

Values are data, never templates: hall content (a field's label, the hall's reason) stays as
the hall wrote it in both languages.
"""
from __future__ import annotations


class Msg(str):
    key: str
    params: dict

    def __new__(cls, key: str, **params) -> "Msg":
        self = super().__new__(cls, key.format(**params) if params else key)
        self.key = key
        self.params = params
        return self

    def __reduce__(self):            # pickling and copy keep the template, not just the text
        return (_rebuild, (self.key, tuple(self.params.items())))

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, **{self.params!r})"


def _rebuild(key: str, params: tuple) -> Msg:
    return Msg(key, **dict(params))
