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
from .preprocess import to_gray


@dataclass(frozen=True)
class FrameScan:
    codes: tuple[ScannedCode, ...]      # distinct payloads, largest code first
    result: CascadeResult               # which steps ran and how long they took


class ScanPipeline:
    def __init__(self, cascade: Cascade | None = None) -> None:
        self.cascade = cascade or default_cascade()

    def process(self, frame: np.ndarray) -> FrameScan:
        """One camera frame, within the cascade's per-frame budget."""
        return self._scan(self.cascade.run(to_gray(frame)))

    def process_still(self, image: np.ndarray) -> FrameScan:
        """A still image: as many frames of it as the cascade needs to try every step."""
        return self._scan(self.cascade.run_still(to_gray(image)))

    def _scan(self, r: CascadeResult) -> FrameScan:
        seen, codes = set(), []
        for raw in r.codes:
            if raw.data in seen:           # two steps or two corners of one code: report once
                continue
            seen.add(raw.data)
            codes.append(scan_result(raw.data, raw.segments, r.step, r.ms))
        return FrameScan(tuple(codes), r)


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
