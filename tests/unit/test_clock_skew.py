"""The terminal's clock against the hall's (kiosk.clock.HallTime) and how the console words it
(hall.monitoring.clock_text / assess). Pure: a controllable local clock, no network; the same
over real HTTP is tests/integration/test_clock_skew_hall.py."""
import email.utils

import pytest
import requests

from hall.monitoring import assess, clock_text
from kiosk.clock import CLOCK_OFF_S, HallTime
from kiosk.platform import _hall_epoch


class Clock:
    def __init__(self, wall: float, mono: float = 1000.0):
        self.wall, self.mono = wall, mono

    def now(self):
        return self.wall

    def monotonic(self):
        return self.mono

    def advance(self, s):
        self.wall += s
        self.mono += s


def test_offset_takes_the_midpoint_of_the_round_trip():
    local = Clock(wall=1_700_000_000.0)
    ht = HallTime(local)
    assert ht.offset_s() is None and ht.now() == local.now()          # nothing measured: local time
    # sent at mono 1000.0, answered at 1000.4; the hall said 1_700_000_600.2 (10 min ahead) in between
    local.advance(0.4)
    ht.measure(1000.0, 1000.4, 1_700_000_600.2)
    assert ht.rtt_s() == pytest.approx(0.4)
    assert ht.offset_s() == pytest.approx(600.0)      # hall at mono 1000.2 = 600.2 - 0.2 s of the local wall
    assert ht.is_off()
    assert ht.now() == pytest.approx(1_700_000_600.4)  # the hall's time now, not the local one


def test_hall_time_survives_someone_setting_the_local_clock():
    local = Clock(wall=1_700_000_000.0)
    ht = HallTime(local)
    ht.measure(1000.0, 1000.0, 1_700_003_600.0)       # the terminal is an hour slow
    local.wall += 3600                                # NTP (or a person) fixes it: the wall jumps
    local.advance(5)
    assert ht.offset_s() == pytest.approx(0.0) and not ht.is_off()
    assert ht.now() == local.now()                    # back to the local clock, which is right again


def test_small_differences_keep_the_local_clock_and_are_not_flagged():
    local = Clock(wall=1_700_000_000.0)
    ht = HallTime(local)
    ht.measure(1000.0, 1000.002, 1_700_000_001.0)     # 1 s: within CORRECT_ABOVE_S
    assert ht.now() == local.now() and not ht.is_off()
    ht.measure(1000.0, 1000.002, 1_700_000_000.0 + CLOCK_OFF_S - 1)
    assert ht.now() != local.now() and not ht.is_off()   # corrected on receipts, but not flagged


def test_hall_epoch_from_header_then_date():
    r = requests.Response()
    r.headers["X-Hall-Time"] = "1700000000.125"
    r.headers["Date"] = email.utils.formatdate(1_600_000_000, usegmt=True)
    assert _hall_epoch(r) == 1700000000.125
    r.headers["X-Hall-Time"] = "nan"                  # nonsense is ignored: the Date header then
    assert _hall_epoch(r) == 1_600_000_000.5
    del r.headers["X-Hall-Time"]
    assert _hall_epoch(r) == 1_600_000_000.5
    del r.headers["Date"]
    assert _hall_epoch(r) is None


@pytest.mark.parametrize("offset, words, off", [
    (None, "未测量", False),
    (0.4, "准确（相差 0.4 秒）", False),
    (-120.0, "相差 2 分钟", False),
    (-301.0, "本机时钟快 5 分钟", True),
    (720.0, "本机时钟慢 12 分钟", True),
    (-3 * 3600.0, "本机时钟快 3.0 小时", True),
])
def test_console_words_for_the_clock(offset, words, off):
    snap = {} if offset is None else {"clock_offset_s": offset}
    assert clock_text(snap) == (words, off)
    level, reason = assess(snap)
    assert (level == "amber" and words in reason) if off else (level, reason) == ("green", "正常")
