"""Drawing printer text with the shipped CJK font, cell by cell on the printer's dot grid.

Used twice, on purpose with the same code: by the raster text mode (escpos_render.py), which
sends lines as images to printers without a usable Chinese font, and by the virtual printer,
which draws what a printer's own font A would print. A slip therefore looks the same in both
modes, and a test can compare the two pictures dot for dot.

The grid is a 203-dpi printer's font A: 12x24 dots per single-byte character, a double-byte
(GBK) character takes a 24x24 cell, and lines are 30 dots apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

from drivers.printer.layout import DOTS_PER_COLUMN

FONT_PATH = Path(__file__).resolve().parents[2] / "assets" / "fonts" / "wqy-microhei.ttc"
# Face 1 of the collection is "WenQuanYi Micro Hei Mono": its Latin is half-width, like a
# printer's font A, so ASCII fits a 12-dot cell and hanzi a 24-dot one.
FONT_FACE = 1
CELL_HEIGHT = 24
LINE_GAP = 6                       # default line spacing: 24-dot glyphs on a 30-dot pitch
EMPTY_LINE = CELL_HEIGHT + LINE_GAP
INK_THRESHOLD = 96                 # anti-aliased coverage from which a dot is burnt: keeps strokes whole


@dataclass(frozen=True)
class Cell:
    char: str
    cols: int        # 1 for single-byte, 2 for a double-byte (Chinese mode) character
    wmul: int = 1
    hmul: int = 1
    bold: bool = False


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size, index=FONT_FACE)


@lru_cache(maxsize=4096)
def glyph(cell: Cell) -> Image.Image:
    """Ink mask (255 = black) of one character in its cell, scaled by the size multipliers."""
    # Drawn at the final height (crisper than scaling a 24-dot glyph up); a width-only or
    # height-only multiplier then stretches it, as the printer does.
    scale = cell.hmul
    width, height = cell.cols * DOTS_PER_COLUMN * scale, CELL_HEIGHT * scale
    ink = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(ink)
    # Hanzi at 24 px fill a 24x24 cell; the Mono face's Latin at 20 px is 12 px wide.
    face = font((24 if cell.cols == 2 else 20) * scale)
    for dx in ((0, scale) if cell.bold else (0,)):   # bold: the printer double-strikes a dot over
        draw.text((width / 2 + dx, 20 * scale), cell.char, fill=255, font=face, anchor="ms")
    if cell.wmul != cell.hmul:
        ink = ink.resize((cell.cols * DOTS_PER_COLUMN * cell.wmul, height), Image.BILINEAR)
    # A thermal dot is on or off: no grey. Raster mode sends exactly these dots.
    return ink.point(lambda v: 255 if v >= INK_THRESHOLD else 0)


def line_height(cells: Sequence[Cell]) -> int:
    return max(CELL_HEIGHT * c.hmul for c in cells) + LINE_GAP


def line_width(cells: Sequence[Cell]) -> int:
    return sum(c.cols * c.wmul * DOTS_PER_COLUMN for c in cells)


def x_for(align: str, width: int, paper: int) -> int:
    return {"center": (paper - width) // 2, "right": paper - width}.get(align, 0)


def paste_line(page: Image.Image, cells: Sequence[Cell], align: str, y: int) -> None:
    """Draw one text line on a white 'L' page with its top at y; all cells share a baseline."""
    height = line_height(cells)
    x = x_for(align, line_width(cells), page.width)
    for c in cells:
        ink = glyph(c)
        page.paste(0, (x, y + height - LINE_GAP - ink.height), mask=ink)
        x += ink.width


def cells_for(text: str, size: int = 1, bold: bool = False) -> list[Cell]:
    """The cells a printer in Chinese mode uses for `text` (already printable(): ASCII takes
    one column, every other character is a double-byte GBK one and takes two)."""
    return [Cell(ch, 1 if ch.isascii() else 2, size, size, bold) for ch in text]
