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
    report = {"visits": summary["sessions"], "outbox_pending_at_end": summary["outbox_pending_at_end"],
              "visits_s": round(visits_s, 1), "scan_s": round(scan_s, 1), **result,
              "hits": [h.__dict__ for h in hits]}
    (OUT / "result.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    print(f"privacy scan: {report['visits']} visits in {report['visits_s']} s; scanned {report['files']} files, "
          f"{report['bytes'] / 1e6:.1f} MB for {report['needles']} needles ({report['images']} images): "
          f"{len(hits)} hits; the hall holds {', '.join(report['hall_found'])} (control)")
    for h in hits[:30]:
        print(f"  LEAK {h.path} @ {h.offset}: {h.what} ({h.encoding})")
    ok = not hits and summary["sessions"] == SESSIONS and summary["outbox_pending_at_end"] == 0 \
        and {"name", "id_number", "phone", "image"} <= set(report["hall_found"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
