"""Terminal health: polls the printer, sends heartbeats to the hall, hands remote commands to
the controller. Runs on its own thread so a slow printer or hall never stalls a customer.

The printer is asked for its status every `printer_poll_s` (it cannot tell us itself: a network
printer that went away is only noticed by trying), so the screen shows a replugged printer as
ready within about a second, not at the next heartbeat. A heartbeat goes out every
`interval_s`, and also as soon as a device's status differs from what the hall was last told
(an unplugged reader shows on the console within a second or two, not up to 30 s later), at
most one such extra heartbeat per `min_gap_s`.
"""
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
PRINTER_POLL_S = 1.0
MIN_GAP_S = 1.0


class HealthMonitor:
    def __init__(self, hall, printer: ReceiptPrinter, post: Callable[[object], None],
                 latest: Callable[[], Snapshot | None], outbox_pending: Callable[[], int],
                 interval_s: float = 30.0, printer_poll_s: float = PRINTER_POLL_S,
                 min_gap_s: float = MIN_GAP_S, outbox_report: Callable[[], dict] = dict):
        self._hall, self._printer, self._post = hall, printer, post
        self._latest, self._pending = latest, outbox_pending
        self._outbox_report = outbox_report   # rejected items (kiosk/rejected.py), disk writable
        self._interval = interval_s
        self._poll = min(printer_poll_s, interval_s)
        self._min_gap = min_gap_s
        self._started = time.monotonic()
        self._printer_status: DeviceStatus | None = None
        self._told: dict | None = None        # the devices the last heartbeat carried
        self._last_beat = float("-inf")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def poll_printer(self) -> DeviceStatus:
        """Ask the printer; the controller hears of it only when it changed."""
        status = self._printer.status()
        if status != self._printer_status:
            self._printer_status = status
            self._post(DeviceChanged("printer", status))
        return status

    def beat_once(self) -> None:
        self._beat(self._devices(self.poll_printer()))

    def _devices(self, printer: DeviceStatus) -> dict:
        snap = self._latest()
        devices = {name: st.to_json() for name, st in (snap.devices.items() if snap else ())}
        devices["printer"] = printer.to_json()
        return devices

    def _beat(self, devices: dict) -> None:
        self._told = _without_hall(devices)
        self._last_beat = time.monotonic()
        snap = self._latest()
        body = {"app_version": APP_VERSION, "uptime_s": round(time.monotonic() - self._started),
                "screen": snap.screen if snap else "starting", "devices": devices,
                "outbox_pending": self._pending(), **self._outbox_report()}
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
            devices = self._devices(self.poll_printer())
            since = time.monotonic() - self._last_beat
            # "hall" is the heartbeat's own outcome: its change is no reason for another one
            # (and retrying at once while the hall is down would only hammer it).
            changed = _without_hall(devices) != self._told
            if since >= self._interval or (changed and since >= self._min_gap):
                self._beat(devices)
            self._stop.wait(self._poll)


def _without_hall(devices: dict) -> dict:
    return {name: st for name, st in devices.items() if name != "hall"}
