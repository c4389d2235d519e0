"""The privacy scan at length (issue #12): 100 whole visits (BENCH_SESSIONS=n for fewer) with a
planted card and phone through the real app, simulated devices and the embedded hall, then every
file the kiosk wrote searched for them (tests/integration/privacy_scan.py says what and how).
Fails (exit 1) on any hit. The short version is tests/integration/test_privacy_scan.py.
Results: test-out/privacy-scan/result.json and one line for docs/reliability.md."""
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.integration.privacy_scan import run_visits, scan_run  # noqa: E402

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "100"))
OUT = ROOT / "test-out" / "privacy-scan"


def delivery_cost(items: int = 200, payload_kb: int = 120) -> dict:
    """What the outbox's privacy costs per delivered item: mark_sent (UPDATE payload=NULL with
    secure_delete, then the WAL checkpointed and truncated) on photo-sized payloads, in ms; and,
    for comparison, the bare UPDATE as it was before (on the same connection, bypassing
    mark_sent: a bench may look inside)."""
    import base64
    import random
    import statistics
    import tempfile

    from kiosk.clock import SystemClock
    from kiosk.outbox import SqliteOutbox

    def run(bare: bool) -> list[float]:
        rng = random.Random(3)
        with tempfile.TemporaryDirectory() as d:
            box = SqliteOutbox(Path(d) / "outbox.sqlite3", SystemClock())
            times = []
            for i in range(items):
                payload = {"data_b64": base64.b64encode(rng.randbytes(payload_kb * 768)).decode()}
                box.enqueue(f"k{i}", "material", payload)
                t0 = time.perf_counter()
                if bare:
                    box._db.execute("UPDATE outbox SET state='sent', payload=NULL, result='{}' WHERE key=?", (f"k{i}",))
                else:
                    box.mark_sent(f"k{i}", {"ok": True})
                times.append((time.perf_counter() - t0) * 1000)
            box.close()
        return sorted(times)

    out = {"items": items, "payload_kb": payload_kb}
    for name, times in (("mark_sent", run(False)), ("bare_update", run(True))):
        out[name] = {"median_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95)], 2)}
    return out


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    t0 = time.monotonic()
    summary = run_visits(OUT, SESSIONS, timeout_s=60 * 60)
    visits_s = time.monotonic() - t0
    t1 = time.monotonic()
    result = scan_run(OUT)
    scan_s = time.monotonic() - t1
    hits = result.pop("kiosk_hits")
    report = {"visits": summary["sessions"], "visits_abandoned": summary.get("visits_abandoned", 0),
              "outbox_pending_at_end": summary["outbox_pending_at_end"], "after_visits": summary.get("after_visits"),
              "visits_s": round(visits_s, 1), "scan_s": round(scan_s, 1), **result,
              "hits": [h.__dict__ for h in hits]}
    report["delivery_cost"] = delivery_cost()
    print(f"outbox mark_sent with secure_delete + WAL truncate: {report['delivery_cost']}")
    (OUT / "result.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    print(f"privacy scan: {report['visits']} visits ({report['visits_abandoned']} abandoned) in {report['visits_s']} s; scanned {report['files']} files, "
          f"{report['bytes'] / 1e6:.1f} MB for {report['needles']} needles ({report['images']} images): "
          f"{len(hits)} hits; the hall holds {', '.join(report['hall_found'])} (control)")
    for h in hits[:30]:
        print(f"  LEAK {h.path} @ {h.offset}: {h.what} ({h.encoding})")
    ok = not hits and summary["sessions"] == SESSIONS and summary["outbox_pending_at_end"] == 0 \
        and {"name", "id_number", "phone", "image"} <= set(report["hall_found"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
