"""The long crash and outage soak (issue #12): 200 SIGKILLs of the real kiosk process and 50
hall outages; prints the figures docs/reliability.md quotes and exits 1 on any loss or duplicate.

    .venv/bin/python tests/bench/bench_outbox_soak.py [--kills 200] [--outages 50] [--seed 1]
(`make soak` runs it with the defaults.)"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import shutil
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.soak.driver import run_soak  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--kills", type=int, default=200)
    p.add_argument("--outages", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    # Kept (logs, both databases) for a look after a failure; not under /tmp, which other
    # jobs on a shared machine may clean while the soak runs.
    work = Path(__file__).resolve().parents[2] / "test-out" / "outbox-soak"
    shutil.rmtree(work, ignore_errors=True)
    fig = run_soak(work, kills=args.kills, outages=args.outages, seed=args.seed)
    load = os.getloadavg()
    out = dataclasses.asdict(fig)
    out["total_kills"] = fig.total_kills
    out["loadavg"] = [round(x, 2) for x in load]
    print(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"outbox soak: {fig.total_kills} kills, {fig.outages} hall outages ({fig.hall_crashes} by SIGKILL), "
          f"{fig.visits_started} visits, {fig.shown_submitted} shown 提交成功 + {fig.shown_queued} 待上传, "
          f"{fig.in_hall} applications / {fig.materials_in_hall} images in the hall, {fig.seconds:.0f} s; "
          f"violations: {len(fig.violations)}")
    for v in fig.violations:
        print("  LOST/DOUBLED:", v)
    return 1 if fig.violations else 0


if __name__ == "__main__":
    sys.exit(main())
