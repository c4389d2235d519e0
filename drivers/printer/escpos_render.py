"""ReceiptDoc -> ESC/POS bytes, built with python-escpos's Dummy printer.

python-escpos does styles (ESC a / ESC E / ESC !), native QR (GS ( k), barcodes (GS k) and the
cut (GS V). Text is the exception: python-escpos sends hanzi as raw GB18030 *without* `FS &`, so
a printer that is not already in Chinese mode prints code-page junk, and `¥` becomes a 4-byte
GB18030 sequence that GBK printers print as junk (NOTES.md, python-escpos #269/#491/#678). So every
line is encoded here, with the GBK subset of GB18030, and a line holding anything beyond ASCII
is wrapped in `FS &` (Chinese mode on) ... `FS .` (off) and sent with `_raw`.

Two text modes, because printers differ (docs/printing.md has the numbers):
- native: the printer's own Chinese font draws the text (a few bytes a line);
- raster: we draw each line with the shipped font (glyphs.py) and send it as a `GS v 0` image,
  for printers with no or a broken Chinese font. QR codes can be native or raster likewise.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import qrcode
from barcode import Code128
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image, ImageOps

from drivers.printer import glyphs, layout
from drivers.printer.options import RenderOptions
from kiosk.domain.receipt import Barcode, Feed, KeyValue, QrCode, ReceiptDoc, Row, Separator, Text

FS_CHINESE_ON = b"\x1c\x26"   # FS &
FS_CHINESE_OFF = b"\x1c\x2e"  # FS .
GS_RASTER = b"\x1dv0"         # GS v 0: raster bit image
REPRINT_MARK = "【补打】"
QR_MODULE_DOTS = 6            # 21-25 modules x 6 dots = 16-19 mm: easy for a phone camera
BARCODE_MODULE_DOTS = 2       # 0.25 mm bars: hand scanners read them, and 16 characters fit 58 mm
BARCODE_HEIGHT = 80           # 10 mm
RASTER_FRAGMENT_ROWS = 960    # as python-escpos: printers with small buffers choke on taller images
LOGO_MAX_HEIGHT = 160
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


def render(doc: ReceiptDoc, columns: int = 48, *, text_mode: str = "native",
           qr_mode: str = "native", model: str = "default", logo: str = "",
           options: RenderOptions | None = None) -> bytes:
    """The whole slip: init, blocks, feed and cut.

    `doc.title` is not printed on its own: templates put the title in the blocks, with the
    size and emphasis they want.
    """
    opts = options or RenderOptions(columns, text_mode, qr_mode, model, logo)
    w = _Writer(opts)
    w.p.hw("INIT")
    if opts.logo:
        w.image(_logo(opts.logo, opts.paper_dots))
    if doc.reprint:
        w.text(Text(REPRINT_MARK, bold=True, align="center"))
    for block in doc.blocks:
        if isinstance(block, Text):
            w.text(block)
        elif isinstance(block, KeyValue):
            w.lines(layout.format_key_value(printable(block.label), printable(block.value),
                                            opts.columns))
        elif isinstance(block, Row):
            w.lines(layout.format_row(printable(block.label), printable(block.value), opts.columns))
        elif isinstance(block, Separator):
            w.lines([layout.separator(printable(block.char), opts.columns)])
        elif isinstance(block, QrCode):
            w.qr(block)
        elif isinstance(block, Barcode):
            w.barcode(block)
        elif isinstance(block, Feed):
            w.p.print_and_feed(max(0, min(block.lines, 255)))
        else:
            raise TypeError(f"unknown receipt block {type(block).__name__}")
    w.p.cut()   # ESC d 6 then GS V, if the model has a cutter (python-escpos profile)
    return w.p.output


class _Writer:
    """Appends blocks to a python-escpos Dummy in the chosen text and QR modes."""

    def __init__(self, opts: RenderOptions):
        self.opts = opts
        self.p = Dummy(profile=opts.model)

    # -- text ----------------------------------------------------------------------------
    def text(self, block: Text) -> None:
        size = 2 if block.size >= 2 else 1
        lines = layout.wrap(printable(block.text), self.opts.columns // size)
        self.lines(lines, align=block.align, bold=block.bold, size=size)

    def lines(self, lines: list[str], align: str = "left", bold: bool = False, size: int = 1) -> None:
        if self.opts.text_mode == "raster":
            self._raster_lines(lines, align, bold, size)
            return
        self.p.set(align=align, bold=bold, double_width=size == 2, double_height=size == 2)
        for line in lines:
            self.p._raw(encode_line(line))
        self.p.set(align="left", bold=False, normal_textsize=True)

    def _raster_lines(self, lines: list[str], align: str, bold: bool, size: int) -> None:
        """Consecutive non-empty lines become one image; an empty line stays a plain LF."""
        run: list[list[glyphs.Cell]] = []
        for line in lines:
            if line:
                run.append(glyphs.cells_for(line, size, bold))
                continue
            self._raster_run(run, align)
            run = []
            self.p._raw(b"\n")
        self._raster_run(run, align)

    def _raster_run(self, run: list[list[glyphs.Cell]], align: str) -> None:
        if not run:
            return
        page = Image.new("L", (self.opts.paper_dots, sum(map(glyphs.line_height, run))), 255)
        y = 0
        for cells in run:
            glyphs.paste_line(page, cells, align, y)
            y += glyphs.line_height(cells)
        self.image(page)

    # -- images --------------------------------------------------------------------------
    def image(self, img: Image.Image) -> None:
        """A white-background 'L' image as GS v 0, in fragments a small printer can take."""
        for top in range(0, img.height, RASTER_FRAGMENT_ROWS):
            self.p._raw(raster_bytes(img.crop((0, top, img.width, min(img.height, top + RASTER_FRAGMENT_ROWS)))))

    def _centred(self, img: Image.Image) -> Image.Image:
        page = Image.new("L", (self.opts.paper_dots, img.height), 255)
        page.paste(img, (max(0, (page.width - img.width) // 2), 0))
        return page

    # -- codes ---------------------------------------------------------------------------
    def qr(self, block: QrCode) -> None:
        # Printers add no quiet zone: an empty line above and below gives the 4 white modules
        # a scanner needs (30 dots = 5 modules of 6 dots).
        self.p._raw(b"\n")
        if self.opts.qr_mode == "raster":
            self.image(self._centred(qr_image(block.data, QR_MODULE_DOTS)))
        else:
            # python-escpos refuses center=True for native QR; ESC a centers it on the printer.
            self.p.set(align="center")
            self.p.qr(block.data, native=True, size=QR_MODULE_DOTS, ec=QR_ECLEVEL_M)
            self.p.set(align="left")
        self.p._raw(b"\n")
        if block.caption:
            self.text(Text(block.caption, align="center"))

    def barcode(self, block: Barcode) -> None:
        """CODE128 with the data printed under it as ordinary text (the same in both modes)."""
        modules = code128_modules(block.data)
        self.p._raw(b"\n")                  # white space above: the scanner needs a quiet zone
        if len(modules) * BARCODE_MODULE_DOTS > self.opts.paper_dots:
            # Too long for the paper: the number stays readable as text, nothing is cut off.
            self.text(Text(block.data, align="center"))
        elif self.opts.qr_mode == "raster" or self.opts.text_mode == "raster":
            self.image(self._centred(barcode_image(modules)))
            self.text(Text(block.data, align="center"))
        else:
            self.p.set(align="center")
            self.p._raw(b"\x1dH\x00"                                    # GS H 0: no HRI
                        + b"\x1dh" + bytes([BARCODE_HEIGHT])            # GS h: bar height
                        + b"\x1dw" + bytes([BARCODE_MODULE_DOTS]))      # GS w: module width
            stream = code128_stream(block.data)
            self.p._raw(b"\x1dkI" + bytes([len(stream)]) + stream)     # GS k 73 n data
            self.p.set(align="left")   # the printer is at a line start after GS k: no LF
            self.text(Text(block.data, align="center"))
        if block.caption:
            self.text(Text(block.caption, align="center"))


def raster_bytes(img: Image.Image) -> bytes:
    """GS v 0 for a white-background image whose width is a multiple of 8 (bit 1 = black dot)."""
    if img.width % 8:
        img = ImageOps.expand(img, (0, 0, 8 - img.width % 8, 0), fill=255)
    bits = ImageOps.invert(img.convert("L")).point(lambda v: 255 if v >= 128 else 0).convert("1")
    header = GS_RASTER + bytes([0, (img.width // 8) & 0xFF, (img.width // 8) >> 8,
                                img.height & 0xFF, img.height >> 8])
    return header + bits.tobytes()


@lru_cache(maxsize=64)
def qr_image(data: str, module: int) -> Image.Image:
    """A QR as the printer draws it natively: model 2, level M, no quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module, border=0)
    code.add_data(data.encode("utf-8"))
    return code.make_image().get_image().convert("L")


