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

from . import locate, preprocess
from .decoders import RawCode, WechatDecoder, ZbarDecoder, ZxingDecoder, wechat_available
from .decoders.base import Decoder
from .demoire import demoire
from .finder import FinderRestorer
from .locate import Candidate
from .superres import SuperResolution

log = logging.getLogger(__name__)

DEFAULT_BUDGET_MS = 20.0     # of the 66 ms a 15 fps camera leaves per frame; 33 ms at 30 fps
FRAME, GATED, CANDIDATE = "frame", "gated", "candidate"
_EWMA = 0.2                  # weight of the latest duration in a step's running estimate


@dataclass(frozen=True)
class Step:
    """`on`: FRAME runs on every frame that reaches it; GATED on the whole frame, but only when
    the frame has a candidate (locate.py); CANDIDATE on the crop around each candidate."""
    name: str
    decoder: Decoder
    prepare: Callable[[np.ndarray], "preprocess.Prepared | None"] = preprocess.as_is
    on: str = FRAME
    regions: int = locate.MAX_CANDIDATES    # CANDIDATE steps: on at most this many candidates
    grow: float = 1.0                       # CANDIDATE steps: the crop grown about its centre


@dataclass(frozen=True)
class CascadeResult:
    codes: tuple[RawCode, ...]      # largest first (the one held up to the camera); () if none
    step: str                       # the step that found them; "" if none
    decoder: str
    ms: float                       # time spent on this frame (or still image)
    tried: tuple[str, ...]          # steps run, in order
    cycle_done: bool                # every step has run since the cycle began, finding nothing
    candidates: tuple[Candidate, ...] = ()   # where a code may be (when the first step read none)


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
        self._cands: tuple[Candidate, ...] = ()      # this frame's candidates

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    def reset(self) -> None:
        """Start a fresh cycle: the next frame tries the fallbacks from the cheapest."""
        self._cursor = 1

    def run(self, gray: np.ndarray) -> CascadeResult:
        t0 = self._clock()
        tried: list[str] = []
        self._cands: tuple[Candidate, ...] = ()
        found = self._try(self.steps[0], gray, tried) or ()
        if found:
            return self._result(found, self.steps[0], t0, tried)
        if len(self.steps) > 1:
            located = getattr(self.steps[0].decoder, "last_errors", ())
            self._cands = tuple(locate.candidates(gray, located))
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
                return CascadeResult(r.codes, r.step, r.decoder, total, tuple(tried), r.cycle_done, r.candidates)
        return CascadeResult((), "", "", total, tuple(tried), True, r.candidates)

    def agreeing_step(self, gray: np.ndarray, raw: bytes, found_by: str) -> str:
        """For a still image: the first fallback step other than `found_by` that also reads
        `raw` ("" if none) -- a second, independent look, as a second frame would give."""
        self._cands = ()
        tried: list[str] = []
        self._try(self.steps[0], gray, tried)
        if len(self.steps) > 1:
            self._cands = tuple(locate.candidates(gray, getattr(self.steps[0].decoder, "last_errors", ())))
        for step in self.steps[1:]:
            if step.name == found_by:
                continue
            codes = self._try(step, gray, tried) or ()
            if any(c.data == raw for c in codes):
                return step.name
        return ""

    def _try(self, step: Step, gray: np.ndarray, tried: list[str]) -> tuple[RawCode, ...] | None:
        """The codes a step finds, largest first; None if the step does not apply here."""
        if step.on != FRAME and not self._cands:
            return None                 # gated: no candidate in this frame, no heavy work
        regions = [(gray, (0, 0))]
        if step.on == CANDIDATE:
            boxes = [c.grown(gray.shape, step.grow) for c in self._cands[:step.regions]]
            regions = [(gray[y0:y1, x0:x1], (x0, y0)) for x0, y0, x1, y1 in boxes]
        t = self._clock()
        codes: list[RawCode] = []
        ran = False
        for image, offset in regions:
            try:
                prepared = step.prepare(image)
                if prepared is None:
                    continue
                ran = True
                prepared_image, factor, origin = prepared
                found = step.decoder.decode(np.ascontiguousarray(prepared_image))
            except Exception:       # one decoder's bug must not stop the others or the thread
                log.exception("decoder step %s failed on a %s image", step.name, image.shape)
                ran, found, factor, origin = True, [], 1.0, preprocess.ORIGIN
            if factor not in (1.0, (1.0, 1.0)) or origin != preprocess.ORIGIN:
                found = [c.mapped(factor, origin) for c in found]
            if offset != (0, 0):
                found = [c.mapped(1.0, offset) for c in found]
            codes += found
            if codes:
                break               # the first candidate that reads is the code held up
        if not ran:
            return None
        tried.append(step.name)
        ms = (self._clock() - t) * 1000
        old = self._estimate.get(step.name)
        self._estimate[step.name] = ms if old is None else (1 - _EWMA) * old + _EWMA * ms
        return tuple(sorted(codes, key=lambda c: -c.area))

    def _result(self, codes, step: Step | None, t0: float, tried: list[str],
                cycle_done: bool = False) -> CascadeResult:
        ms = (self._clock() - t0) * 1000
        if step is None:
            return CascadeResult((), "", "", ms, tuple(tried), cycle_done, self._cands)
        return CascadeResult(tuple(codes), step.name, step.decoder.name, ms, tuple(tried), False)


