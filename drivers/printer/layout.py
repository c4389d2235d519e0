"""Column layout for receipt paper: display widths, wrapping, `label：value` lines.

Pure text functions, no printer I/O. A thermal printer's font A is 12x24 dots: an ASCII
character takes one 12-dot column, a hanzi (any double-byte GBK character, in fact) takes two.
So a line of 576 dots (80 mm paper) holds 48 columns and 384 dots (58 mm) holds 32.

The rule everywhere: nothing is cut off. Text longer than a line wraps onto the next one;
the printer's own auto-wrap is never relied on (it would split a `label：value` row anywhere).
"""
from __future__ import annotations

import re
import unicodedata

DOTS_PER_COLUMN = 12
COLUMNS_BY_PAPER_MM = {58: 32, 80: 48}

# Characters a Chinese line should not start with (GB/T 15834 punctuation, closing marks).
_NO_LINE_START = set("，。、；：？！）》」』】〕…—·,.;:?!)]}%")
_FULLWIDTH_COLON = "："

# An ASCII "word" (letters, digits, -, /, ...) is kept whole when it fits on a line, so an
# application number or a phone number is not split across two lines.
_TOKENS = re.compile(r"[!-~]+|[ \t]+|.")


def columns_for_paper(paper_mm: int) -> int:
    try:
        return COLUMNS_BY_PAPER_MM[paper_mm]
    except KeyError:
        raise ValueError(f"paper width {paper_mm} mm is not supported; use 58 or 80") from None


def char_width(ch: str) -> int:
    """Columns one character takes on the printer.

    East Asian Wide / Fullwidth count 2, as asked. Ambiguous ('A': ·, —, ①, Cyrillic ...)
    also counts 2: in Chinese mode a GB printer prints every double-byte GBK character in a
    full 24-dot cell, and every GBK character outside ASCII is W, F or A (checked over the
    whole BMP). Combining marks take no column.
    """
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def wrap(text: str, columns: int) -> list[str]:
    """Split text into lines of at most `columns` display columns; never drops a visible char.

    Hanzi break anywhere; ASCII words break only when longer than a whole line; closing
    punctuation does not start a line (the hanzi before it moves down with it). Explicit
    newlines are kept. Spaces at a break are dropped. An empty text gives one empty line.
    """
    columns = max(columns, 2)  # a hanzi needs 2 columns: a narrower line could not progress
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, columns))
    return lines


def _wrap_paragraph(text: str, columns: int) -> list[str]:
    lines: list[str] = []
    cur = ""
    for tok in _TOKENS.findall(text):
        if tok.isspace():
            if (cur or not lines) and display_width(cur + tok) <= columns:
                cur += tok                 # spaces inside a line, or indenting the first one
            elif cur.strip():              # a space at a break: end the line, drop the space
                lines.append(cur)
                cur = ""
            continue
        if display_width(cur + tok) <= columns:
            cur += tok
            continue
        if display_width(tok) <= columns:  # a word that fits on a line of its own
            cur = _break_before(lines, cur, tok, columns)
            continue
        for ch in tok:                     # a word longer than a line: break it by characters
            if display_width(cur + ch) > columns:
                cur = _break_before(lines, cur, ch, columns)
            else:
                cur += ch
    if cur or not lines:
        lines.append(cur)
    return [line.rstrip(" \t") for line in lines]


def _break_before(lines: list[str], cur: str, nxt: str, columns: int) -> str:
    """End `cur` before `nxt`; returns the start of the new line.

    If `nxt` is closing punctuation, the last hanzi of `cur` moves down with it (kinsoku),
    when both still fit on the new line.
    """
    if (nxt[0] in _NO_LINE_START and len(cur.strip()) > 1 and not cur[-1].isascii()
            and display_width(cur[-1] + nxt) <= columns):
        lines.append(cur[:-1].rstrip(" \t"))
        return cur[-1] + nxt
    if cur.strip():
        lines.append(cur.rstrip(" \t"))
    return nxt.lstrip(" \t")


def format_key_value(label: str, value: str, columns: int) -> list[str]:
    """`label：value`, the value wrapped with continuation lines indented under its start.

    申请编号：QY2026112800001K
    监督投诉：0571-12345678（或拨打
              12345）
    A label wider than half the line would leave too little room for the value: then the
    label gets its own line(s) and the value follows below, indented by 2 columns.
    """
    prefix = label + _FULLWIDTH_COLON
    indent = display_width(prefix)
    if indent > columns // 2:
        return wrap(prefix, columns) + ["  " + line for line in wrap(value, columns - 2)]
    value_lines = wrap(value, columns - indent)
    return [prefix + value_lines[0]] + [" " * indent + line for line in value_lines[1:]]


def format_row(label: str, value: str, columns: int) -> list[str]:
    """`label    value` with the value flush right; a long label wraps above it.

    行政处罚          1 条（已修复 1 条）
    Neither part is ever cut: a value too wide for the line is wrapped like text.
    """
    value_lines = wrap(value, columns)
    last = value_lines[-1]
    label_lines = wrap(label, columns)
    room = columns - display_width(label_lines[-1]) - display_width(last)
    if len(value_lines) == 1 and room >= 1:
        return label_lines[:-1] + [label_lines[-1] + " " * room + last]
    pad = lambda line: " " * (columns - display_width(line)) + line   # noqa: E731
    return label_lines + [pad(line) for line in value_lines]


def separator(char: str, columns: int) -> str:
    """A rule across the paper made of `char` (a full-width char is used half as often)."""
    char = char or "-"
    return char * max(1, columns // max(1, display_width(char)))
