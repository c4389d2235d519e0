"""Decoders tried in a cascade within a per-frame time budget.

A step is a preparation (preprocess.py) plus a decoder. The first step -- zxing-cpp on the frame
as it is -- runs on every frame: it is about a millisecond at 1280x720 and reads almost every
code there is. The others win back the codes it misses, and cost more, so they share what is
left of the frame's budget: a step that would not fit waits for the next frame, and the next
frame resumes the cascade where this one stopped. A camera looking at a hard code therefore
tries every step within a few frames without ever spending more than the budget on one. A
still image (`run_still`) is fed through the same `run()` until every step has had its turn,
exactly as a camera looking at it would.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import preprocess
from .decoders import RawCode, WechatDecoder, ZbarDecoder, ZxingDecoder, wechat_available
from .decoders.base import Decoder

log = logging.getLogger(__name__)

DEFAULT_BUDGET_MS = 20.0     # of the 66 ms a 15 fps camera leaves per frame; 33 ms at 30 fps
_EWMA = 0.2                  # weight of the latest duration in a step's running estimate


@dataclass(frozen=True)
class Step:
    name: str
    decoder: Decoder
    prepare: Callable[[np.ndarray], "preprocess.Prepared | None"] = preprocess.as_is


@dataclass(frozen=True)
class CascadeResult:
    codes: tuple[RawCode, ...]      # largest first (the one held up to the camera); () if none
    step: str                       # the step that found them; "" if none
    decoder: str
    ms: float                       # time spent on this frame (or still image)
    tried: tuple[str, ...]          # steps run, in order
    cycle_done: bool                # every step has run since the cycle began, finding nothing


class Cascade:
    def __init__(self, steps: Sequence[Step], budget_ms: float | None = DEFAULT_BUDGET_MS,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        if not steps:
            raise ValueError("a cascade needs at least one step")
        self.steps = tuple(steps)
        self.budget_ms = budget_ms
        self._clock = clock
        self._estimate: dict[str, float] = {}
        self._cursor = 1            # next fallback step to try; a cycle ends back at 1

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    def reset(self) -> None:
        """Start a fresh cycle: the next frame tries the fallbacks from the cheapest."""
        self._cursor = 1

    def run(self, gray: np.ndarray) -> CascadeResult:
        t0 = self._clock()
        tried: list[str] = []
        found = self._try(self.steps[0], gray, tried) or ()
        if found:
            return self._result(found, self.steps[0], t0, tried)
        fallbacks = len(self.steps) - 1
        ran_fallback = False
        for _ in range(fallbacks):
            step = self.steps[self._cursor]
            spent = (self._clock() - t0) * 1000
            # A step never timed yet counts as too slow: it gets its first run as the first
            # fallback of a frame, so learning the costs never pushes a frame over budget.
            estimate = self._estimate.get(step.name, float("inf"))
            # The first fallback of a frame always runs, even over budget: otherwise a step
            # slower than the whole budget would never run at all.
            if ran_fallback and self.budget_ms is not None and spent + estimate > self.budget_ms:
                break
            found = self._try(step, gray, tried)
            ran_fallback = ran_fallback or found is not None
            self._cursor = self._cursor % fallbacks + 1
            if found:
                self.reset()
                return self._result(found, step, t0, tried)
            if self._cursor == 1:
                return self._result((), None, t0, tried, cycle_done=True)
        return self._result((), None, t0, tried, cycle_done=fallbacks == 0)

    def run_still(self, gray: np.ndarray) -> CascadeResult:
        """A still image: the frames a camera would see of it, until a read or a full cycle."""
        self.reset()
        total, tried = 0.0, []
        for _ in range(len(self.steps)):        # each run tries >= 1 fallback: this suffices
            r = self.run(gray)
            total += r.ms
            tried += r.tried
            if r.codes or r.cycle_done:
                return CascadeResult(r.codes, r.step, r.decoder, total, tuple(tried), r.cycle_done)
        return CascadeResult((), "", "", total, tuple(tried), True)

    def _try(self, step: Step, gray: np.ndarray, tried: list[str]) -> tuple[RawCode, ...] | None:
        """The codes a step finds, largest first; None if the step does not apply here."""
        t = self._clock()
        try:
            prepared = step.prepare(gray)
            if prepared is None:
                return None
            tried.append(step.name)
            image, factor, origin = prepared
            codes = step.decoder.decode(image)
        except Exception:       # one decoder's bug must not stop the others or the thread
            log.exception("decoder step %s failed on a %s image", step.name, gray.shape)
            codes, factor, origin = [], 1.0, preprocess.ORIGIN
        ms = (self._clock() - t) * 1000
        old = self._estimate.get(step.name)
        self._estimate[step.name] = ms if old is None else (1 - _EWMA) * old + _EWMA * ms
        if factor != 1.0 or origin != preprocess.ORIGIN:
            codes = [c.mapped(factor, origin) for c in codes]
        return tuple(sorted(codes, key=lambda c: -c.area))

    def _result(self, codes, step: Step | None, t0: float, tried: list[str],
                cycle_done: bool = False) -> CascadeResult:
        ms = (self._clock() - t0) * 1000
        if step is None:
            return CascadeResult((), "", "", ms, tuple(tried), cycle_done)
        return CascadeResult(tuple(codes), step.name, step.decoder.name, ms, tuple(tried), False)


def default_steps() -> list[Step]:
    """The camera's cascade. Order and members are measured (docs/scanning.md, `make bench`):
    each step wins codes the ones before it miss, cheapest first; a step that won nothing
    (zbar on the whole frame, zbar on an inverted frame, a whole-frame upscale) is left out.

        zxing            every frame; ~1 ms at 1280x720
        zxing/half       large, grainy codes (a photo of print, moiré from a phone screen)
        zxing/centre2    a code held too far away: the middle of the frame at 2x
        zxing/adaptive   faint codes and uneven light (adaptive threshold)
        zbar/half        a second detector: codes whose finder patterns zxing-cpp misses
        wechat           only where OpenCV has it (opencv-contrib); never on this build
    """
    zxing = ZxingDecoder("zxing")
    zbar = ZbarDecoder("zbar")
    steps = [
        Step("zxing", zxing),
        Step("zxing/half", zxing, preprocess.half),
        Step("zxing/centre2", zxing, preprocess.centre_double),
        Step("zxing/adaptive", zxing, preprocess.adaptive),
        Step("zbar/half", zbar, preprocess.half),
    ]
    if wechat_available():
        steps.append(Step("wechat", WechatDecoder("wechat")))
    return steps


def default_cascade(budget_ms: float | None = DEFAULT_BUDGET_MS) -> Cascade:
    return Cascade(default_steps(), budget_ms)
