"""Devices coming and going (issue #12): the rig behind test_device_churn.py and
tests/bench/bench_device_churn.py.

The real kiosk composition (terminal.app.build_runtime: reader thread, scanner, printer driver,
controller, health monitor, outbox) against real other ends:

    ID card reader   SerialIdCardReader <- pty -> SamSimulator (GA 467), port = a symlink the
                     simulator re-points, as udev does for /dev/serial/by-id
    serial scanner   SerialCodeScanner  <- pty -> SimulatedSerialScanner (one line per code)
    camera           CameraScanner (capture thread, real decoder cascade) <- SimulatedCamera,
                     whose index vanishes (reads fail, open fails) and comes back
    printer          EscposReceiptPrinter <- TCP -> VirtualPrinterServer, stopped and restarted
    hall             EmbeddedHall on 127.0.0.1 (uvicorn + SQLite): heartbeats over real HTTP;
                     what it stored is read back from its database

One cycle: unplug; the screen's status (the controller's Snapshot.devices, and the text the
screens show for it) and the hall's stored heartbeat must both say the device is not usable;
replug; both must say "ok" again -- the time from replug to the screen's "ok" is the recovery
time; then a visit that needs the device must work (a card read reaches the session, a scanned
receipt number reaches the session, a whole application is submitted and its receipt printed).
Every status the controller publishes for the device is recorded, so a stale "ok" while the
device is out (or a "not ok" after it is back) counts as a wrong status even between checks.
"""
from __future__ import annotations

import datetime as dt
import logging
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from drivers.idcard.fixtures import SAMPLE_CARD
from drivers.idcard.simulator import CardLatency, SamSimulator
from drivers.printer.virtual import VirtualPrinterServer
from drivers.scanner.simulator import SimulatedSerialScanner
from hall import db as hall_db
from hall.embedded import EmbeddedHall
from kiosk import session as S
from terminal.app import build_runtime
from kiosk.config import (HallConfig, IdCardConfig, KioskConfig, PrinterConfig, ScannerConfig,
                          StorageConfig, TerminalConfig)
from kiosk.domain.application_no import make_application_no
from kiosk.domain.signature import Signature
from kiosk.ports import DeviceState
from screens.status_text import device_problem

REPO = Path(__file__).resolve().parents[2]
TERMINAL = "T-CHURN-1"
HWGG = "320102-XK-CG-001"            # 户外广告设施设置审批: a matter with a printed receipt
FORM = {"phone": "13912345678", "site_address": "玄武区长江路1号沿街外墙", "site": "江苏省南京市玄武区中山路1号",
        "carrier": "墙面附着式", "size": "6×3", "period": "1年"}
SIGNED = Signature((((0.14, 0.36), (0.34, 0.34)), ((0.12, 0.56), (0.36, 0.55)),
                    ((0.09, 0.78), (0.40, 0.76)),
                    ((0.48, 0.30), (0.54, 0.80), (0.62, 0.36), (0.70, 0.80), (0.80, 0.28))))

DETECT_LIMIT_S = 2.0     # unplugged -> the screen says so
RECOVER_LIMIT_S = 2.0    # replugged -> the screen says "ok" (the "back within 2 s")
HALL_LIMIT_S = 4.0       # the screen's status -> the same in the hall's stored heartbeat
DEVICE_KEY = {"idcard": "idcard", "serial_scanner": "scanner", "camera": "scanner", "printer": "printer"}


@dataclass
class Cycle:
    device: str
    n: int
    detect_s: float | None = None        # unplug -> screen not usable
    recover_s: float | None = None       # replug -> screen ok
    hall_lag_down_s: float | None = None  # screen not usable -> hall's heartbeat says the same
    hall_lag_up_s: float | None = None
    visit_ok: bool = False
    wrong: list[str] = field(default_factory=list)


