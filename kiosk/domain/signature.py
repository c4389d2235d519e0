"""The applicant's handwritten signature under the 申请人承诺 (pure Python: no Kivy, no cv2, no PIL).

A signature is the strokes a finger drew on the signature pad, in coordinates normalised to the
pad's box (0..1, y downwards, as on paper), plus the box's aspect ratio (width / height) so that
lengths mean the same thing along x and y:

    sig = Signature([[(0.10, 0.60), (0.18, 0.40), ...], ...], aspect=3.0)
    sig.reason()        # None, or a plain-Chinese message saying what to do (see REASONS)
    sig.is_plausible()  # reason() is None
    sig.to_png()        # 600x200 8-bit greyscale PNG, black ink on white, a few KB

It is attached to the application as material MATERIAL_ID ("signature", MEDIA_TYPE image/png).
It is personal data: it lives in memory for the session and on disk only in the outbox until the
hall acknowledges it; its repr shows counts, never the points.

Input is bounded so that a stuck finger or a buggy driver cannot make it grow without end: at
most MAX_STROKES strokes of MAX_POINTS points are kept (the rest is dropped, never an error),
points outside the box are clamped to its edge and points that are not finite numbers are
dropped. Rasterising is bounded too (MAX_RASTER_STEPS).
"""
from __future__ import annotations

import logging
import math
import struct
import zlib
from typing import Iterable, Sequence

log = logging.getLogger(__name__)

MATERIAL_ID = "signature"          # PUT /api/v1/applications/{no}/materials/signature
MEDIA_TYPE = "image/png"

MAX_STROKES = 64
MAX_POINTS = 2000                  # per stroke
MAX_RASTER_STEPS = 4_000_000       # centre-line pixels drawn by to_png (well under a second)
DEFAULT_ASPECT = 3.0               # the pad's box and the PNG are 3:1

# Plausibility, in units of the box's height (the box is `aspect` units wide).
DOT_EXTENT = 0.03                  # every stroke within this: a tap, not writing
TINY_EXTENT = 0.15                 # all ink inside a box this small (larger side)
MIN_INK = 0.9                      # total stroke length: a name is several box heights of ink

EMPTY = "还没有签名，请用手指在框内写下您的姓名"
DOT = "只点了一个点，请用手指在框内写下您的姓名"
TINY = "签名太小，请在框内写大一些"
SHORT = "签名太短，请用手指在框内写下您的姓名"
REASONS = (EMPTY, DOT, TINY, SHORT)      # each has English in screens/i18n.py

Point = tuple[float, float]
Stroke = tuple[Point, ...]


