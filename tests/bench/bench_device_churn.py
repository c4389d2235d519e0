"""Devices coming and going (issue #12): each device unplugged and replugged 100 times while
visits run -- the ID card reader and the serial scanner (their ptys closed and reopened), the
camera (its index vanishing), the network printer (the virtual printer server stopped and
started) -- through the real kiosk composition against a real hall on 127.0.0.1. The rig and
what is checked each cycle: tests/integration/device_churn.py. Figures: docs/reliability.md.

    .venv/bin/python tests/bench/bench_device_churn.py [--cycles 100] [--json out.json]

Exits non-zero if any device crashed, came back later than 2 s, showed a wrong status (on the
screen or in the hall's heartbeat) or failed a visit.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.integration.device_churn import churn  # noqa: E402


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def ms(x) -> str:
    return "-" if x is None else f"{x * 1000:.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=int(os.environ.get("CHURN_CYCLES", "100")))
    ap.add_argument("--json", help="write the per-device summaries here")
    args = ap.parse_args()
    # Only errors: each unplug is a warning by design (a line per cycle would drown the figures).
    logging.basicConfig(format="%(name)s: %(message)s")
    logging.getLogger().setLevel(logging.ERROR)
    print(f"device churn, {args.cycles} unplug/replug cycles per device; start: {load()}", flush=True)

    def progress(device, cycle):
        if cycle.n % 25 == 0 or cycle.wrong or not cycle.visit_ok:
            print(f"  {device} #{cycle.n}: back in {ms(cycle.recover_s)}, visit "
                  f"{'ok' if cycle.visit_ok else 'FAILED'}{'; ' + '; '.join(cycle.wrong) if cycle.wrong else ''}",
                  flush=True)

    reports = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        reports += churn(Path(tmp) / "a", ("idcard", "serial_scanner"), args.cycles, "serial", progress)
        print(f"  ({load()})", flush=True)
        reports += churn(Path(tmp) / "b", ("camera", "printer"), args.cycles, "camera", progress)
    wall = time.monotonic() - t0

    print(f"\n{'device':15s} {'cycles':>6s} {'crashes':>7s} {'back: median':>12s} {'max':>8s} "
          f"{'detect: median':>14s} {'max':>8s} {'hall lag max':>12s} {'>2 s':>5s} {'wrong':>5s} {'visits failed':>13s}")
    bad = False
    rows = []
    for r in reports:
        s = r.summary()
        rows.append(s)
        print(f"{s['device']:15s} {s['cycles']:6d} {s['crashes']:7d} {ms(s['recover_median_s']):>12s} "
              f"{ms(s['recover_max_s']):>8s} {ms(s['detect_median_s']):>14s} {ms(s['detect_max_s']):>8s} "
              f"{ms(s['hall_lag_max_s']):>12s} {s['not_back_in_2s']:5d} {s['wrong_statuses']:5d} "
              f"{s['failed_visits']:13d}")
        for w in s["wrong"]:
            print(f"    {w}")
        bad |= bool(s["crashes"] or s["not_back_in_2s"] or s["wrong_statuses"] or s["failed_visits"])
    print(f"\nwall {wall:.0f} s; end: {load()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"load_end": os.getloadavg(), "wall_s": wall, "devices": rows},
                                              ensure_ascii=False, indent=1), "utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