@dataclass
class DeviceReport:
    device: str
    cycles: list[Cycle]
    crashes: int

    @property
    def wrong_statuses(self) -> int:
        return sum(len(c.wrong) for c in self.cycles)

    @property
    def failed_visits(self) -> int:
        return sum(not c.visit_ok for c in self.cycles)

    def recoveries(self) -> list[float]:
        return [c.recover_s for c in self.cycles if c.recover_s is not None]

    def not_back(self) -> int:
        return sum(c.recover_s is None or c.recover_s > RECOVER_LIMIT_S for c in self.cycles)

    def summary(self) -> dict:
        rec = self.recoveries()
        det = [c.detect_s for c in self.cycles if c.detect_s is not None]
        lag = [x for c in self.cycles for x in (c.hall_lag_down_s, c.hall_lag_up_s) if x is not None]
        return {"device": self.device, "cycles": len(self.cycles), "crashes": self.crashes,
                "recover_median_s": statistics.median(rec) if rec else None,
                "recover_max_s": max(rec) if rec else None,
                "detect_median_s": statistics.median(det) if det else None,
                "detect_max_s": max(det) if det else None,
                "hall_lag_max_s": max(lag) if lag else None,
                "not_back_in_2s": self.not_back(), "wrong_statuses": self.wrong_statuses,
                "failed_visits": self.failed_visits,
                "wrong": [f"#{c.n}: {w}" for c in self.cycles for w in c.wrong][:10]}


