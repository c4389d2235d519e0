"""Where in a frame a code might be, cheaply: the gate in front of the cascade's heavy steps.

Most frames show no code at all, and the heavy steps (deblurring, upscaling, a second detector)
must not run on them. A frame has a candidate when either

  - zxing-cpp, run with return_errors, found a symbol it could not decode (it located finder
    patterns or a grid, the checksum failed): the surest sign, at no extra cost; or
  - a region is dense in corners: a QR code is a grid of small squares, so the smaller
    eigenvalue of the local structure tensor (Shi-Tomasi) is high all over it, while the edges
    of a hall scene -- a pen, a sleeve, a counter -- are lines, whose smaller eigenvalue is ~0.

The candidate also tells the scanner what is wrong when nothing reads (hint.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SCALE = 2                   # corners are looked for at half size (~1 ms at 1280x720)
WINDOW = 15                 # averaging window at half size: ~30 frame pixels, a few modules
TEXTURE_MIN = 250.0         # corner density of a code; hall scenes stay below (docs/scanning.md)
MIN_SIDE = 12               # frame pixels: smaller blobs are specks, not codes
MAX_CANDIDATES = 2
PAD = 0.4                   # a crop reaches this fraction of its side beyond the candidate ...
MIN_CROP = 72               # ... and is at least this wide: a small code needs its quiet zone


@dataclass(frozen=True)
class Candidate:
    box: tuple[int, int, int, int]     # x0, y0, x1, y1 in frame pixels, padded, inside the frame
    source: str                        # "zxing" (a symbol that failed to decode) or "texture"
    side: float                        # the code's estimated side in frame pixels (unpadded)

    def crop(self, gray: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self.box
        return gray[y0:y1, x0:x1]

    def grown(self, shape, factor: float) -> tuple[int, int, int, int]:
        """The box grown `factor` times about its centre, inside the frame: zxing-cpp's
        located symbol may be part of a code (two finders and a thumb), the code is around it."""
        if factor == 1.0:
            return self.box
        h, w = shape
        x0, y0, x1, y1 = self.box
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * factor / 2
        return (max(0, int(cx - r)), max(0, int(cy - r)), min(w, int(cx + r) + 1), min(h, int(cy + r) + 1))


def _padded(x0: float, y0: float, x1: float, y1: float, shape) -> tuple[int, int, int, int]:
    h, w = shape
    px = max((x1 - x0) * PAD, (MIN_CROP - (x1 - x0)) / 2)
    py = max((y1 - y0) * PAD, (MIN_CROP - (y1 - y0)) / 2)
    return (max(0, int(x0 - px)), max(0, int(y0 - py)), min(w, int(x1 + px) + 1), min(h, int(y1 + py) + 1))


def from_quads(quads, shape) -> list[Candidate]:
    """Candidates from the corners of symbols a decoder located but could not decode."""
    out = []
    for q in quads:
        if len(q) < 3:
            continue
        xs, ys = [p[0] for p in q], [p[1] for p in q]
        side = max(max(xs) - min(xs), max(ys) - min(ys))
        if side >= MIN_SIDE:
            out.append(Candidate(_padded(min(xs), min(ys), max(xs), max(ys), shape), "zxing", float(side)))
    return out


def texture_candidates(gray: np.ndarray, threshold: float = TEXTURE_MIN,
                       limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Regions dense in corners, densest first."""
    h, w = gray.shape
    small = cv2.resize(gray, (w // SCALE, h // SCALE), interpolation=cv2.INTER_AREA).astype(np.float32)
    density = cv2.boxFilter(cv2.cornerMinEigenVal(small, 3, 3), -1, (WINDOW, WINDOW))
    if not (density > threshold).any():
        return []
    # Hysteresis: a region is where the density is a third of the threshold, if it peaks above
    # it -- a blurred code's corners are dense only in its middle, its extent is wider.
    mask = (density > threshold / 3).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    found = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if float(density[y:y + bh, x:x + bw].max()) <= threshold:
            continue
        # The box filter grows a region by half a window on each side: take that back.
        x0, y0 = (x + WINDOW // 2) * SCALE, (y + WINDOW // 2) * SCALE
        x1, y1 = (x + bw - WINDOW // 2) * SCALE, (y + bh - WINDOW // 2) * SCALE
        if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
            x0, y0, x1, y1 = x * SCALE, y * SCALE, (x + bw) * SCALE, (y + bh) * SCALE
        peak = float(density[y:y + bh, x:x + bw].max())
        found.append((peak, Candidate(_padded(x0, y0, x1, y1, (h, w)), "texture", float(max(x1 - x0, y1 - y0)))))
    found.sort(key=lambda t: -t[0])
    return [c for _, c in found[:limit]]


def overlaps(a: Candidate, b: Candidate) -> bool:
    ax0, ay0, ax1, ay1 = a.box
    bx0, by0, bx1, by1 = b.box
    return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1


def candidates(gray: np.ndarray, located_quads=()) -> list[Candidate]:
    """zxing-cpp's located-but-undecoded symbols first, then corner-dense regions elsewhere."""
    out = from_quads(located_quads, gray.shape)[:MAX_CANDIDATES]
    for c in texture_candidates(gray):
        if len(out) >= MAX_CANDIDATES:
            break
        if not any(overlaps(c, o) for o in out):
            out.append(c)
    return out
