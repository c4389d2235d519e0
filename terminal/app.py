"""Composition root: config -> drivers -> outbox, hall client -> controller -> (UI).

It lives outside kiosk/ (the core imports no driver, screen or hall module).

The only place that knows which adapters are used; tests build the same Runtime with their own
config (simulators, a hall on 127.0.0.1) — or inject fakes through `Runtime.__init__`.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from drivers.factory import (Simulators, build_idcard, build_printer, build_report_printer, build_scanner,
                             build_still_camera)
from kiosk.clock import HallTime, SystemClock
from kiosk.config import KioskConfig, hall_tls
from kiosk.controller import CodeScanned, Controller, ControllerSettings, DeviceChanged, ScanHintChanged
from kiosk.delivery import outbox_report, send_outbox_item
from kiosk.health import HealthMonitor
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.platform import HallHttpClient
from kiosk.session import CardProblem, CardRead, Timeouts
from kiosk.watchdog import CONTROLLER_STALL_S, UI_STALL_S, Liveness, Supervisor

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: KioskConfig
    controller: Controller
    reader: object
    printer: object
    hall_client: HallHttpClient
    outbox: SqliteOutbox
    sender: OutboxSender
    health: HealthMonitor
    scanner: object
    simulators: Simulators
    embedded_hall: object | None = None
    liveness: Liveness | None = None          # the controller's and the UI's beats
    supervisor: Supervisor | None = None      # systemd: READY, STATUS, watchdog pings

    def start(self) -> None:
        if self.supervisor is not None:
            self.supervisor.status("starting: devices and hall")
        self.controller.start()
        self.sender.start()
        self.health.start()
        post = self.controller.post
        self.reader.start(on_card=lambda card: post(CardRead(card)),
                          on_status=lambda st: post(DeviceChanged("idcard", st)),
                          on_card_error=lambda err: post(CardProblem(err.message)))
        self.scanner.start(on_code=lambda code: post(CodeScanned(code)),
                           on_status=lambda st: post(DeviceChanged("scanner", st)),
                           on_hint=lambda hint: post(ScanHintChanged(hint)))

    def ui_tick(self) -> None:
        """The Kivy thread is alive (called from it by a Clock interval)."""
        if self.liveness is not None:
            self.liveness.beat("ui")

    def attract_drawn(self) -> None:
        """The attract screen's first frame is on the glass: start-up is complete (READY=1)."""
        self.ui_tick()
        if self.supervisor is not None:
            self.supervisor.ready()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stopping()
        for part in (self.reader, self.scanner, self.health, self.sender, self.controller):
            part.stop()
        self.simulators.stop()
        if self.embedded_hall is not None:
            self.embedded_hall.stop()
        self.outbox.close()


class OnFirstReport:
    """The A4 report printer, built (reportlab imported) on the first credit report: ~6 MB of the
    kiosk process that most visits never use (issue #15 memory bench)."""

    def __init__(self, build):
        self._build, self._printer = build, None

    def print_report(self, report):
        if self._printer is None:
            self._printer = self._build()
        return self._printer.print_report(report)


def build_runtime(cfg: KioskConfig, out_dir: Path) -> Runtime:
    """out_dir holds what simulators produce (receipt PNGs) and the embedded hall's database."""
    data_dir = Path(cfg.storage.data_dir)
    clock = SystemClock()
    sims = Simulators()

    embedded = None
    base_url, token = cfg.hall.url, cfg.hall.token
    if cfg.hall.url == "embedded":
        from hall.embedded import EmbeddedHall
        embedded = EmbeddedHall(data_dir=out_dir / "hall", catalog_dir=Path("config/catalog"))
        base_url = embedded.start()
        token = embedded.enrol_terminal(cfg.terminal.id, name="演示终端", location="一楼大厅")
        # the fictitious 双公示 data set, so the demo's credit reports have something to show
        embedded.import_credit(Path("hall/sample_data/credit_sample.json"))

    # The hall's time as the heartbeats measure it: what receipts are stamped with when this
    # terminal's clock is off (no NTP); the outbox keeps the local clock (only its order matters).
    hall_time = HallTime(clock)
    # python-escpos parses its printer database (capabilities.json) with pure-Python YAML unless it
    # finds its pickle, which it looks for in a new temp dir at every start unless told where:
    # ~1.5 s of every (re)start, the largest single part of coming back after a crash.
    escpos_cache = data_dir / "cache"
    escpos_cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(escpos_cache))

    client = HallHttpClient(base_url, token, cfg.terminal.id, cache_dir=data_dir,
                            connect_timeout_s=cfg.hall.connect_timeout_s,
                            read_timeout_s=cfg.hall.read_timeout_s, tls=hall_tls(cfg.hall), hall_time=hall_time)
    outbox = SqliteOutbox(data_dir / "outbox.sqlite3", clock)
    sender = OutboxSender(outbox, send=lambda item: send_outbox_item(client, outbox, item))
    printer = build_printer(cfg.printer, sims, out_dir)
    reader = build_idcard(cfg.idcard, sims, out_dir)
    scanner = build_scanner(cfg.scanner, sims, out_dir)
    # Supervision (kiosk.service Type=notify, WatchdogSec=): pings only while both threads beat.
    liveness = Liveness()
    liveness.watch("controller", CONTROLLER_STALL_S)
    liveness.watch("ui", UI_STALL_S)
    controller = Controller(
        ControllerSettings(terminal_id=cfg.terminal.id, hall_name=cfg.terminal.hall_name,
                           timeouts=Timeouts(cfg.terminal.idle_timeout_s, cfg.terminal.idle_warning_s,
                                            cfg.terminal.done_timeout_s),
                           technician_pin=cfg.ui.technician_pin, hall_url=base_url,
                           printer_name=f"{cfg.printer.driver} {cfg.printer.model}".strip(),
                           printer_columns=cfg.printer.columns),
        hall=client, outbox=outbox, sender=sender, printer=printer, clock=hall_time,
        report_printer=OnFirstReport(lambda: build_report_printer(cfg.printer, out_dir)),
        camera=build_still_camera(scanner),
        alive=lambda: liveness.beat("controller"))
    health = HealthMonitor(client, printer, post=controller.post, latest=lambda: controller.latest,
                           outbox_pending=outbox.pending_count, interval_s=cfg.hall.heartbeat_interval_s,
                           outbox_report=lambda: outbox_report(outbox))
    return Runtime(cfg, controller, reader, printer, client, outbox, sender, health, scanner, sims, embedded,
                   liveness=liveness, supervisor=Supervisor.from_environment(liveness))
