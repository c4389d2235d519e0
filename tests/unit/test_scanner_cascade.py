"""drivers/scanner/cascade.py: step order, the per-frame budget, resuming, still images."""
import numpy as np
import pytest

from drivers.scanner import preprocess
from drivers.scanner.cascade import Cascade, Step, default_steps
from drivers.scanner.decoders import RawCode

FRAME = np.zeros((720, 1280), np.uint8)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class FakeDecoder:
    """Costs `ms` of fake time per call; finds `codes` on the calls listed in `hits`."""

    def __init__(self, name, clock, ms, codes=(), hits=None, error=None):
        self.name, self.clock, self.ms = name, clock, ms
        self.codes, self.hits, self.error = list(codes), hits, error
        self.calls = 0

    def decode(self, gray):
        self.calls += 1
        self.clock.t += self.ms / 1000
        if self.error:
            raise self.error
        if self.hits is None or self.calls in self.hits:
            return list(self.codes)
        return []


def cascade(clock, costs, budget=20.0, found=None):
    """A cascade of fake steps named s0, s1, ... costing `costs` ms; step `found` finds a code."""
    decs = [FakeDecoder(f"d{i}", clock, ms, codes=[RawCode(b"X")] if i == found else []) for i, ms in enumerate(costs)]
    return Cascade([Step(f"s{i}", d) for i, d in enumerate(decs)], budget, clock), decs


def test_first_step_that_finds_a_code_ends_the_frame():
    clock = Clock()
    c, decs = cascade(clock, [1, 1, 1], found=1)
    r = c.run(FRAME)
    assert r.codes == (RawCode(b"X"),) and r.step == "s1" and r.decoder == "d1"
    assert r.tried == ("s0", "s1") and decs[2].calls == 0
    assert r.ms == pytest.approx(2.0)


def test_steps_that_do_not_fit_the_budget_wait_for_the_next_frame():
    clock = Clock()
    c, decs = cascade(clock, [2, 5, 8, 12], budget=20)
    # Untimed steps run one per frame (as the first fallback), so learning costs stays in budget.
    assert c.run(FRAME).tried == ("s0", "s1")
    assert c.run(FRAME).tried == ("s0", "s2")
    r3 = c.run(FRAME)               # s3 completes the cycle of fallbacks: nothing found
    assert r3.tried == ("s0", "s3") and r3.cycle_done
    # Now all costs are known: s1 + s2 fit (2 + 5 + 8 = 15), s3 would end at 27 > 20.
    r4 = c.run(FRAME)
    assert r4.tried == ("s0", "s1", "s2") and r4.ms == pytest.approx(15) and not r4.cycle_done
    r5 = c.run(FRAME)               # ... and gets its turn on the next frame
    assert r5.tried == ("s0", "s3") and r5.ms <= 20


def test_a_step_slower_than_the_whole_budget_still_runs_once_per_cycle():
    clock = Clock()
    c, decs = cascade(clock, [1, 50], budget=20)
    for _ in range(3):
        c.run(FRAME)
    assert decs[1].calls == 3       # first fallback of a frame always runs


def test_unlimited_budget_runs_every_step_each_frame():
    clock = Clock()
    c, decs = cascade(clock, [1, 30, 30, 30], budget=None)
    r = c.run(FRAME)
    assert r.tried == ("s0", "s1", "s2", "s3") and r.cycle_done


def test_run_still_tries_every_step_once_like_a_camera_would():
    clock = Clock()
    c, decs = cascade(clock, [2, 15, 15, 15], budget=20)
    r = c.run_still(FRAME)
    assert r.cycle_done and not r.codes
    assert [d.calls for d in decs[1:]] == [1, 1, 1]
    assert decs[0].calls == 3       # the primary ran on each of the three "frames"
    assert r.ms == pytest.approx(3 * 2 + 45)


def test_run_still_stops_at_a_read_and_reports_total_time():
    clock = Clock()
    c, decs = cascade(clock, [2, 15, 15, 15], budget=20, found=3)
    r = c.run_still(FRAME)
    assert r.step == "s3" and r.ms == pytest.approx(2 + 15 + 2 + 15 + 2 + 15)


def test_a_found_code_restarts_the_fallbacks_from_the_cheapest():
    clock = Clock()
    decs = [FakeDecoder("a", clock, 1), FakeDecoder("b", clock, 5), FakeDecoder("c", clock, 5, [RawCode(b"Y")], hits={1})]
    c = Cascade([Step("a", decs[0]), Step("b", decs[1]), Step("c", decs[2])], 6.5, clock)
    assert c.run(FRAME).tried == ("a", "b")
    r = c.run(FRAME)                # c runs as this frame's first fallback and finds Y
    assert r.tried == ("a", "c") and r.codes == (RawCode(b"Y"),)
    assert c.run(FRAME).tried == ("a", "b")      # after a read: from the cheapest again


def test_a_failing_decoder_is_logged_and_skipped(caplog):
    clock = Clock()
    bad = FakeDecoder("bad", clock, 1, error=RuntimeError("boom"))
    good = FakeDecoder("good", clock, 1, [RawCode(b"Z")])
    c = Cascade([Step("bad", bad), Step("good", good)], 20, clock)
    r = c.run(FRAME)
    assert r.step == "good" and "boom" in caplog.text


def test_steps_that_do_not_apply_are_skipped_without_using_the_turn():
    clock = Clock()
    small = np.zeros((100, 100), np.uint8)
    dec = FakeDecoder("d", clock, 1)
    c = Cascade([Step("a", dec), Step("half", dec, preprocess.half), Step("b", dec)], 20, clock)
    assert c.run(small).tried == ("a", "b")      # half needs >= 128 px


def test_codes_come_back_largest_first_in_frame_coordinates():
    clock = Clock()
    small = RawCode(b"small", (), ((0, 0), (10, 0), (10, 10), (0, 10)))
    big = RawCode(b"big", (), ((0, 0), (100, 0), (100, 100), (0, 100)))
    dec = FakeDecoder("d", clock, 1, [small, big])
    c = Cascade([Step("half", dec, preprocess.half)], 20, clock)
    r = c.run(FRAME)
    assert [x.data for x in r.codes] == [b"big", b"small"]
    assert r.codes[0].quad[2] == (200.0, 200.0)          # half-size corners scaled back


def test_centre_crop_corners_map_back_into_the_frame():
    img, factor, origin = preprocess.centre_double(FRAME)
    assert img.shape == (720, 1280) and factor == 0.5 and origin == (320, 180)
    assert RawCode(b"x", (), ((0, 0),)).mapped(factor, origin).quad == ((320.0, 180.0),)


def test_default_cascade_starts_with_zxing_then_falls_back_to_zbar():
    names = [s.name for s in default_steps()]
    assert names[0] == "zxing"
    assert names.index("zbar/half") > names.index("zxing/adaptive")
    with pytest.raises(ValueError):
        Cascade([], 20)
