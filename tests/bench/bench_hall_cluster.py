"""Heartbeats through nginx to 1, 2 and 3 hall instances on one PostgreSQL, side by side (issue #16).

The same load generator as bench_hall_heartbeat.py (open loop at N terminals / 15 s, each from a
terminal's own token, p50/p99 from each heartbeat's scheduled time), sent to nginx with the
shipped config/nginx/hall-cluster.conf (plain HTTP here: TLS would only add nginx's work) in front
of `hall serve` instances with `cluster = true` (tests/integration/hall_cluster.py starts them).
Per run: heartbeats/s achieved, p50/p99, errors; CPU seconds per 1,000 heartbeats of the hall
instances, PostgreSQL, nginx and the generator; PostgreSQL's commits and WAL bytes per heartbeat
(pg_stat_database, pg_current_wal_lsn: what docs/scale.md extrapolates the write rate from); the
machine's busy cores and load average.

Where the database becomes the limit: PostgreSQL's CPU per heartbeat sets a ceiling of
1 core / (db CPU per heartbeat) whatever the number of instances; the last column prints it.

On the 2-core development machine every instance, PostgreSQL, nginx and the generator share two
cores (and other people's tests): a ratio between 1, 2 and 3 instances here shows overhead and
the database's share, not what N machines give (each instance with cores of its own).

    .venv/bin/python tests/bench/bench_hall_cluster.py [--instances 1,2,3] [--sizes 10000,30000]
        [--duration 20] [--warmup 15]

Plain script: not collected by pytest; loopback traffic only, bounded in count and time.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_hall_heartbeat import INTERVAL_S, ROOT, _run, children_of, cpu_seconds, machine_busy, prepare, run_load  # noqa: E402

sys.path.insert(0, str(ROOT))
import psycopg  # noqa: E402

from hall.pgtemp import PostgresUnavailable, TempPostgres  # noqa: E402
from tests.integration.hall_cluster import Cluster  # noqa: E402


def pg_counters(pg: TempPostgres, name: str) -> tuple[int, int]:
    """(commits so far in database `name`, WAL position in bytes)."""
    with psycopg.connect(f"host=127.0.0.1 port={pg.port} user=hall dbname=postgres", autocommit=True) as c:
        commits = c.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()[0]
        wal = c.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()[0]
    return int(commits), int(wal)


def one(pg: TempPostgres, instances: int, n: int, duration: float, warmup: float) -> dict:
    name = f"bench_cluster_{instances}_{n}_{os.getpid()}"
    url = pg.create_database(name)
    try:
        pairs = prepare(url, n)
        with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp, Cluster(url, instances, Path(tmp)) as cluster:
            postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])

            def probe():
                return {"hall": cpu_seconds([p for i in cluster.instances for p in i.pids]),
                        "postgres": cpu_seconds(children_of(postmaster)),
                        "nginx": cpu_seconds([cluster.nginx.proc.pid]),
                        "client": time.process_time(), "machine": machine_busy(), "load": os.getloadavg()[0],
                        "pg": pg_counters(pg, name)}

            result = _run(run_load(cluster.nginx.port, pairs, duration, probe, warmup))
    finally:
        pg.drop_database(name)
    before, after = result.pop("cpu")
    ok = max(1, result["ok"])
    per_k = 1000 / ok
    busy = (after["machine"][0] - before["machine"][0]) / max(1, after["machine"][1] - before["machine"][1])
    db_cpu = (after["postgres"] - before["postgres"]) * per_k
    return {"instances": instances, "terminals": n, **result,
            "hall_cpu_s": (after["hall"] - before["hall"]) * per_k, "db_cpu_s": db_cpu,
            "nginx_cpu_s": (after["nginx"] - before["nginx"]) * per_k,
            "client_cpu_s": (after["client"] - before["client"]) * per_k,
            "commits_per_hb": (after["pg"][0] - before["pg"][0]) / ok,
            "wal_bytes_per_hb": (after["pg"][1] - before["pg"][1]) / ok,
            "db_ceiling_per_s": 1000 / db_cpu if db_cpu > 0 else float("inf"),
            "machine_busy": busy * os.cpu_count(), "load1": before["load"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default="1,2,3")
    ap.add_argument("--sizes", default="2000,10000",
                    help="terminals (each heartbeats every 15 s): 2,000 = 133/s, 10,000 = 667/s (default both)")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds of load before measuring (default: one interval per instance: the balancer "
                         "spreads a terminal's heartbeats over the instances, and each instance looks a token up "
                         "in the database the first time it sees it)")
    args = ap.parse_args()
    try:
        pg = TempPostgres(durable=True).start()
    except PostgresUnavailable as e:
        print(f"skipped: {e}")
        return 0
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    print(f"{'inst':>4}{'terminals':>10}{'target/s':>9}{'done/s':>8}{'p50 ms':>8}{'p99 ms':>9}{'errors':>7}"
          f"{'hall':>7}{'pg':>6}{'nginx':>6}{'gen':>6}{'commits':>8}{'WAL B':>7}{'pg limit/s':>11}{'busy':>5}{'load1':>6}")
    print(f"{'':>55}{'cpu s / 1000 heartbeats':>25}{'per heartbeat':>15}")
    try:
        for n in (int(x) for x in args.sizes.split(",")):
            for k in (int(x) for x in args.instances.split(",")):
                r = one(pg, k, n, args.duration, INTERVAL_S * k if args.warmup is None else args.warmup)
                p50 = f"{r['p50_ms']:.1f}" if r["p50_ms"] is not None else "-"
                p99 = f"{r['p99_ms']:.0f}" if r["p99_ms"] is not None else "-"
                print(f"{r['instances']:>4}{r['terminals']:>10}{r['target_per_s']:>9.0f}{r['achieved_per_s']:>8.0f}"
                      f"{p50:>8}{p99:>9}{r['errors']:>7}{r['hall_cpu_s']:>7.2f}{r['db_cpu_s']:>6.2f}"
                      f"{r['nginx_cpu_s']:>6.2f}{r['client_cpu_s']:>6.2f}{r['commits_per_hb']:>8.3f}"
                      f"{r['wal_bytes_per_hb']:>7.0f}{r['db_ceiling_per_s']:>11.0f}{r['machine_busy']:>5.2f}"
                      f"{r['load1']:>6.1f}", flush=True)
    finally:
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