def _clamp(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


def _point(p) -> Point | None:
    try:
        x, y = float(p[0]), float(p[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    return (_clamp(x), _clamp(y))


def _bounded(strokes) -> tuple[Stroke, ...]:
    out: list[Stroke] = []
    dropped = False
    for stroke in () if strokes is None else strokes:
        if len(out) >= MAX_STROKES:
            dropped = True
            break
        if stroke is None or isinstance(stroke, (str, bytes)) or not hasattr(stroke, "__iter__"):
            continue                             # not a sequence of points
        pts: list[Point] = []
        for p in stroke:
            if len(pts) >= MAX_POINTS:
                dropped = True
                break
            q = _point(p)
            if q is not None:
                pts.append(q)
        if pts:
            out.append(tuple(pts))
    if dropped:
        log.warning("signature: more than %d strokes or %d points in a stroke; the rest dropped",
                    MAX_STROKES, MAX_POINTS)
    return tuple(out)


class Signature:
    """Immutable strokes of one signature. Construct from any iterable of iterables of (x, y)."""

    __slots__ = ("strokes", "aspect")

    def __init__(self, strokes: Iterable[Iterable[Sequence[float]]] = (), aspect: float = DEFAULT_ASPECT):
        try:
            aspect = float(aspect)
        except (TypeError, ValueError):
            aspect = DEFAULT_ASPECT
        if not math.isfinite(aspect) or aspect <= 0:
            aspect = DEFAULT_ASPECT
        object.__setattr__(self, "strokes", _bounded(strokes))
        object.__setattr__(self, "aspect", min(max(aspect, 0.1), 10.0))

    def __setattr__(self, name, value):
        raise AttributeError("Signature is immutable")

    def __eq__(self, other) -> bool:
        return isinstance(other, Signature) and (self.strokes, self.aspect) == (other.strokes, other.aspect)

    def __hash__(self) -> int:
        return hash((self.strokes, self.aspect))

    def __repr__(self) -> str:       # personal data: never the points themselves
        return f"Signature({len(self.strokes)} strokes, {self.point_count()} points)"

    # -- measures (in box heights) -----------------------------------------------------------
    def point_count(self) -> int:
        return sum(len(s) for s in self.strokes)

    def is_empty(self) -> bool:
        return not self.strokes

    def ink_length(self) -> float:
        a, total = self.aspect, 0.0
        for s in self.strokes:
            for (x0, y0), (x1, y1) in zip(s, s[1:]):
                total += math.hypot((x1 - x0) * a, y1 - y0)
        return total

    def extent(self, strokes: Iterable[Stroke] | None = None) -> tuple[float, float]:
        """(width, height) of the box holding the ink, in box heights."""
        pts = [p for s in (self.strokes if strokes is None else strokes) for p in s]
        if not pts:
            return (0.0, 0.0)
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return ((max(xs) - min(xs)) * self.aspect, max(ys) - min(ys))

    # -- plausibility ------------------------------------------------------------------------
    def reason(self) -> str | None:
        """Why this is not taken as a signature (a message for the applicant), or None."""
        if not self.strokes:
            return EMPTY
        if all(max(self.extent([s])) < DOT_EXTENT for s in self.strokes):
            return DOT
        if max(self.extent()) < TINY_EXTENT:
            return TINY
        if self.ink_length() < MIN_INK:
            return SHORT
        return None

    def is_plausible(self) -> bool:
        return self.reason() is None

    # -- image -------------------------------------------------------------------------------
    def to_png(self, width: int = 600, height: int = 200, pen_px: int = 4) -> bytes:
        """The strokes as an 8-bit greyscale PNG: black ink (0) on white (255), a round pen
        `pen_px` wide. The box is fitted into the image keeping its aspect (centred, white
        margins when the aspects differ), so the writing is never squashed."""
        width, height = max(1, int(width)), max(1, int(height))
        return encode_png_grey(width, height, _raster_rows(self.strokes, width, height, pen_px, self.aspect))


# -- rasterising ------------------------------------------------------------------------------
# Each image row is a Python int used as a bit set (bit x = pixel x is ink): the centre lines are
# drawn with Bresenham's algorithm, then the pen is applied once to the whole image by shifting
# and OR-ing rows, so the cost of the pen does not grow with the length of the strokes.

def _pen_half_widths(pen_px: int) -> list[tuple[int, int]]:
    """(row offset, half width) of a round pen `pen_px` across."""
    r = max(1.0, pen_px / 2)
    reach = int(r)
    return [(dy, int(math.sqrt(r * r - dy * dy))) for dy in range(-reach, reach + 1)]


def _fit(width: int, height: int, aspect: float) -> tuple[float, float, float, float]:
    """(x offset, y offset, x scale, y scale) placing the 0..1 box of `aspect` in the image."""
    iw, ih = width - 1, height - 1
    if ih <= 0 or iw <= 0:
        return (0.0, 0.0, float(iw), float(ih))
    if aspect >= iw / ih:                        # wider than the image: full width, margins above/below
        sy = iw / aspect
        return (0.0, (ih - sy) / 2, float(iw), sy)
    sx = ih * aspect
    return ((iw - sx) / 2, 0.0, sx, float(ih))


def _centre_lines(strokes: tuple[Stroke, ...], width: int, height: int, aspect: float) -> list[int]:
    rows = [0] * height
    budget = MAX_RASTER_STEPS
    ox, oy, sx, sy = _fit(width, height, aspect)
    for stroke in strokes:
        pix = [(min(max(round(ox + x * sx), 0), width - 1), min(max(round(oy + y * sy), 0), height - 1))
               for x, y in stroke]
        x0, y0 = pix[0]
        rows[y0] |= 1 << x0                      # a stroke of one point is a dot
        for x1, y1 in pix[1:]:
            dx, dy = abs(x1 - x0), -abs(y1 - y0)
            budget -= max(dx, -dy)
            if budget < 0:
                log.warning("signature: ink longer than %d pixels, the rest not drawn", MAX_RASTER_STEPS)
                return rows
            stx, sty = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
            err, x, y = dx + dy, x0, y0
            while True:
                rows[y] |= 1 << x
                if x == x1 and y == y1:
                    break
                e2 = 2 * err
                if e2 >= dy:
                    err += dy
                    x += stx
                if e2 <= dx:
                    err += dx
                    y += sty
            x0, y0 = x1, y1
    return rows


def _raster_rows(strokes: tuple[Stroke, ...], width: int, height: int, pen_px: int,
                 aspect: float = DEFAULT_ASPECT) -> list[int]:
    centre = _centre_lines(strokes, width, height, aspect)
    full = (1 << width) - 1
    widened: dict[int, list[int]] = {}           # half width -> rows widened by it
    pen = _pen_half_widths(pen_px)
    for hw in {hw for _dy, hw in pen}:
        rows = []
        for m in centre:
            w = m
            for i in range(1, hw + 1):
                w |= (m << i) | (m >> i)
            rows.append(w & full)
        widened[hw] = rows
    out = []
    for y in range(height):
        m = 0
        for dy, hw in pen:
            if 0 <= y + dy < height:
                m |= widened[hw][y + dy]
        out.append(m)
    return out


_INK = str.maketrans("01", "\xff\x00")           # bit clear: white; bit set: black


def encode_png_grey(width: int, height: int, rows: list[int]) -> bytes:
    """A greyscale PNG (colour type 0, 8 bits) of `rows`, each an int whose bit x is ink at x."""
    raw = bytearray()
    for m in rows:
        raw.append(0)                            # filter: none
        raw += format(m, f"0{width}b")[::-1].translate(_INK).encode("latin-1")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))
