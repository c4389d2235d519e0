"""The touchscreen as a person feels it (issue #7): cold start to the attract screen, touch ->
next screen drawn (median, p95), and memory across 100 whole visits (BENCH_SESSIONS=n for
fewer; about 6 s a visit) with where it sits (/proc/<pid>/smaps by kind). Runs the real app
offscreen with simulated devices and the embedded hall *in the same process* (so RSS includes
the hall and the simulators: the virtual printer keeps every slip's text cells, about 50 KB a
visit, which a real printer does not)."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from kiosk.memory import breakdown  # noqa: E402

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "100"))
SAMPLE_S = 0.5          # /proc/<pid>/smaps of the demo process, this often (about 20 ms a read)
FINAL_S = 1.0           # soak: from the last visit's RSS to autopilot.json written (gc, object counts)


def demo(out: Path, *args: str, samples: list | None = None) -> tuple[dict, float]:
    """Runs the demo; with `samples`, appends (wall time, smaps breakdown) of it every SAMPLE_S."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["SDL_VIDEODRIVER"] = "offscreen"
    started = time.time()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "terminal.cli", "demo", "--autopilot", "--out", str(out), *args],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True)
        stop = threading.Event()

        def sample():
            while not stop.wait(SAMPLE_S):
                b = breakdown(proc.pid)
                if b.get("total"):            # an exiting process reads as empty
                    samples.append((time.time(), b))
        if samples is not None:
            threading.Thread(target=sample, daemon=True).start()
        try:
            proc.wait(timeout=900)
        finally:
            stop.set()
            proc.kill()
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(err.read()[-3000:])
    summary = json.loads((out / "autopilot.json").read_text("utf-8"))
    summary["written_at"] = (out / "autopilot.json").stat().st_mtime
    return summary, started


def at_marks(soak: dict, samples: list, marks: list[int]) -> dict[str, dict]:
    """The breakdown at idle and at the end of visit n for each mark: the sample nearest in time
    (the visits' ends counted back from when autopilot.json was written, by visit_s) whose total
    is nearest to the RSS the soak itself measured then (the estimate is good to a second)."""
    rss, visits, end = soak["rss_per_session_kb"], soak["visit_s"], soak.get("written_at")
    if not samples or not end or len(visits) != len(rss):
        return {}
    t = end - FINAL_S
    at = {}
    for n in range(len(visits), 0, -1):       # the end of visit n, then back by its duration
        at[n] = t
        t -= visits[n - 1]
    rows = {"idle": (t, soak["rss_idle_kb"])}
    rows.update({f"after {n}": (at[n], rss[n - 1]) for n in marks if n in at})
    out = {}
    for name, (when, kb) in rows.items():
        near = [b for ts, b in samples if abs(ts - when) <= 2.0] or [min(samples, key=lambda s: abs(s[0] - when))[1]]
        out[name] = min(near, key=lambda b: abs(b["total"] - kb))
    return out


def print_breakdown(rows: dict[str, dict]) -> None:
    kinds = ("heap", "arenas", "anon_mmap", "gpu", "stacks", "files", "total")
    # heaptrack (6 visits) put most of [heap] in Mesa llvmpipe (swrast_dri.so: texture storage,
    # the window's buffers) and SDL surfaces of rendered text, all malloc()ed on the Kivy thread.
    print("    RSS by kind, MB (/proc/<pid>/smaps. heap: [heap], glibc's main arena = the Kivy thread's "
          "mallocs: llvmpipe textures, SDL text surfaces, Python; arenas: other threads' glibc arenas "
          "(camera frames, decoders, hall); anon_mmap: big mallocs, Python's arenas; gpu: dri/memfd/shm):")
    print("      " + "".join(f"{k:>11}" for k in ("", *kinds)))
    for name, b in rows.items():
        print("      " + f"{name:>11}" + "".join(f"{b.get(k, 0) / 1024:11.0f}" for k in kinds))


def p95(xs):
    return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]


def main():
    print(f"machine load before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        full, started = demo(Path(tmp) / "full")
        samples: list = []
        soak, _ = demo(Path(tmp) / "soak", "--scenario", "soak", "--sessions", str(SESSIONS), samples=samples)
    taps = [ms for _before, _after, ms in full["touches"]]
    print(f"kiosk UI (offscreen 1280x800, {os.cpu_count()} cores, embedded hall in the same process)")
    print(f"  cold start -> attract screen drawn: {full['attract_at_wall'] - started:.2f} s (target <= 3 s)")
    print(f"  touch -> next screen drawn, {len(taps)} touches: median {statistics.median(taps):.1f} ms, "
          f"p95 {p95(taps):.1f} ms, max {max(taps):.1f} ms (target p95 <= 100 ms)")
    rss = soak["rss_per_session_kb"]
    marks = [n for n in (10, 50, 100) if n < len(rss)] + [len(rss)]
    after = ", ".join(f"after {n}: {rss[n - 1] / 1024:.0f} MB" for n in dict.fromkeys(marks))
    tail = rss[len(rss) // 2:]
    visits = soak["visit_s"]
    print(f"  memory over {len(rss)} whole visits (card, matter, form with errors, submit, print, 好差评, "
          f"wipe; zh/en, normal/elder in turn; {statistics.median(visits):.1f} s per visit):")
    print(f"    RSS idle {soak['rss_idle_kb'] / 1024:.0f} MB; {after}")
    print_breakdown(at_marks(soak, samples, [n for n in (1, 3, 10, 20, 50, 100) if n < len(rss)] + [len(rss)]))
    print(f"    slope over the last {len(tail)} visits: {slope(tail):+.1f} KB per visit "
          f"({slope(tail) * 100 / 1024:+.1f} MB per 100 visits; target: no growth)")
    growth = soak.get("object_growth_after_10") or {}
    top = ", ".join(f"{k} {v:+d}" for k, v in list(growth.items())[:6])
    print(f"    live objects grown since visit 10: {top or 'none'}")
    print(f"    RSS after a final gc.collect(): {soak['rss_after_gc_kb'] / 1024:.0f} MB; soak taps retried: "
          f"{soak.get('soak_retaps', 0)}, card put back: {soak.get('card_replaced', 0)}")
    print(f"  machine load when measured: {load()}")


def slope(ys: list[int]) -> float:
    """Least-squares growth per visit (KB): robust to the saw-tooth of allocator and GC."""
    n = len(ys)
    if n < 2:
        return 0.0
    mx, my = (n - 1) / 2, sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in enumerate(ys)) / sum((x - mx) ** 2 for x in range(n))


def load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        return Path("/proc/loadavg").read_text().strip()


if __name__ == "__main__":
    main()
