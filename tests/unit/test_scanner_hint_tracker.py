"""How to hold a code: the verdict on one frame (hint_for, on synthetic camera frames through
the production locate step) and the tracker that turns noisy per-frame verdicts into what the
screen says (HintTracker, on frame times), and the session's rules for showing it."""
import pytest

from drivers.scanner.hint import (AGREE, CLEAR_S, HOLD_S, QUIET_AFTER_READ_S, SWITCH_S, Hint, HintTracker,
                                  hint_for)
from drivers.scanner.locate import Candidate
from drivers.scanner.synth import Look, render_frame
from kiosk import session as S
from kiosk.domain.scan_hint import ScanHint
from kiosk.session import State

PAYLOAD = "https://zwfw.example.gov.cn/progress?no=XH20261204000007".encode()
T = S.Timeouts(idle_s=60, warn_s=15, done_s=30)


class FrameClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def feed(tracker, clock, hints, dt=0.1, read=False):
    shown = []
    for h in hints:
        clock.t += dt
        shown.append(tracker.frame(h, read=read))
    return shown


# -- one frame ------------------------------------------------------------------------------------
def centred(look: Look, side: float) -> tuple:
    gray = render_frame(PAYLOAD, look, seed=3, frame_size=(640, 480))
    if gray.ndim == 3:
        gray = gray[..., 1]
    pad = side * 0.6
    box = (int(320 - pad), int(240 - pad), int(320 + pad), int(240 + pad))
    return gray, Candidate(box=box, source="texture", side=side)


@pytest.mark.parametrize("look,side,expected", [
    (Look(code_px=40), 40, Hint.CLOSER),
    (Look(code_px=240, dark=110, light=150), 200, Hint.BRIGHTER),
    (Look(code_px=240, motion=25), 200, Hint.STEADIER),
    (Look(code_px=240, blur=3), 200, Hint.STEADIER),  # out of focus: held too close
    (Look(code_px=240), 200, None),                  # a sharp code: nothing to advise
    (Look(code_px=400), 330, None),                  # ... however big (big modules, few edges)
    (Look(code_px=240, noise=20, jpeg=40), 200, None),  # a cheap camera's noise is not blur
])
def test_one_frame_verdict(look, side, expected):
    gray, cand = centred(look, side)
    assert hint_for(gray, cand) is expected


def test_a_washed_out_middle_is_a_reflection():
    gray, cand = centred(Look(code_px=240), 200)
    x0, y0, x1, y1 = cand.box
    cy, cx = (y0 + y1) // 2, (x0 + x1) // 2
    gray = gray.copy()
    gray[cy - 40:cy + 40, cx - 40:cx + 40] = 255      # a lamp's reflection over the code's middle
    assert hint_for(gray, cand) is Hint.TILT


# -- frames to screen -----------------------------------------------------------------------------
def test_a_hint_shows_only_once_it_holds():
    clock = FrameClock()
    tr = HintTracker(clock)
    frames = int(HOLD_S / 0.1) + AGREE + 2
    shown = feed(tr, clock, [Hint.CLOSER] * frames)
    first = shown.index(Hint.CLOSER)
    assert first >= AGREE - 1 and all(h is None for h in shown[:first])
    assert (first + 1) * 0.1 >= HOLD_S - 1e-9                # not before it held HOLD_S
    assert shown[-1] is Hint.CLOSER


def test_a_phone_swept_past_says_nothing():
    clock = FrameClock()
    tr = HintTracker(clock)
    assert set(feed(tr, clock, [Hint.CLOSER, Hint.CLOSER, None, None, None, Hint.STEADIER, None])) == {None}


def test_one_odd_frame_does_not_flicker_the_hint():
    clock = FrameClock()
    tr = HintTracker(clock)
    feed(tr, clock, [Hint.CLOSER] * 12)
    shown = feed(tr, clock, [Hint.CLOSER, Hint.STEADIER, Hint.CLOSER, None, Hint.CLOSER, Hint.TILT] * 3)
    assert set(shown) == {Hint.CLOSER}


def test_a_new_hint_waits_its_turn():
    clock = FrameClock()
    tr = HintTracker(clock)
    feed(tr, clock, [Hint.CLOSER] * 10)
    shown_at = clock.t
    shown = feed(tr, clock, [Hint.STEADIER] * 40)
    switched = shown.index(Hint.STEADIER)
    assert clock.t - 0.1 * (40 - switched - 1) - shown_at >= min(SWITCH_S, HOLD_S) - 1e-9
    assert shown[-1] is Hint.STEADIER


def test_a_read_clears_the_hint_and_keeps_it_quiet():
    clock = FrameClock()
    tr = HintTracker(clock)
    feed(tr, clock, [Hint.CLOSER] * 12)
    assert tr.frame(None, read=True) is None
    # read on every other frame: "closer" in between must not come back while it keeps reading
    quiet = feed(tr, clock, [Hint.CLOSER] * int(QUIET_AFTER_READ_S / 0.1 - 1))
    assert set(quiet) == {None}


def test_the_hint_clears_when_the_code_is_gone():
    clock = FrameClock()
    tr = HintTracker(clock)
    feed(tr, clock, [Hint.CLOSER] * 12)
    clock.t += CLEAR_S - 0.2
    assert tr.idle() is Hint.CLOSER                       # no frames for a moment: kept
    clock.t += 0.3
    assert tr.idle() is None                              # gone: cleared even without frames


# -- the session ----------------------------------------------------------------------------------
def test_the_attract_screen_holds_the_hint_and_a_read_clears_it():
    s = S.transition(S.Session(), S.ShowScanHint(ScanHint.CLOSER), 0, T)
    assert s.scan_hint is ScanHint.CLOSER and s.state is State.ATTRACT
    s2 = S.transition(s, S.Say("请到窗口办理"), 1, T)
    assert s2.scan_hint is None


def test_screens_that_ask_for_no_code_show_no_hint(card):
    s = S.transition(S.Session(), S.CardRead(card), 0, T)
    assert s.state is State.HOME
    assert S.transition(s, S.ShowScanHint(ScanHint.STEADIER), 1, T).scan_hint is None


def test_leaving_the_attract_screen_drops_the_hint(card):
    s = S.transition(S.Session(), S.ShowScanHint(ScanHint.TILT), 0, T)
    s = S.transition(s, S.CardRead(card), 1, T)
    assert s.scan_hint is None
