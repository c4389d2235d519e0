"""A thumb over one finder pattern: draw the missing finder back where the other two say it was.

Every decoder here starts from the three finder patterns; with one of them covered it finds no
symbol at all, although the finder carries no data and the error correction may well cover the
data modules the thumb hides. Two finder patterns that are still visible fix the third up to a
few choices: if they are the ends of one side of the symbol, the third sits at a right angle
from either of them, on either side; if they are the ends of the diagonal, it sits on the other
diagonal. Each choice inside the crop is tried: the finder (with its light separator) is drawn
there at the module size and axes of the two found, and zxing-cpp reads the result. A wrong
choice draws over data or background and gives no read (Reed-Solomon), and a read from here is
a fallback read: confirm.py holds it until a second frame or a check character agrees.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .decoders.base import RawCode
from .decoders.zxing import ZxingDecoder

MIN_MODULE = 2.0            # px: below this the nested squares do not survive thresholding
MAX_SQUARENESS = 1.5        # side ratio of a finder's outer square (tilt of up to ~45 degrees)
SAME_FINDER = 3.0           # modules: centres closer than this are one finder found twice
SIZE_AGREEMENT = 1.35       # two finders of one symbol have about the same module size


@dataclass(frozen=True)
class Finder:
    x: float
    y: float
    module: float           # px per module, from the outer square's area (7 x 7 modules)


def finder_patterns(gray: np.ndarray) -> list[Finder]:
    """Nested dark-light-dark squares with the areas of a finder (7x7 : 5x5 : 3x3 modules)."""
    smooth = cv2.GaussianBlur(gray, (0, 0), 1.0)
    block = max(15, (min(gray.shape) // 6) | 1)         # a few finders wide: local contrast
    dark = cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 0)
    contours, hierarchy = cv2.findContours(dark, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    links = hierarchy[0]
    found: list[Finder] = []
    for i, outer in enumerate(contours):
        hole = links[i][2]
        inner = links[hole][2] if hole >= 0 else -1
        if inner < 0:
            continue
        a_outer, a_hole, a_inner = (cv2.contourArea(contours[j]) for j in (i, hole, inner))
        if a_outer < 49 * MIN_MODULE ** 2 or a_inner <= 0 or a_hole <= 0:
            continue
        # Ideal 49:25 and 25:9; thresholding and blur move the borders by a fraction of a module.
        if not (1.3 < a_outer / a_hole < 3.2 and 1.6 < a_hole / a_inner < 5.0):
            continue
        (w, h) = cv2.minAreaRect(outer)[1]
        if min(w, h) <= 0 or max(w, h) / min(w, h) > MAX_SQUARENESS:
            continue
        m = cv2.moments(contours[inner])
        if m["m00"] == 0:
            continue
        f = Finder(m["m10"] / m["m00"], m["m01"] / m["m00"], float(np.sqrt(a_outer) / 7))
        if all(np.hypot(f.x - g.x, f.y - g.y) > SAME_FINDER * f.module for g in found):
            found.append(f)
    return found


def third_finder(a: Finder, b: Finder) -> list[tuple[np.ndarray, float]]:
    """Where the third finder may be, with the angle of the symbol's axes there: at a right
    angle from either end of side a-b (either side), or across the diagonal a-b."""
    pa, pb = np.array([a.x, a.y]), np.array([b.x, b.y])
    d = pb - pa
    perp = np.array([-d[1], d[0]])
    side = float(np.arctan2(d[1], d[0]))
    mid = (pa + pb) / 2
    return [(pa + perp, side), (pa - perp, side), (pb + perp, side), (pb - perp, side),
            (mid + perp / 2, side + np.pi / 4), (mid - perp / 2, side + np.pi / 4)]


def draw_finder(img: np.ndarray, centre: np.ndarray, angle: float, module: float,
                dark: int, light: int) -> None:
    """A finder pattern with its light separator, drawn into img in place."""
    ax = np.array([np.cos(angle), np.sin(angle)])
    ay = np.array([-ax[1], ax[0]])
    for half, colour in ((4.5, light), (3.5, dark), (2.5, light), (1.5, dark)):
        corners = [centre + (s * ax + t * ay) * half * module for s, t in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        cv2.fillConvexPoly(img, np.round(np.array(corners) * 16).astype(np.int32), int(colour), cv2.LINE_AA, 4)


class FinderRestorer:
    """A decoder for the crop around a candidate: when exactly two finder patterns are seen,
    each place the third may be is drawn in turn and read by zxing-cpp."""

    def __init__(self, name: str = "zxing", decoder: ZxingDecoder | None = None) -> None:
        self.name = name
        self._decoder = decoder or ZxingDecoder(name)

    def decode(self, gray: np.ndarray) -> list[RawCode]:
        found = finder_patterns(gray)
        if len(found) != 2:
            return []       # three seen: the others had their chance; fewer: nothing to go on
        a, b = found
        if max(a.module, b.module) / min(a.module, b.module) > SIZE_AGREEMENT:
            return []
        module = (a.module + b.module) / 2
        dark, light = (int(v) for v in np.percentile(gray, (5, 95)))
        h, w = gray.shape
        reach = 4.5 * module
        for centre, angle in third_finder(a, b):
            if not (reach <= centre[0] <= w - reach and reach <= centre[1] <= h - reach):
                continue
            img = gray.copy()
            draw_finder(img, centre, angle, module, dark, light)
            codes = self._decoder.decode(img)
            if codes:
                return codes
        return []
