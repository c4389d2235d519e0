"""Heartbeat benchmark: N simulated terminals heartbeating at a 15 s interval, compressed in time.

For N = 500, 2,000 and 10,000 terminals (enrolled in the database beforehand) the hall runs as
`hall serve` in its own process(es); this script sends heartbeats open-loop at the rate N
terminals produce (N / 15 per second) for DURATION seconds over keep-alive connections, each
from a terminal's own token, and reports sustained heartbeats/s and p50/p99 latency measured
from each heartbeat's scheduled time (so a server that falls behind shows it in the latency).
Runs on SQLite (a file, WAL) and on PostgreSQL (a throw-away durable cluster, hall/pgtemp.py).

    .venv/bin/python tests/bench/bench_hall_heartbeat.py [--duration 20] [--sizes 500,2000,10000]
        [--backends sqlite,postgresql] [--workers 1]

Target (issue 6): 10,000 terminals on one 2-core machine with p99 < 100 ms. Plain script: not
collected by pytest; loopback traffic only, bounded in count and time.
"""
from __future__ import annotations

import argparse
import asyncio
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


async def run_load(port: int, pairs: list[tuple[str, str]], duration: float) -> dict:
    rate = len(pairs) / INTERVAL_S
    total = int(rate * duration)
    requests_ = [request_bytes(t, tok, port, i) for i, (t, tok) in enumerate(pairs)]
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    errors = {"count": 0}
    start = time.perf_counter() + 0.5

    async def worker():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            item = await queue.get()
            if item is None:
                writer.close()
                return
            scheduled, raw = item
            for attempt in (1, 2):
                try:
                    writer.write(raw)
                    status = await read_response(reader)
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    # An idle keep-alive connection the server closed: reconnect, send once more.
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    status = 0
            if status == 0:
                errors["count"] += 1
                continue
            if status != 200:
                errors["count"] += 1
            latencies.append(time.perf_counter() - scheduled)

    workers = [asyncio.create_task(worker()) for _ in range(CONNECTIONS)]
    for k in range(total):                     # open loop: send on schedule, whatever the server does
        scheduled = start + k / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((scheduled, requests_[k % len(requests_)]))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*workers), timeout=duration + 120)
    elapsed = time.perf_counter() - start
    lat = sorted(latencies)
    return {"sent": total, "ok": len(lat), "errors": errors["count"], "target_per_s": rate,
            "achieved_per_s": len(lat) / elapsed, "p50_ms": statistics.median(lat) * 1000 if lat else None,
            "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000 if lat else None}


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


def one(backend: str, n: int, duration: float, workers: int, pg: TempPostgres | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-hall-") as tmp:
        workdir = Path(tmp)
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'hall.db'}"
        else:
            name = f"bench_{n}_{os.getpid()}"
            url = pg.create_database(name)
        pairs = prepare(url, n)
        port = free_port()
        proc = serve(url, port, workdir, workers)
        try:
            result = asyncio.run(run_load(port, pairs, duration))
        finally:
            stop(proc)
            if backend != "sqlite":
                pg.drop_database(name)
        return {"backend": backend, "terminals": n, "workers": workers, **result}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of load per run (default 20)")
    ap.add_argument("--sizes", default="500,2000,10000")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes for the hall")
    args = ap.parse_args()
    pg = None
    backends = args.backends.split(",")
    if "postgresql" in backends:
        try:
            pg = TempPostgres(durable=True).start()
        except PostgresUnavailable as e:
            print(f"skipping PostgreSQL: {e}")
            backends.remove("postgresql")
    print(f"{'backend':<11}{'terminals':>10}{'target/s':>10}{'done/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    try:
        for backend in backends:
            for n in (int(x) for x in args.sizes.split(",")):
                r = one(backend, n, args.duration, args.workers, pg)
                print(f"{r['backend']:<11}{r['terminals']:>10}{r['target_per_s']:>10.1f}{r['achieved_per_s']:>9.1f}"
                      f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['errors']:>8}", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
