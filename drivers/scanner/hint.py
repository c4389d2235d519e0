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
SHARP = 0.3               # steepest edges' slope per grey level of contrast (1.0 = a step
                          # edge): below it the edges spread over more than ~3 px, blurred


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
    if _edge_slope(region) / contrast < SHARP:
        return Hint.STEADIER
    return None


def _edge_slope(region: np.ndarray) -> float:
    """How steep the code's steepest edges are, along the blurrier axis. The steepest edges
    (98th percentile), not the mean: the mean falls with module size, so a big sharp code read
    as blurred. The blurrier axis: a hand moving sideways smears only the vertical edges."""
    f = region.astype(np.float32)
    gx = np.abs(cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3))
    gy = np.abs(cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3))
    return min(float(np.percentile(gx, 98)), float(np.percentile(gy, 98))) / 4   # Sobel 3x3 gains 4


def _washed_out(region: np.ndarray, side: float) -> float:
    """Share of the region's middle where even the darkest pixel nearby is bright: every code
    has a dark module within a couple of modules (~side/12) everywhere inside it, except where
    a reflection has saturated them away. White paper around the code is outside the middle."""
    h, w = region.shape
    k = max(3, int(side / 12) | 1)
    darkest = cv2.erode(region, np.ones((k, k), np.uint8))
    middle = darkest[h // 4:3 * h // 4, w // 4:3 * w // 4]
    return float(np.mean(middle >= GLARE_LEVEL)) if middle.size else 0.0


# -- from frames to what the screen says ---------------------------------------------------------
# One frame's verdict is noisy: a phone coming into view is "small" for a frame or two, a moving
# hand blurs one frame and not the next, and a code read on every other frame is "closer" in
# between (tests/unit/test_scanner_hint_tracker.py plays such sequences).
# So the screen changes only on a verdict that holds, and never more often than a person can read.
WINDOW = 5               # the last few decoded frames ...
AGREE = 3                # ... of which this many must give the same hint (a majority, not one blip)
HOLD_S = 0.7             # ... for this long before it shows: a phone swept past says nothing
SWITCH_S = 2.0           # a shown hint stays at least this long before another replaces it
CLEAR_S = 2.0            # no hint-worthy frame for this long: the code is gone, clear the hint
QUIET_AFTER_READ_S = 2.0  # after a read, no hint: the code in view was read (every other frame)
REFRESH_S = 1.0          # a held hint is sent again this often (the core may have dropped it)


class HintTracker:
    """Per decoded frame: that frame's hint and whether a code was read -> the hint to show.

    `frame()` and `idle()` return the hint the person should see now (None: nothing). They are
    called on the decode thread only; `clock` is injected so the tests run on frame times."""

    def __init__(self, clock) -> None:
        self._clock = clock
        self._recent: list[Hint | None] = []
        self._leader: Hint | None = None      # the hint the recent frames agree on
        self._leader_since = 0.0
        self.shown: Hint | None = None
        self._shown_at = -1e9
        self._last_hinted = -1e9             # the last frame that gave any hint
        self._last_read = -1e9

    def frame(self, hint: Hint | None, read: bool) -> Hint | None:
        now = self._clock()
        if read:
            self._recent.clear()
            self._leader, self._last_read = None, now
            return self._show(None, now)
        self._recent = (self._recent + [hint])[-WINDOW:]
        if hint is not None:
            self._last_hinted = now
        leader = _majority(self._recent)
        if leader != self._leader:
            self._leader, self._leader_since = leader, now
        return self._decide(now)

    def idle(self) -> Hint | None:
        """No new frame came: only the clearing clock moves."""
        return self._decide(self._clock())

    def _decide(self, now: float) -> Hint | None:
        if self.shown is not None and now - self._last_hinted >= CLEAR_S:
            return self._show(None, now)
        held = self._leader is not None and now - self._leader_since >= HOLD_S
        if not held or self._leader == self.shown or now - self._last_read < QUIET_AFTER_READ_S:
            return self.shown
        if self.shown is not None and now - self._shown_at < SWITCH_S:
            return self.shown
        return self._show(self._leader, now)

    def _show(self, hint: Hint | None, now: float) -> Hint | None:
        if hint != self.shown:
            self.shown, self._shown_at = hint, now
        return self.shown


def _majority(recent: list[Hint | None]) -> Hint | None:
    counts: dict[Hint, int] = {}
    for h in recent:
        if h is not None:
            counts[h] = counts.get(h, 0) + 1
    best = max(counts, key=counts.get, default=None)
    return best if best is not None and counts[best] >= AGREE else None
