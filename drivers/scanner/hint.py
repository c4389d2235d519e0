"""What to tell a person whose code the camera sees but cannot read.

When a frame reads nothing but locate.py found a candidate (a code-like region, or a symbol
zxing-cpp located and could not decode), the region itself says what is wrong, in this order:
too small (hold it closer), too faint (turn the screen brighter), a reflection washing part of
it out (tilt it), or blurred (hold it still). The screen shows one plain sentence; the UI owns
the wording (the message catalogue), the scanner only the typed reason.
"""
from __future__ import annotations

import enum

import cv2
import numpy as np

from .locate import Candidate


class Hint(enum.Enum):
    CLOSER = "closer"            # the code is too small in the frame
    BRIGHTER = "brighter"        # too little contrast: a dim phone screen, faded print
    TILT = "tilt"                # a reflection (glare) washes part of it out
    STEADIER = "steadier"        # blurred: moving, or too close to focus


MIN_SIDE_PX = 80          # below this a code's modules are ~2 px or less (version 2 and up)
MIN_CONTRAST = 60         # grey levels between the code's dark and light (5th-95th percentile)
GLARE_LEVEL = 230         # a window of ~2 modules with no pixel darker than this ...
GLARE_SHARE = 0.10        # ... over this share of the code's middle: a reflection washed it out
SHARP = 0.12              # mean gradient per grey level of contrast: below it, blurred


def hint_for(gray: np.ndarray, candidate: Candidate) -> Hint | None:
    """The likeliest reason, or None when the region looks fine (e.g. a thumb over it)."""
    region = candidate.crop(gray)
    if candidate.side < MIN_SIDE_PX:
        return Hint.CLOSER
    if _washed_out(region, candidate.side) > GLARE_SHARE:
        return Hint.TILT
    lo, hi = np.percentile(region, (5, 95))
    contrast = float(hi - lo)
    if contrast < MIN_CONTRAST:
        return Hint.BRIGHTER
    f = region.astype(np.float32)
    grad = np.abs(cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3))
    if float(grad.mean()) / (8 * contrast) < SHARP:      # Sobel 3x3 gains 4 per axis
        return Hint.STEADIER
    return None


def _washed_out(region: np.ndarray, side: float) -> float:
    """Share of the region's middle where even the darkest pixel nearby is bright: every code
    has a dark module within a couple of modules (~side/12) everywhere inside it, except where
    a reflection has saturated them away. White paper around the code is outside the middle."""
    h, w = region.shape
    k = max(3, int(side / 12) | 1)
    darkest = cv2.erode(region, np.ones((k, k), np.uint8))
    middle = darkest[h // 4:3 * h // 4, w // 4:3 * w // 4]
    return float(np.mean(middle >= GLARE_LEVEL)) if middle.size else 0.0
