"""Terminal health: polls the printer, sends heartbeats to the hall, hands remote commands to
the controller. Runs on its own thread so a slow printer or hall never stalls a customer."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from kiosk.controller import DeviceChanged, RemoteCommandReceived, Snapshot
from kiosk.ports import DeviceStatus, HallRejected, HallUnavailable, ReceiptPrinter
from kiosk.version import app_version

log = logging.getLogger(__name__)

APP_VERSION = app_version()      # from the package metadata (pyproject.toml)


class HealthMonitor:
    def __init__(self, hall, printer: ReceiptPrinter, post: Callable[[object], None],
                 latest: Callable[[], Snapshot | None], outbox_pending: Callable[[], int],
                 interval_s: float = 30.0):
        self._hall, self._printer, self._post = hall, printer, post
        self._latest, self._pending = latest, outbox_pending
        self._interval = interval_s
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat_once(self) -> None:
        printer = self._printer.status()
        self._post(DeviceChanged("printer", printer))
        snap = self._latest()
        devices = {name: st.to_json() for name, st in (snap.devices.items() if snap else ())}
        devices["printer"] = printer.to_json()
        body = {"app_version": APP_VERSION, "uptime_s": round(time.monotonic() - self._started),
                "screen": snap.screen if snap else "starting", "devices": devices,
                "outbox_pending": self._pending()}
        try:
            commands = self._hall.heartbeat(body)
        except (HallUnavailable, HallRejected) as e:
            self._post(DeviceChanged("hall", DeviceStatus.absent(str(e)[:120])))
            return
        self._post(DeviceChanged("hall", DeviceStatus.ok()))
        for cmd in commands:
            self._post(RemoteCommandReceived(cmd))
            try:
                self._hall.ack(cmd.id)
            except (HallUnavailable, HallRejected) as e:
                log.warning("could not ack command %s: %s", cmd.id, e)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat_once()
            self._stop.wait(self._interval)
