"""Fuzz every input parser for 10^6 inputs in total (issue #12, "Bad input"); `make fuzz`, and
part of `make bench`.

Each target of tests/fuzz/targets.py runs in its own process under atheris (coverage-guided
libFuzzer) for its share of the million (--scale multiplies the shares: 0.01 for a quick look).
Fails if any target raised anything but its own typed errors, broke a promise, took over 1 s
of CPU on one input, or grew past the RSS limit; prints a table of inputs, time, slowest input
(CPU and wall) and peak memory per target and writes it as JSON (--out, default test-out/fuzz/results.json).
A failing input is kept in test-out/fuzz/ (crash-*/timeout-*/oom-*): copy it into
tests/fuzz/regressions/<target>/ with the fix, so every later run replays it.

    .venv/bin/python tests/bench/bench_fuzz.py [--scale 1.0] [--only NAME ...] [--seed 1]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.fuzz.targets import TARGETS  # noqa: E402


@contextlib.contextmanager
def postgres_for(target):
    """The environment for a target's process; with a fresh PostgreSQL database when it needs one
    (a throw-away cluster on 127.0.0.1 that this process stops: the fuzzing one ends with exit())."""
    if not target.postgres:
        yield dict(os.environ)
        return
    from hall.pgtemp import TempPostgres

    pg = TempPostgres().start()
    try:
        yield {**os.environ, "FUZZ_HALL_DATABASE_URL": pg.create_database("fuzz")}
    finally:
        pg.stop()


def run_target(name: str, runs: int, out_dir: Path, seed: int, timeout_s: float) -> dict:
    stats_file = out_dir / f"{name}.json"
    log_file = out_dir / f"{name}.log"
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "tests.fuzz.runner", name, "--runs", str(runs), "--seed", str(seed),
           "--out", str(stats_file), "--artifacts", str(out_dir), "--workdir", str(work)]
    started = time.monotonic()
    with log_file.open("w") as log, postgres_for(TARGETS[name]) as env:
        try:
            rc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, timeout=timeout_s,
                                env=env).returncode
        except subprocess.TimeoutExpired:
            rc = -1
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {"inputs": 0}
    stats.update(rc=rc, wall_s=round(time.monotonic() - started, 1), log=str(log_file))
    if rc != 0:
        text = log_file.read_text(errors="replace")
        start = max(text.rfind("=== Uncaught"), text.rfind("ERROR: libFuzzer"))
        stats["failure"] = text[start:start + 2000] if start >= 0 else text[-2000:]
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(REPO / "test-out" / "fuzz" / "results.json"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out.parent / "work", ignore_errors=True)      # the previous run's corpora
    names = args.only or list(TARGETS)
    results, failed = {}, []
    print(f"{'target':<15} {'inputs':>9} {'time s':>8} {'max CPU ms':>10} {'max wall ms':>11} {'RSS MB 10%→end':>15}"
          "  typed errors let through")
    for name in names:
        runs = max(100, int(TARGETS[name].share * args.scale))
        s = run_target(name, runs, out.parent, args.seed, timeout_s=max(600, runs / 50))
        results[name] = s
        ok = s["rc"] == 0 and s["inputs"] >= runs and s.get("max_cpu_s", 9) < 1.0
        failed += [] if ok else [name]
        print(f"{name:<15} {s['inputs']:>9,} {s['wall_s']:>8.1f} {s.get('max_cpu_s', 0) * 1000:>10.1f} "
              f"{s.get('max_s', 0) * 1000:>11.1f} "
              f"{s.get('rss_mb_10pct') or 0:>7.0f}→{s.get('rss_mb_end') or 0:<7.0f}  {TARGETS[name].typed}"
              + ("" if ok else f"   FAILED (rc {s['rc']})"), flush=True)
        if not ok:
            print(s.get("failure", ""), flush=True)
    total = sum(s["inputs"] for s in results.values())
    summary = {"inputs": total, "wall_s": round(sum(s["wall_s"] for s in results.values()), 1),
               "max_s": max((s.get("max_s", 0) for s in results.values()), default=0),
               "max_cpu_s": max((s.get("max_cpu_s", 0) for s in results.values()), default=0),
               "peak_rss_mb": max((s.get("rss_mb_end") or 0 for s in results.values()), default=0),
               "failed": failed, "load": os.getloadavg(), "targets": results}
    out.write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(f"total: {total:,} inputs in {summary['wall_s']} s; slowest input {summary['max_cpu_s'] * 1000:.1f} ms CPU, "
          f"{summary['max_s'] * 1000:.1f} ms wall; "
          f"peak RSS {summary['peak_rss_mb']:.0f} MB; load {summary['load'][0]:.1f}; failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