def candidate_steps() -> dict[str, Step]:
    """Every step measured for the cascade (tests/bench/bench_scanner.py), kept or not."""
    zxing = ZxingDecoder("zxing")
    zbar = ZbarDecoder("zbar")
    steps = [
        Step("zxing", ZxingDecoder("zxing", locate_failures=True)),
        Step("zxing/half", zxing, preprocess.half),
        Step("zxing/centre2", zxing, preprocess.centre_double),
        Step("zxing/adaptive", zxing, preprocess.adaptive),
        Step("zbar/half", zbar, preprocess.half, GATED),
        Step("zbar", zbar, preprocess.as_is, GATED),
        Step("crop/lowpass", zxing, preprocess.lowpass, CANDIDATE),
        Step("crop/lowpass-wide", zxing, preprocess.lowpass_wide, CANDIDATE),
        Step("crop/clahe", zxing, preprocess.local_contrast, CANDIDATE),
        Step("crop/adaptive", zxing, preprocess.adaptive_crop, CANDIDATE),
        Step("crop/closed", zxing, preprocess.closed, CANDIDATE),
        Step("crop/upscale", zxing, preprocess.upscale_sharp, CANDIDATE),
        Step("crop/deblur", zxing, preprocess.deblurred, CANDIDATE),
        Step("crop/stretch-x", zxing, preprocess.stretch_x, CANDIDATE),
        Step("crop/stretch-y", zxing, preprocess.stretch_y, CANDIDATE),
        Step("crop/zbar", zbar, preprocess.as_is, CANDIDATE),
        # zxing-cpp's located symbol may be a thumb's worth of a code: twice its box, to see
        # both remaining finders (docs/scanning.md: occlusion).
        Step("crop/finder", FinderRestorer("zxing"), preprocess.as_is, CANDIDATE, grow=2.0),
        Step("crop/demoire", zxing, demoire, CANDIDATE),
        Step("crop/deblur-full", zxing, preprocess.deblurred_full, CANDIDATE),
    ]
    sr = SuperResolution()
    if sr.available():
        # ~15-20 ms CPU per crop: on the best candidate only, so a frame stays within ~30 ms.
        steps.append(Step("crop/superres", zxing, sr, CANDIDATE, regions=1))
    if wechat_available():
        steps.append(Step("wechat", WechatDecoder("wechat"), preprocess.as_is, GATED))
    return {s.name: s for s in steps}


# The camera's cascade, cheapest first. Members are measured (docs/scanning.md, `make bench`):
# each wins codes the others miss -- on the degradation set (degrade.py), the zxing sample set
# or the generated frames of tests/integration/test_scanner_generated.py -- with no misread.
#     zxing            every frame, ~1 ms at 1280x720; also reports symbols it located but
#                      could not decode: the gate for the heavy steps
#     zxing/centre2    a code held too far away, or very blurred: the middle of the frame at 2x
#     zxing/adaptive   faint codes and uneven light (smoothed, then adaptive threshold)
#   only when locate.py found a candidate (most empty frames have none), on its crop:
#     crop/lowpass     moire bands from a phone screen
#     crop/demoire     moire bands of a period near the module size: evened along the band
#     crop/stretch-x   foreshortening of a tilted code
#     crop/finder      a thumb over a finder pattern: drawn back from the other two (finder.py)
#     crop/deblur      motion blur, estimated from the crop and undone
#     crop/deblur-full the same at full size for crops of 360-560 px (crop/deblur halves them)
#     crop/superres    small codes, WeChat's super-resolution network
#   and on the whole frame:
#     zbar/half        a second detector: codes whose finder patterns zxing-cpp misses
#     wechat           WeChat's CNN detector (opencv-contrib + assets/wechat_qrcode)
# Measured and left out (no read the others miss): zxing/half, crop/stretch-y, crop/upscale,
# crop/clahe, crop/lowpass-wide, crop/adaptive, crop/closed, crop/zbar, zbar on the whole frame.
DEFAULT_STEPS = ("zxing", "zxing/centre2", "zxing/adaptive", "crop/lowpass", "crop/demoire",
                 "crop/stretch-x", "crop/finder", "crop/deblur", "crop/deblur-full", "crop/superres",
                 "zbar/half", "wechat")


def default_steps(names: Sequence[str] = DEFAULT_STEPS) -> list[Step]:
    """The steps named; those this installation lacks (wechat without opencv-contrib or its
    models, superres without the model) are left out."""
    table = candidate_steps()
    return [table[n] for n in names if n in table]


def default_cascade(budget_ms: float | None = DEFAULT_BUDGET_MS) -> Cascade:
    return Cascade(default_steps(), budget_ms)
