"""Frame -> cascade -> classified codes, and the de-duplication every scanner applies.

One pipeline for the camera thread, the image/video simulator and `kiosk device scan --image`:
what a technician sees on the command line is what the kiosk would have done with that frame.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from kiosk.domain.payload import ScannedCode, scan_result

from .cascade import Cascade, CascadeResult, default_cascade
from .confirm import Confirmer
from .hint import Hint, hint_for
from .preprocess import to_gray


@dataclass(frozen=True)
class FrameScan:
    codes: tuple[ScannedCode, ...]      # distinct, confirmed payloads, largest code first
    result: CascadeResult               # which steps ran and how long they took
    pending: tuple[ScannedCode, ...] = ()   # read by a fallback step, not confirmed yet: never reported
    hint: Hint | None = None            # a code is seen but not read: what the person should do
    confirmed_by: tuple[str, ...] = ()  # for each code: first step | checksum | second frame | second step


class ScanPipeline:
    def __init__(self, cascade: Cascade | None = None, confirmer: Confirmer | None = None) -> None:
        self.cascade = cascade or default_cascade()
        self.confirmer = confirmer or Confirmer()

    def process(self, frame: np.ndarray) -> FrameScan:
        """One camera frame, within the cascade's per-frame budget."""
        gray = to_gray(frame)
        return self._scan(gray, self.cascade.run(gray), still=False)

    def process_still(self, image: np.ndarray, next_frame: bool = False) -> FrameScan:
        """A still image: as many frames of it as the cascade needs to try every step.

        Stills are unrelated pictures (a folder of images), so one never confirms another's
        read -- unless `next_frame`: this still is the camera's next frame after the last."""
        gray = to_gray(image)
        if not next_frame:
            self.confirmer.clear()
        return self._scan(gray, self.cascade.run_still(gray), still=True)

    def _scan(self, gray: np.ndarray, r: CascadeResult, still: bool) -> FrameScan:
        self.confirmer.next_frame()
        primary = r.step == self.cascade.steps[0].name
        seen, codes, pending, why = set(), [], [], []
        for raw in r.codes:
            if raw.data in seen:           # two steps or two corners of one code: report once
                continue
            seen.add(raw.data)
            code = scan_result(raw.data, raw.segments, r.step, r.ms)
            reason = self.confirmer.why_accepted(code, primary)
            if not reason and still:
                # A still has no second frame: a second, different step must agree instead.
                reason = self.confirmer.why_accepted(
                    code, False, self.cascade.agreeing_step(gray, raw.data, r.step))
            if reason:
                codes.append(code)
                why.append(reason)
            else:
                pending.append(code)
        hint = None
        if not codes and not pending and r.candidates:
            hint = hint_for(gray, r.candidates[0])
        return FrameScan(tuple(codes), r, tuple(pending), hint, tuple(why))


class Deduper:
    """The same payload is reported once while it stays in view; a new one at once.

    "In view" means seen again within `window_s` of the last sighting: a phone held in front of
    the camera for a minute is one event, and the same code shown again after it has been away
    for longer than the window is a new one (the user came back). Keyed on the raw bytes, so a
    different code with the same text after decoding is still a different code."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s <= 0:
            raise ValueError("dedupe window must be positive")
        self.window_s = window_s
        self._clock = clock
        self._last_seen: dict[bytes, float] = {}

    def is_new(self, raw: bytes) -> bool:
        now = self._clock()
        self._forget(now)
        new = raw not in self._last_seen
        self._last_seen[raw] = now
        return new

    def clear(self) -> None:
        self._last_seen.clear()

    def _forget(self, now: float) -> None:
        # Dropping expired entries keeps the table as small as what is in view right now.
        for raw in [r for r, t in self._last_seen.items() if now - t > self.window_s]:
            del self._last_seen[raw]