class CrashCounter(logging.Handler):
    """Uncaught thread exceptions and logged exceptions/errors: each is a crash."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []
        self._old_hook = None

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}")

    def __enter__(self):
        logging.getLogger().addHandler(self)
        self._old_hook = threading.excepthook
        threading.excepthook = lambda args: self.records.append(
            f"thread {args.thread.name if args.thread else '?'}: {args.exc_type.__name__}: {args.exc_value}")
        return self

    def __exit__(self, *exc):
        logging.getLogger().removeHandler(self)
        threading.excepthook = self._old_hook


class StatusLog:
    """Every device status the controller publishes (the screen's view), with its time."""

    def __init__(self, controller):
        self._cond = threading.Condition()
        self.snap = None
        self.history: dict[str, list[tuple[float, DeviceState]]] = {}
        controller.subscribe(self._on)

    def _on(self, snap):
        t = time.monotonic()
        with self._cond:
            self.snap = snap
            for name, st in snap.devices.items():
                h = self.history.setdefault(name, [])
                if not h or h[-1][1] != st.state:
                    h.append((t, st.state))
            self._cond.notify_all()

    def wait(self, pred, timeout: float):
        """The time at which the newest snapshot satisfied pred, or None after timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (self.snap is not None and pred(self.snap)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return time.monotonic()

    def states_between(self, name: str, t0: float, t1: float) -> list[DeviceState]:
        with self._cond:
            h = list(self.history.get(name, ()))
        before = [s for t, s in h if t <= t0]
        return ([before[-1]] if before else []) + [s for t, s in h if t0 < t < t1]


class HallView:
    """What the hall received: the latest heartbeat snapshot it stored for the terminal."""

    def __init__(self, database_url: str):
        self._db = hall_db.Database(database_url)

    def devices(self) -> dict:
        with self._db.session() as s:
            hb = s.get(hall_db.Heartbeat, TERMINAL)
            return dict((hb.snapshot or {}).get("devices") or {}) if hb is not None else {}

    def wait_state(self, key: str, want, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            st = self.devices().get(key, {}).get("state")
            if st is not None and want(st):
                return time.monotonic()
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def close(self):
        self._db.dispose()


class ChurnRig:
    """scanner="serial" (a serial scanner module) or "camera" (the simulated camera)."""

    def __init__(self, tmp: Path, scanner: str = "serial"):
        self.tmp = Path(tmp)
        self.hall = EmbeddedHall(self.tmp / "hall", REPO / "config" / "catalog")
        url = self.hall.start()
        token = self.hall.enrol_terminal(TERMINAL, name="热插拔测试终端", location="测试")
        self.hall_view = HallView(self.hall.database_url)
        # A quick card (tests stay short); the wire is still paced at 115200 baud.
        self.sam = SamSimulator(latency=CardLatency(find=0.002, select=0.002, read=0.02),
                                link=str(self.tmp / "idcard"))
        self.sam.start()
        self.printer_sim = VirtualPrinterServer(out_dir=None)
        host, port = self.printer_sim.start()
        self.module = None
        if scanner == "serial":
            self.module = SimulatedSerialScanner(str(self.tmp / "scanner"))
            self.module.start()
            scfg = ScannerConfig(driver="serial", port=self.module.link, dedupe_window_s=0.5)
        else:
            scfg = ScannerConfig(driver="images", width=640, height=360, fps=10, dedupe_window_s=0.5)
        cfg = KioskConfig(
            terminal=TerminalConfig(id=TERMINAL, hall_name="热插拔测试中心"),
            hall=HallConfig(url=url, token=token, heartbeat_interval_s=30.0),   # production's
            idcard=IdCardConfig(driver="serial", port=self.sam.link),
            printer=PrinterConfig(driver="network", host=host, port=port, timeout_s=2.0),
            scanner=scfg, storage=StorageConfig(data_dir=str(self.tmp / "kiosk")))
        self.runtime = build_runtime(cfg, out_dir=self.tmp / "out")
        self.status = StatusLog(self.runtime.controller)
        self.camera = getattr(self.runtime.scanner, "source", None) if scanner == "camera" else None
        self.runtime.start()
        self._visits = 0

    def close(self):
        self.runtime.stop()
        if self.module is not None:
            self.module.stop()
        self.printer_sim.stop()
        self.sam.stop()
        self.hall_view.close()
        self.hall.stop()

    # -- plugging -------------------------------------------------------------------------------
    def unplug(self, device: str) -> None:
        {"idcard": self.sam.stop, "serial_scanner": lambda: self.module.stop(),
         "camera": lambda: self.camera.unplug(), "printer": self.printer_sim.stop}[device]()

    def replug(self, device: str) -> None:
        {"idcard": self.sam.start, "serial_scanner": lambda: self.module.start(),
         "camera": lambda: self.camera.replug(), "printer": self.printer_sim.start}[device]()

    def threads_alive(self, device: str) -> bool:
        rt = self.runtime
        if device == "idcard":
            return rt.reader._thread is not None and rt.reader._thread.is_alive()
        if device == "serial_scanner":
            return rt.scanner._thread is not None and rt.scanner._thread.is_alive()
        if device == "camera":
            cap = rt.scanner._capture._thread
            return cap is not None and cap.is_alive() and rt.scanner._decoder.is_alive()
        return rt.health._thread.is_alive()

    # -- visits -----------------------------------------------------------------------------------
    def wait_ready(self, timeout: float = 20.0) -> None:
        """Every device ok, the catalogue loaded, the hall told."""
        keys = ("idcard", "scanner", "printer")
        assert self.status.wait(lambda s: all(s.devices.get(k) is not None and s.devices[k].state is DeviceState.OK
                                              for k in keys) and s.matters, timeout), \
            f"devices not ready: {dict(self.status.snap.devices) if self.status.snap else None}"
        for k in keys:
            assert self.hall_view.wait_state(k, lambda st: st == "ok", 10), f"hall never heard {k} ok"

    def visit(self, device: str) -> bool:
        self._visits += 1
        return {"idcard": self._card_visit, "serial_scanner": self._scan_visit,
                "camera": self._scan_visit, "printer": self._application_visit}[device]()

    def _finish(self) -> bool:
        self.runtime.controller.post(S.Finish())
        return self.status.wait(lambda s: s.screen == "attract", 3) is not None

    def _card_visit(self) -> bool:
        self.sam.place_card(SAMPLE_CARD)
        ok = self.status.wait(lambda s: s.screen == "home" and s.session.card is not None, 3) is not None
        self.sam.remove_card()
        return self._finish() and ok

    def _scan_visit(self) -> bool:
        """A citizen shows a receipt's QR (a different number each time, past the dedupe)."""
        no = make_application_no(dt.date(2026, 12, 4), self._visits)
        if self.module is not None:
            self.module.send(no)
        else:
            self.camera.show_payload(no, seconds=2.0)
        ok = self.status.wait(lambda s: s.session.wanted_no == no, 4) is not None
        if self.camera is not None:
            self.camera.hide()           # the citizen puts the phone away
        return self._finish() and ok

    def _application_visit(self) -> bool:
        """A whole application: card, matter, form, materials (photographed: needs the camera
        rig), review, signature, submit over HTTP, receipt printed."""
        c, wait = self.runtime.controller, self.status.wait
        jobs = len(self.printer_sim.jobs)
        self.sam.place_card(SAMPLE_CARD)
        try:
            if wait(lambda s: s.screen == "home", 3) is None:
                return False
            c.post(S.OpenMatters())
            if wait(lambda s: s.screen == "matters" and s.matters, 3) is None:
                return False
            matter = next(m for m in self.status.snap.matters if m.code == HWGG)
            c.post(S.ChooseMatter(matter))
            wait(lambda s: s.screen == "guide", 3)
            c.post(S.StartApplication())
            if wait(lambda s: s.screen == "form", 3) is None:
                return False
            values = dict(self.status.snap.session.values)
            c.post(S.SubmitForm({**values, **{k: v for k, v in FORM.items() if k in values and not values[k]}}))
            if wait(lambda s: s.screen == "materials", 3) is None:
                return False
            for m in matter.materials:
                if m.exempt_by_sharing or not m.required:
                    continue
                if m.window_allowed:
                    c.post(S.DeferToWindow(m.id))
                    continue
                c.post(S.OpenCamera(m.id))          # photographed by the (simulated) camera
                c.post(S.TakePhoto())
                if wait(lambda s: s.session.photo is not None, 5) is None:
                    return False
                c.post(S.UsePhoto())
            c.post(S.SubmitMaterials())
            if wait(lambda s: s.screen == "review", 3) is None:
                return False
            c.post(S.Confirm())
            wait(lambda s: s.screen == "sign", 3)
            c.post(S.Sign(SIGNED))
            if wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None, 10) is None:
                return False
            outcome = self.status.snap.session.outcome
            return bool(outcome.print_ok) and len(self.printer_sim.jobs) > jobs
        finally:
            self.sam.remove_card()
            self._finish()

    # -- one cycle --------------------------------------------------------------------------------
    def cycle(self, device: str, n: int) -> Cycle:
        key = DEVICE_KEY[device]
        r = Cycle(device, n)

        def state(s):
            st = s.devices.get(key)
            return st.state if st is not None else None

        t_unplug = time.monotonic()
        self.unplug(device)
        t_down = self.status.wait(lambda s: state(s) not in (None, DeviceState.OK), DETECT_LIMIT_S)
        if t_down is None:
            r.wrong.append(f"screen still {state(self.status.snap)} {DETECT_LIMIT_S} s after unplug")
            t_down = self.status.wait(lambda s: state(s) is not DeviceState.OK, 10) or time.monotonic()
        else:
            r.detect_s = t_down - t_unplug
        snap = self.status.snap
        if not device_problem(snap.devices, key):
            r.wrong.append("no problem text on screen while unplugged")
        t_hall = self.hall_view.wait_state(key, lambda st: st != "ok", HALL_LIMIT_S)
        if t_hall is None:
            r.wrong.append(f"hall's heartbeat still says ok {HALL_LIMIT_S} s after the screen changed")
        else:
            r.hall_lag_down_s = max(0.0, t_hall - t_down)

        t_replug = time.monotonic()
        self.replug(device)
        t_up = self.status.wait(lambda s: state(s) is DeviceState.OK, 10)
        if t_up is None:
            r.wrong.append(f"screen not ok 10 s after replug ({state(self.status.snap)})")
            return r
        r.recover_s = t_up - t_replug
        if device_problem(self.status.snap.devices, key):
            r.wrong.append("problem text still shown after the device came back")
        t_hall = self.hall_view.wait_state(key, lambda st: st == "ok", HALL_LIMIT_S)
        if t_hall is None:
            r.wrong.append(f"hall's heartbeat not ok {HALL_LIMIT_S} s after the screen")
        else:
            r.hall_lag_up_s = max(0.0, t_hall - t_up)
        # Between detection and replug nothing may have said "ok"; after recovery nothing else.
        if DeviceState.OK in self.status.states_between(key, t_down + 1e-6, t_replug):
            r.wrong.append("screen said ok while the device was unplugged")
        r.visit_ok = self.visit(device)
        later = self.status.states_between(key, t_up + 1e-6, time.monotonic())
        if any(s is not DeviceState.OK for s in later):
            r.wrong.append(f"screen left ok after recovery: {[s.value for s in later]}")
        return r


def churn(tmp: Path, devices: tuple[str, ...], cycles: int, scanner: str = "serial",
          progress=None) -> list[DeviceReport]:
    reports = []
    with CrashCounter() as crashes:
        rig = ChurnRig(tmp, scanner=scanner)
        try:
            rig.wait_ready()
            for device in devices:
                before = len(crashes.records)
                done = []
                for n in range(1, cycles + 1):
                    done.append(rig.cycle(device, n))
                    if progress is not None:
                        progress(device, done[-1])
                dead = 0 if rig.threads_alive(device) else 1
                reports.append(DeviceReport(device, done, len(crashes.records) - before + dead))
        finally:
            rig.close()
        for line in crashes.records[:10]:
            logging.getLogger(__name__).warning("crash: %s", line)
    return reports
