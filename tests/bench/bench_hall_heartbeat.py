"""Heartbeat benchmark: N simulated terminals heartbeating at a 15 s interval.

For N = 500, 2,000 and 10,000 terminals (enrolled in the database beforehand) the hall runs as
`hall serve` in its own process(es); this script sends heartbeats open-loop at the rate N
terminals produce (N / 15 per second) over keep-alive connections, each from a terminal's own
token, from raw asyncio streams with pre-built requests (uvloop if installed: the generator
shares the machine, so it is kept cheap). After a warm-up of one interval (every terminal has
heartbeated once, as in a hall that has been running) it measures for DURATION seconds:
sustained heartbeats/s, p50/p99 latency from each heartbeat's *scheduled* time (so a server
that falls behind shows it), and CPU seconds per 1,000 heartbeats of the hall's processes, of
PostgreSQL's and of this generator (from /proc: less disturbed by other load than latency), the
machine's busy cores and its load average. Runs on SQLite (a file, WAL) and on PostgreSQL (a
throw-away durable cluster, hall/pgtemp.py).

    .venv/bin/python tests/bench/bench_hall_heartbeat.py [--duration 20] [--sizes 500,2000,10000]
        [--backends sqlite,postgresql] [--workers 1] [--warmup 15] [--reconnect] [--with-observers]

`--with-observers` adds what watches a hall while it is measured: a /metrics scrape every 15 s
and one console polling the dashboard every 2 s (bench_hall_observers.py measures what one
scrape and one poll cost on their own).

Target (issue 6): 10,000 terminals on one 2-core machine with p99 < 100 ms; results in
docs/hall.md (Benchmark). Plain script: not collected by pytest; loopback traffic only, bounded
in count and time.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hall import db  # noqa: E402
from hall.pgtemp import PostgresUnavailable, TempPostgres  # noqa: E402

INTERVAL_S = 15
CONNECTIONS = 64


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()       # fields from 3 (state) on; comm may hold spaces


def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes (from /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        f = _stat(pid)
        if f is not None:
            total += int(f[11]) + int(f[12])         # utime, stime
    return total / CLK_TCK


def session_pids(sid: int) -> list[int]:
    """Every process in session `sid` (`hall serve` and its uvicorn workers)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = _stat(int(d))
            if f is not None and int(f[3]) == sid:
                out.append(int(d))
    return out


def children_of(ppid: int) -> list[int]:
    out = [ppid]
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = _stat(int(d))
            if f is not None and int(f[1]) == ppid:
                out.append(int(d))
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, n: int) -> list[tuple[str, str]]:
    """Migrate and enrol n terminals in bulk; returns (terminal id, token) pairs."""
    d = db.Database(url)
    d.upgrade()
    pairs = [(f"T-B{i:05d}", f"bench-token-{i:05d}-{os.urandom(6).hex()}") for i in range(n)]
    with d.engine.begin() as conn:
        conn.execute(db.Terminal.__table__.insert(), [
            {"id": t, "name": f"压测终端 {i}", "location": "压测", "token_sha256": db.hash_token(tok), "revoked": False,
             "created_at": db.utcnow()} for i, (t, tok) in enumerate(pairs)])
    d.dispose()
    return pairs


