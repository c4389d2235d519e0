"""Whole visits with planted personal data, for the privacy scan (issue #12). Run in a process of
its own (Kivy opens one window per process) by test_privacy_scan.py and bench_privacy_scan.py:

    TMPDIR=<out>/tmp SDL_VIDEODRIVER=offscreen .venv/bin/python tests/integration/privacy_visits.py <out> <visits>

It is `kiosk demo --autopilot --scenario soak` (the real app, simulated devices, the embedded
hall on 127.0.0.1) with four things changed, none of them in the app:
  - the card on the simulated reader is PLANTED_CARD (privacy_scan.py), on every visit;
  - the phone field is filled with PLANTED_PHONE (the soak fills required fields with examples);
  - the autopilot's screenshots are not written: a production terminal (`kiosk run`) takes none,
    so the tree scanned is what a terminal in a hall writes (the demo's shots show the review
    screen, with the name on it, by design);
  - after the last visit it waits until the outbox has delivered everything (materials follow
    their application in the background), so "after delivery" is what is scanned.
After delivery it copies the data directory as it is on disk at that moment (WAL included) to
<out>/at-kill/, the state a power cut would leave. At the end it writes a Python traceback of all threads to <out>/crash/faulthandler.txt, as a
watchdog dump or a fatal signal would (faulthandler), so that channel is in the scan too.
"""
from __future__ import annotations

import faulthandler
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import drivers.idcard.simulator as simulator  # noqa: E402
import terminal.app  # noqa: E402
import terminal.cli  # noqa: E402
import kiosk.domain.form as form  # noqa: E402
from tests.integration.privacy_scan import PLANTED_CARD, PLANTED_PHONE  # noqa: E402

OUT = Path(sys.argv[1]).resolve()
VISITS = int(sys.argv[2])
runtimes = []

simulator.SAMPLE_CARD = PLANTED_CARD             # terminal.cli._demo imports it when it runs

_example_value = form.example_value
form.example_value = lambda f: PLANTED_PHONE if f.type == "phone" else _example_value(f)

_build_runtime = terminal.app.build_runtime


def build_runtime(cfg, out_dir):
    runtime = _build_runtime(cfg, out_dir)
    runtimes.append(runtime)
    return runtime


terminal.app.build_runtime = build_runtime


def patch_autopilot() -> None:
    """After Kivy's set-up (screens.autopilot imports Kivy, which reads KIVY_HOME at import)."""
    import screens.autopilot as autopilot

    autopilot.save_window = lambda target, timeout_s=20.0: target     # no screenshot written
    run_soak_visits = autopilot.Autopilot.run_soak

    def run_soak(self, sessions: int) -> dict:
        summary = run_soak_visits(self, sessions)
        summary["after_visits"] = after_visits(self)
        runtime = runtimes[0]
        deadline = time.monotonic() + 120
        while runtime.outbox.pending_count() and time.monotonic() < deadline:
            runtime.sender.wake()
            time.sleep(0.2)
        summary["outbox_pending_at_end"] = runtime.outbox.pending_count()
        # The data directory as a power cut or SIGKILL would leave it now (the outbox's WAL and
        # all): a terminal runs for weeks without closing its database, so what is on disk
        # while it runs matters as much as what a clean shutdown leaves.
        live = Path(runtime.config.storage.data_dir)
        at_kill = OUT / "at-kill"
        at_kill.mkdir(exist_ok=True)
        for f in live.iterdir():
            if f.is_file():
                (at_kill / f.name).write_bytes(f.read_bytes())
        crash = OUT / "crash"
        crash.mkdir(exist_ok=True)
        with (crash / "faulthandler.txt").open("w") as f:
            faulthandler.dump_traceback(f, all_threads=True)
        return summary

    autopilot.Autopilot.run_soak = run_soak

    soak_visit = autopilot.Autopilot._soak_visit

    def visit_or_walk_away(self, lang, elder, tag):
        """A visit the autopilot could not finish (on a loaded machine a camera hiccup rebuilt the
        materials screen under its finger once in 18 visits) counts as a person walking away: the
        card is lifted and the kiosk's idle timeout ends the session. Counted in the summary; for
        the scan an abandoned visit is one more case, not a reason to stop."""
        try:
            return soak_visit(self, lang, elder, tag)
        except autopilot.AutopilotError as e:
            self.summary["visits_abandoned"] = self.summary.get("visits_abandoned", 0) + 1
            autopilot.log.warning("visit abandoned (%s); waiting for the idle timeout", e)
            self.actions.remove_card()
            self._soak_wait(lambda s: s.screen == "attract" and s.session.card is None, 240.0)
            return {}

    autopilot.Autopilot._soak_visit = visit_or_walk_away


