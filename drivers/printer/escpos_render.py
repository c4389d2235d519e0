"""ReceiptDoc -> ESC/POS bytes, built with python-escpos's Dummy printer.

python-escpos does styles (ESC a / ESC E / ESC !), native QR (GS ( k) and the cut (GS V).
Text is the exception: python-escpos sends hanzi as raw GB18030 *without* `FS &`, so a printer
that is not already in Chinese mode prints code-page junk, and `¥` becomes a 4-byte GB18030
sequence that GBK printers print as junk (NOTES.md, python-escpos #269/#491/#678). So every
line is encoded here, with the GBK subset of GB18030, and a line holding anything beyond ASCII
is wrapped in `FS &` (Chinese mode on) ... `FS .` (off) and sent with `_raw`.
"""
from __future__ import annotations

import unicodedata

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from drivers.printer import layout
from kiosk.domain.receipt import Feed, KeyValue, QrCode, ReceiptDoc, Separator, Text

FS_CHINESE_ON = b"\x1c\x26"   # FS &
FS_CHINESE_OFF = b"\x1c\x2e"  # FS .
REPRINT_MARK = "【补打】"
QR_MODULE_DOTS = 6            # 21-25 modules x 6 dots = 16-19 mm: easy for a phone camera
UNPRINTABLE = "?"

# Characters outside GBK (GB18030 4-byte or unmapped) print as junk on the GBK printers
# halls actually have. Replace the common ones with plain text; `￥` is in GB2312 but we
# still write RMB (the templates should say 元 anyway) so that amounts read the same everywhere.
_REPLACEMENTS = {
    "¥": "RMB", "￥": "RMB", "€": "EUR", "•": "·", "–": "-", "‑": "-", "\t": " ",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u3000": "  ",
}


def printable(text: str) -> str:
    """Text the printer can print: ASCII and GBK only; everything else replaced, never dropped.

    Order: our table, then Unicode NFKC (², ﬁ, ㈠ ...) when that lands in GBK, then `?`.
    Rare hanzi outside GBK (CJK Ext-B, e.g. 𠮷) become `?`: the shipped font has no glyph for
    them either, so a raster fallback would only print a box.
    """
    out = []
    for ch in text:
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        elif _is_gbk(ch):
            out.append(ch)
        else:
            folded = unicodedata.normalize("NFKC", ch)
            out.append(folded if folded != ch and all(map(_is_gbk, folded)) else UNPRINTABLE)
    return "".join(out)


def _is_gbk(ch: str) -> bool:
    if ch.isascii():             # control characters would be read as commands; a newline
        return ch.isprintable() or ch == "\n"   # is kept for layout.wrap to split on
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def encode_line(text: str) -> bytes:
    """One printed line (already printable and wrapped) as bytes, ending in LF."""
    if text.isascii():
        return text.encode("ascii") + b"\n"
    # GBK characters encode identically in GB18030; we name GB18030, the national standard.
    return FS_CHINESE_ON + text.encode("gb18030") + FS_CHINESE_OFF + b"\n"


def render(doc: ReceiptDoc, columns: int = 48) -> bytes:
    """The whole slip: init, blocks, feed and cut. `columns`: 48 for 80 mm, 32 for 58 mm.

    `doc.title` is not printed on its own: templates put the title in the blocks, with the
    size and emphasis they want.
    """
    p = Dummy()
    p.hw("INIT")
    if doc.reprint:
        _text(p, Text(REPRINT_MARK, bold=True, align="center"), columns)
    for block in doc.blocks:
        if isinstance(block, Text):
            _text(p, block, columns)
        elif isinstance(block, KeyValue):
            for line in layout.format_key_value(printable(block.label), printable(block.value),
                                                columns):
                p._raw(encode_line(line))
        elif isinstance(block, Separator):
            p._raw(encode_line(layout.separator(printable(block.char), columns)))
        elif isinstance(block, QrCode):
            _qr(p, block, columns)
        elif isinstance(block, Feed):
            p.print_and_feed(max(0, min(block.lines, 255)))
        else:
            raise TypeError(f"unknown receipt block {type(block).__name__}")
    p.cut()
    return p.output


def _text(p: Dummy, block: Text, columns: int) -> None:
    double = block.size >= 2
    p.set(align=block.align, bold=block.bold, double_width=double, double_height=double)
    for line in layout.wrap(printable(block.text), columns // 2 if double else columns):
        p._raw(encode_line(line))
    p.set(align="left", bold=False, normal_textsize=True)


def _qr(p: Dummy, block: QrCode, columns: int) -> None:
    # python-escpos refuses center=True for native QR; ESC a centers 2D codes on the printer.
    # Printers add no quiet zone: an empty line above and below gives the 4 white modules
    # a scanner needs (30 dots = 5 modules of 6 dots).
    p.set(align="center")
    p._raw(b"\n")
    p.qr(block.data, native=True, size=QR_MODULE_DOTS, ec=QR_ECLEVEL_M)
    p._raw(b"\n")
    for line in layout.wrap(printable(block.caption), columns) if block.caption else []:
        p._raw(encode_line(line))
    p.set(align="left")
