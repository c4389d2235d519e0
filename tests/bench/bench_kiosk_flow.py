"""Whole-visit timings of the real app (offscreen window, simulated reader on a pty, virtual
printer over TCP, embedded hall over HTTP): process start to the attract screen, card placed to
the home screen, 确认提交 to the receipt printed. Runs `kiosk demo --autopilot` N times."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def one_run(out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["SDL_VIDEODRIVER"] = "offscreen"
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "terminal.cli", "demo", "--autopilot", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    summary = json.loads((out / "autopilot.json").read_text("utf-8"))
    summary["wall_s"] = wall
    return summary


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            rows.append(one_run(Path(tmp) / f"run{i}"))
    print(f"kiosk flow, {RUNS} runs (offscreen, 1280x800, {os.cpu_count()} cores)")
    for key, unit in (("card_to_home_ms", "ms"), ("confirm_to_printed_ms", "ms"), ("wall_s", "s")):
        vals = [r[key] for r in rows]
        print(f"  {key:24s} median {statistics.median(vals):8.1f} {unit}   min {min(vals):8.1f}   max {max(vals):8.1f}")


if __name__ == "__main__":
    main()
