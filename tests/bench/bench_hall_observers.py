"""What one `/metrics` scrape and one console dashboard poll cost the hall, at N terminals.

Enrols N terminals (tests/bench/bench_hall_heartbeat.py `prepare`), gives each a heartbeat row
(a mix of green, amber, red and offline ones), logs a console user in, starts `hall serve` (one
process, SQLite) and, with no heartbeat load, measures the hall process's CPU seconds (/proc)
and wall time per request:

- `/metrics`: a scrape after the cache (if any) has expired, and two scrapers at once;
- `/console/api/terminals`: the first poll of a console (everything), then a console polling
  every 2 s as console.js does (sending back the version it last saw, when the hall gives one).

    .venv/bin/python tests/bench/bench_hall_observers.py [--terminals 10000] [--rounds 5]

Plain script: not collected by pytest; loopback traffic only, bounded in count and time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_hall_heartbeat import INTERVAL_S, ROOT, cpu_seconds, free_port, prepare, serve, session_pids, stop  # noqa: E402

sys.path.insert(0, str(ROOT))
from hall import db  # noqa: E402
from hall.monitoring import beat_values  # noqa: E402


def snapshot(i: int) -> dict:
    devices = {"printer": {"state": "ok", "code": "", "detail": ""},
               "idcard": {"state": "ok", "code": "", "detail": ""},
               "scanner": {"state": "ok", "code": "", "detail": ""}}
    outbox = 0
    if i % 50 == 1:
        devices["printer"]["state"] = "paper_near_end"
    elif i % 97 == 2:
        devices["printer"]["state"] = "paper_out"
    elif i % 113 == 3:
        outbox = 12
    # A long interval: none of them goes offline while measuring (10,000 at once would be the
    # sweeper's work, not the observers').
    return {"app_version": "0.2.0", "uptime_s": 3600 + i, "screen": "attract", "interval_s": 3600,
            "outbox_pending": outbox, "today": {"sessions": 10, "applications": 2, "prints": 3},
            "devices": devices}


def fill(url: str, pairs: list[tuple[str, str]]) -> str:
    """Heartbeat rows for every terminal (every 300th one offline), a console user and a
    session; returns the session cookie's value."""
    from hall.console import auth

    d = db.Database(url)
    now = db.utcnow()
    rows = []
    for i, (tid, _tok) in enumerate(pairs):
        row = beat_values(tid, snapshot(i), INTERVAL_S, now)
        if i % 300 == 5:          # stopped heartbeating 10 minutes ago
            row["received_at"] = now - dt.timedelta(minutes=10)
            row["offline_after"] = row["received_at"] + dt.timedelta(seconds=3 * INTERVAL_S)
        rows.append(row)
    with d.engine.begin() as conn:
        conn.execute(db.Heartbeat.__table__.insert(), rows)
    with d.session() as s:
        user = auth.create_user(s, "bench", "Observer-pass-2024", "manager", "压测", must_change_password=False)
        cookie, _csrf = auth.new_session(s, user)
    d.dispose()
    return cookie


def get(url: str, cookie: str | None = None) -> bytes:
    req = urllib.request.Request(url, headers={"Cookie": f"hall_console={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def measure(pids, fn, rounds: int, gap: float = 0.0) -> tuple[float, float, int]:
    """(CPU s per call of the hall, wall s per call, bytes of the last answer)."""
    cpu0, wall, size = cpu_seconds(pids), 0.0, 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        size = len(fn())
        wall += time.perf_counter() - t0
        if gap:
            time.sleep(gap)
    cpu = cpu_seconds(pids) - cpu0
    idle_cpu = 0.0
    if gap:                        # the hall's background work (token re-check, sweep) while we slept
        c0 = cpu_seconds(pids)
        time.sleep(gap * 2)
        idle_cpu = (cpu_seconds(pids) - c0) / (gap * 2) * gap * rounds
    return (cpu - idle_cpu) / rounds, wall / rounds, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--terminals", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--metrics-gap", type=float, default=6.0,
                    help="seconds between measured scrapes (longer than the hall's metrics cache)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-observers-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'hall.db'}"
        pairs = prepare(url, args.terminals)
        cookie = fill(url, pairs)
        port = free_port()
        proc = serve(url, port, workdir, 1)
        base = f"http://127.0.0.1:{port}"
        try:
            pids = session_pids(proc.pid)
            time.sleep(2)
            print(f"{args.terminals} terminals, load1 {os.getloadavg()[0]:.2f}")
            get(base + "/metrics")                                   # warm (imports, caches)
            time.sleep(args.metrics_gap)
            cpu, wall, size = measure(pids, lambda: get(base + "/metrics"), args.rounds, args.metrics_gap)
            print(f"/metrics scrape:            {cpu * 1000:7.0f} ms CPU  {wall * 1000:7.0f} ms wall  {size / 1e6:.2f} MB")

            def two_at_once():
                out = []
                t = threading.Thread(target=lambda: out.append(get(base + "/metrics")))
                t.start()
                b = get(base + "/metrics")
                t.join()
                return b
            time.sleep(args.metrics_gap)
            cpu, wall, size = measure(pids, two_at_once, args.rounds, args.metrics_gap)
            print(f"/metrics, 2 scrapers:       {cpu * 1000:7.0f} ms CPU  {wall * 1000:7.0f} ms wall  (per pair)")

            poll = base + "/console/api/terminals"
            get(poll, cookie)
            time.sleep(3)
            cpu, wall, size = measure(pids, lambda: get(poll, cookie), args.rounds, 3.0)
            print(f"console poll, first/full:   {cpu * 1000:7.0f} ms CPU  {wall * 1000:7.0f} ms wall  {size / 1e6:.2f} MB")

            state = {"version": None}

            def steady():
                q = "?" + urllib.parse.urlencode({"since": state["version"]}) if state["version"] else ""
                body = get(poll + q, cookie)
                state["version"] = json.loads(body).get("version")
                return body
            steady()
            cpu, wall, size = measure(pids, steady, args.rounds * 2, 2.0)
            print(f"console poll, every 2 s:    {cpu * 1000:7.0f} ms CPU  {wall * 1000:7.0f} ms wall  {size / 1e3:.1f} kB"
                  f"  (version-aware: {state['version'] is not None})")
            print(f"load1 {os.getloadavg()[0]:.2f}")
        except Exception:
            log = (workdir / "hall.log").read_text("utf-8").splitlines()
            print("\n".join(line for line in log if "is offline" not in line and "alembic" not in line)[-12000:],
                  file=sys.stderr)
            raise
        finally:
            stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
