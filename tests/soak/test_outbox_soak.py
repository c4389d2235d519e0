"""The short crash and outage soak in `make test` (the long one: `make soak`,
tests/bench/bench_outbox_soak.py): a real hall process, the real kiosk process killed with
SIGKILL 20 times at chosen points (inside the SQLite write, during the HTTP request, after the
hall committed but before its reply arrived, at random) and the hall stopped 4 times. Every
application shown as 提交成功 or 待上传 must be in the hall exactly once with both photos and
the signature; none the person did not confirm may be there (tests/soak/driver.py checks)."""
from __future__ import annotations

from tests.soak.driver import KILL_MODES, run_soak


def test_short_soak_loses_and_doubles_nothing(tmp_path):
    fig = run_soak(tmp_path / "soak", kills=20, outages=4, seed=12)
    assert fig.violations == []
    # the run must have exercised what it claims, or it proves nothing
    assert fig.total_kills == 20 and all(fig.kills[m] == 4 for m in KILL_MODES)
    assert fig.outages == 4
    assert fig.kills["sqlite"] - fig.sqlite_missed >= 2          # died inside SQLite for real
    assert any(k.startswith("after-commit") for k in fig.traps)   # the hall answered, the kiosk never heard
    assert fig.shown_submitted + fig.shown_queued >= 5 and fig.in_hall >= 5