def code128_modules(data: str) -> str:
    """Bar pattern ('1' = bar module) from python-barcode's CODE128 encoder (it picks code sets)."""
    return Code128(data).build()[0]


def barcode_image(modules: str, module_dots: int = BARCODE_MODULE_DOTS,
                  height: int = BARCODE_HEIGHT) -> Image.Image:
    row = bytes(0 if m == "1" else 255 for m in modules for _ in range(module_dots))
    return Image.frombytes("L", (len(row), 1), row).resize((len(row), height), Image.NEAREST)


def code128_stream(data: str) -> bytes:
    """The GS k 73 data for `data`: python-barcode's symbol values as ESC/POS writes them.

    ESC/POS CODE128 data names code sets with `{A` `{B` `{C` and sends set C digit pairs as one
    byte each; python-barcode already chose the shortest code-set switching, so we translate
    its symbols instead of choosing again.
    """
    # Symbol values that switch code set, per current set (99 = Code C, 100 = Code B, 101 = Code A).
    switches = {"A": {99: "C", 100: "B"}, "B": {99: "C", 101: "A"}, "C": {100: "B", 101: "A"}}
    out = bytearray()
    charset = "B"
    for value in Code128(data).encoded:               # no check symbol: the printer adds it
        if value in (103, 104, 105):                  # start symbol
            charset = "ABC"[value - 103]
        elif value in switches[charset]:
            charset = switches[charset][value]
        elif charset == "C":
            out.append(value)                         # one byte per digit pair
            continue
        else:
            out.append(value + 32 if charset == "B" or value < 64 else value - 64)
            continue
        out += b"{" + charset.encode()
    return bytes(out)


def _logo(path: str, paper: int) -> Image.Image:
    img = Image.open(path).convert("L")
    img.thumbnail((paper, LOGO_MAX_HEIGHT))
    dithered = img.convert("1").convert("L")          # Floyd-Steinberg: thermal dots are on/off
    page = Image.new("L", (paper, dithered.height), 255)
    page.paste(dithered, ((paper - dithered.width) // 2, 0))
    return page