def request_bytes(terminal_id: str, token: str, port: int, i: int) -> bytes:
    body = json.dumps({"app_version": "0.2.0", "uptime_s": 3600 + i, "screen": "attract", "interval_s": INTERVAL_S,
                       "outbox_pending": 0, "today": {"sessions": 10, "applications": 2, "prints": 3},
                       "devices": {"printer": {"state": "ok", "code": "", "detail": ""},
                                   "idcard": {"state": "ok", "code": "", "detail": ""},
                                   "scanner": {"state": "ok", "code": "", "detail": ""}}},
                      separators=(",", ":")).encode()
    head = (f"POST /api/v1/terminals/{terminal_id}/heartbeat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


async def read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed by the server (keep-alive timeout)")
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def run_load(port: int, pairs: list[tuple[str, str]], duration: float, probe=lambda: None,
                   warmup: float = 0.0, reconnect: bool = False, observers=None) -> dict:
    """Open-loop load at N / 15 per second for warmup + duration seconds; latencies, throughput
    and probe() (CPU counters) cover only the `duration` after the warm-up."""
    rate = len(pairs) / INTERVAL_S
    total = int(rate * (warmup + duration))
    first_measured = int(rate * warmup)
    requests_ = [request_bytes(t, tok, port, i) for i, (t, tok) in enumerate(pairs)]
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    errors = {"count": 0}
    start = time.perf_counter() + 0.5
    measure_start = start + first_measured / rate

    async def worker():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            item = await queue.get()
            if item is None:
                writer.close()
                return
            scheduled, raw = item
            if reconnect:        # a kiosk whose keep-alive expired since its last heartbeat
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for attempt in (1, 2):
                try:
                    writer.write(raw)
                    status = await read_response(reader)
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    # An idle keep-alive connection the server closed: reconnect, send once more.
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    status = 0
            if scheduled < measure_start:
                continue
            if status == 0:
                errors["count"] += 1
                continue
            if status != 200:
                errors["count"] += 1
            latencies.append(time.perf_counter() - scheduled)

    workers = [asyncio.create_task(worker()) for _ in range(CONNECTIONS)]
    watching = None
    if observers is not None:            # from the end of the warm-up to the end of the run
        async def watch():
            await asyncio.sleep(max(0.0, measure_start - time.perf_counter()))
            await observers(start + warmup + duration)
        watching = asyncio.create_task(watch())
    await asyncio.sleep(max(0.0, start - time.perf_counter() - 0.05))
    before = probe() if first_measured == 0 else None
    for k in range(total):                     # open loop: send on schedule, whatever the server does
        scheduled = start + k / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if k == first_measured and before is None:
            before = probe()
        queue.put_nowait((scheduled, requests_[k % len(requests_)]))
    for _ in workers:
        queue.put_nowait(None)
    # A hopelessly overloaded hall: give up 60 s after the last send; what is unanswered counts as errors.
    _done, late = await asyncio.wait(workers, timeout=max(0.0, start + warmup + duration - time.perf_counter()) + 60)
    for task in late:
        task.cancel()
    while not queue.empty():
        item = queue.get_nowait()
        errors["count"] += item is not None and item[0] >= measure_start
    errors["count"] += len(late)                # each stuck worker had one heartbeat in flight
    elapsed = time.perf_counter() - measure_start
    after = probe()
    if watching is not None:             # sleeping until its next scrape or poll: done
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
    lat = sorted(latencies)
    return {"cpu": (before, after), "sent": total - first_measured, "ok": len(lat), "errors": errors["count"],
            "target_per_s": rate, "achieved_per_s": len(lat) / elapsed,
            "p50_ms": statistics.median(lat) * 1000 if lat else None,
            "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000 if lat else None}


SCRAPE_EVERY_S = 15.0           # Prometheus's scrape_interval in config/prometheus/prometheus.yml
POLL_EVERY_S = 2.0              # console.js POLL_MS


def console_cookie(url: str) -> str:
    """A manager account and a console session made in the database; the session cookie's value."""
    from hall.console import auth

    d = db.Database(url)
    with d.session() as s:
        user = auth.create_user(s, "observer", "Watch-the-hall-2024", "manager", "压测", must_change_password=False)
        cookie, _csrf = auth.new_session(s, user)
    d.dispose()
    return cookie


async def observe(port: int, cookie: str, stop_at: float, stats: dict) -> None:
    """What watches a hall, alongside the heartbeats: a Prometheus scrape every 15 s and one
    console polling the dashboard every 2 s as console.js does (sending the version it has
    seen). Plain HTTP/1.1 with Connection: close; answers counted and timed in `stats`."""

    async def get(path: str, headers: str = "") -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Connection: close\r\n\r\n".encode())
        raw = await reader.read()
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        if b"transfer-encoding: chunked" in head.lower():
            out, rest = b"", body
            while rest:
                size, _, rest = rest.partition(b"\r\n")
                n = int(size, 16)
                if n == 0:
                    break
                out, rest = out + rest[:n], rest[n + 2:]
            body = out
        return body

    async def timed(kind: str, path: str, headers: str = "") -> bytes | None:
        t0 = time.perf_counter()
        try:
            body = await get(path, headers)
        except (OSError, RuntimeError, asyncio.IncompleteReadError) as e:
            stats[kind + "_errors"] = stats.get(kind + "_errors", 0) + 1
            stats[kind + "_last_error"] = str(e)
            return None
        stats.setdefault(kind + "_ms", []).append((time.perf_counter() - t0) * 1000)
        stats.setdefault(kind + "_bytes", []).append(len(body))
        return body

    async def scraper():
        while time.perf_counter() < stop_at:
            await timed("scrape", "/metrics")
            await asyncio.sleep(SCRAPE_EVERY_S)

    async def console():
        version, cookie_header = "", f"Cookie: hall_console={cookie}\r\n"
        while time.perf_counter() < stop_at:
            query = "?since=" + version if version else ""
            body = await timed("poll", "/console/api/terminals" + query, cookie_header)
            if body is not None:
                version = json.loads(body).get("version") or ""
            await asyncio.sleep(POLL_EVERY_S)

    await asyncio.gather(scraper(), console())


def serve(url: str, port: int, workdir: Path, workers: int) -> subprocess.Popen:
    config = workdir / "hall.toml"
    config.write_text(f'host = "127.0.0.1"\nport = {port}\ndatabase_url = "{url}"\n'
                      f'catalog_dir = "{ROOT / "config" / "catalog"}"\nhall_name = "压测"\n', "utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "hall.cli", "serve", "--config", str(config),
                             "--workers", str(workers)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=open(workdir / "hall.log", "w"), start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"hall did not start; see {workdir / 'hall.log'}")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)       # its own session: the workers go too
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def one(backend: str, n: int, duration: float, workers: int, pg: TempPostgres | None, warmup: float = 0.0,
        reconnect: bool = False, with_observers: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-hall-") as tmp:
        workdir = Path(tmp)
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'hall.db'}"
        else:
            name = f"bench_{n}_{os.getpid()}"
            url = pg.create_database(name)
        pairs = prepare(url, n)
        cookie = console_cookie(url) if with_observers else ""
        port = free_port()
        proc = serve(url, port, workdir, workers)
        postmaster = None
        if backend != "sqlite":
            postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])

        def probe():
            return {"server": cpu_seconds(session_pids(proc.pid)),
                    "postgres": cpu_seconds(children_of(postmaster)) if postmaster else 0.0,
                    "client": time.process_time(), "machine": machine_busy(), "load": os.getloadavg()[0]}

        seen: dict = {}
        observers = (lambda stop_at: observe(port, cookie, stop_at, seen)) if with_observers else None
        try:
            result = _run(run_load(port, pairs, duration, probe, warmup, reconnect, observers))
        finally:
            stop(proc)
            if backend != "sqlite":
                pg.drop_database(name)
        before, after = result.pop("cpu")
        per_k = 1000 / max(1, result["ok"])
        busy = (after["machine"][0] - before["machine"][0]) / max(1, after["machine"][1] - before["machine"][1])
        return {"backend": backend, "terminals": n, "workers": workers, **result,
                "server_cpu_s": (after["server"] - before["server"]) * per_k,
                "db_cpu_s": (after["postgres"] - before["postgres"]) * per_k,
                "client_cpu_s": (after["client"] - before["client"]) * per_k,
                "machine_busy": busy * os.cpu_count(), "load1": before["load"], "observers": seen}