def after_visits(pilot) -> dict:
    """The same person comes back: the progress of the last application (its receipt QR, proved
    with the card), the list of their applications, and their own credit report, printed as the
    summary slip and as the full A4 report (a PDF, sent to CUPS when a queue is set)."""
    pilot.actions.show_receipt_qr()
    pilot.wait_screen("progress_detail", lambda s: s.session.card is None and bool(s.session.message))
    pilot.actions.place_card()
    pilot.wait_screen("progress_detail", lambda s: s.session.progress is not None)
    status = pilot.app.current_snapshot.session.progress.status_text
    pilot.tap("btn_back")
    pilot.wait_screen("home")
    pilot.tap("btn_progress")
    pilot.wait_screen("progress", lambda s: bool(s.session.applications))
    listed = len(pilot.app.current_snapshot.session.applications)
    pilot.tap("btn_back")
    pilot.wait_screen("home")
    pilot.tap("btn_credit")
    pilot.wait_screen("credit")
    pilot.tap("btn_person")
    pilot.wait_screen("credit_report", lambda s: s.session.credit is not None)
    report_no = pilot.app.current_snapshot.session.credit.report_no
    pilot.tap("btn_print_summary")
    pilot.wait_screen("credit_report", lambda s: "打印" in s.session.message)
    pilot.tap("btn_print_a4")
    pilot.wait_screen("credit_report", lambda s: "完整报告" in s.session.message)
    a4_message = pilot.app.current_snapshot.session.message
    pilot.tap("btn_back")
    pilot.wait_screen("credit")
    pilot.tap("btn_back")
    pilot.wait_screen("home")
    pilot.tap("btn_logout")
    pilot.wait_screen("attract")
    pilot.actions.remove_card()
    return {"progress_status": status, "applications_listed": listed, "credit_report": report_no,
            "a4_message": a4_message}


_prepare_kivy = terminal.cli._prepare_kivy


def prepare_kivy(kivy_home, cfg):
    _prepare_kivy(kivy_home, cfg)
    patch_autopilot()


terminal.cli._prepare_kivy = prepare_kivy

if __name__ == "__main__":
    import logging
    import os

    # PRIVACY_LOG_LEVEL=DEBUG: the journal as a technician who turned on debugging would have it
    # (urllib3 then logs every request line). terminal.cli's own basicConfig(INFO) is then a no-op.
    level = os.environ.get("PRIVACY_LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    code = terminal.cli.main(["demo", "--autopilot", "--scenario", "soak", "--sessions", str(VISITS), "--out", str(OUT)])
    summary = json.loads((OUT / "autopilot.json").read_text("utf-8")) if (OUT / "autopilot.json").exists() else {}
    print(json.dumps({"code": code, "sessions": summary.get("sessions"), "after_visits": summary.get("after_visits"),
                      "outbox_pending_at_end": summary.get("outbox_pending_at_end"), "visits_abandoned": summary.get("visits_abandoned", 0),
                      "visit_s": summary.get("visit_s")}), flush=True)
    sys.exit(code)