def _run(coro):
    try:
        import uvloop                   # the generator's own CPU counts too: the cheaper the better
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of load per run (default 20)")
    ap.add_argument("--sizes", default="500,2000,10000")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes for the hall")
    ap.add_argument("--warmup", type=float, default=INTERVAL_S,
                    help="seconds of load before measuring (default one interval: every terminal has "
                         "heartbeated once, as in a hall that has been running); 0 measures a cold start")
    ap.add_argument("--reconnect", action="store_true",
                    help="a new TCP connection for every heartbeat (a kiosk's keep-alive outlives no interval)")
    ap.add_argument("--with-observers", action="store_true",
                    help="while measuring, a Prometheus scrape of /metrics every 15 s and one console polling "
                         "the dashboard every 2 s")
    args = ap.parse_args()
    pg = None
    backends = args.backends.split(",")
    if "postgresql" in backends:
        try:
            pg = TempPostgres(durable=True).start()
        except PostgresUnavailable as e:
            print(f"skipping PostgreSQL: {e}")
            backends.remove("postgresql")
    print(f"{'backend':<11}{'terminals':>10}{'target/s':>10}{'done/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'srv cpu':>9}{'db cpu':>8}{'gen cpu':>9}{'busy':>6}{'load1':>7}")
    print(f"{'':<11}{'':>10}{'':>10}{'':>9}{'':>9}{'':>9}{'':>8}{'s/1000 heartbeats':>26}{'cores':>6}{'':>7}")
    try:
        for backend in backends:
            for n in (int(x) for x in args.sizes.split(",")):
                r = one(backend, n, args.duration, args.workers, pg, args.warmup, args.reconnect,
                        args.with_observers)
                print(f"{r['backend']:<11}{r['terminals']:>10}{r['target_per_s']:>10.1f}{r['achieved_per_s']:>9.1f}"
                      f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['errors']:>8}{r['server_cpu_s']:>9.2f}"
                      f"{r['db_cpu_s']:>8.2f}{r['client_cpu_s']:>9.2f}{r['machine_busy']:>6.2f}"
                      f"{r['load1']:>7.2f}", flush=True)
                for kind in ("scrape", "poll") if args.with_observers else ():
                    o, ms = r["observers"], sorted(r["observers"].get(kind + "_ms", []))
                    if ms:
                        print(f"    {kind}: {len(ms)} answered, {statistics.median(ms):.0f} ms median, {ms[-1]:.0f} ms max, "
                              f"{max(o[kind + '_bytes']) / 1000:.0f} kB max", end="")
                    print(f"; {o[kind + '_errors']} errors ({o[kind + '_last_error']})" if o.get(kind + "_errors") else "",
                          flush=True)
    finally:
        if pg is not None:
            pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
