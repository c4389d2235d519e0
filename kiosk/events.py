"""Events that reach the controller but are not the session's: devices, the hall's remote
commands, scanned codes, the technician menu's buttons. The session's own events are in
kiosk/session/events.py; both arrive on the controller's one queue."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.scan_hint import ScanHint
from kiosk.ports import DeviceStatus, RemoteCommand


@dataclass(frozen=True)
class DeviceChanged:
    device: str                  # "idcard" | "printer" | "hall"
    status: DeviceStatus


@dataclass(frozen=True)
class RemoteCommandReceived:
    command: RemoteCommand


@dataclass(frozen=True)
class CodeScanned:
    code: object                         # kiosk.domain.payload.ScannedCode


@dataclass(frozen=True)
class ScanHintChanged:
    """The camera sees a code it cannot read, and why (None: read, or gone)."""
    hint: ScanHint | None


@dataclass(frozen=True)
class EnterPin:
    pin: str


@dataclass(frozen=True)
class TestPrint:
    pass


@dataclass(frozen=True)
class ReloadCatalog:
    pass


@dataclass(frozen=True)
class RetryRejected:
    """Technician menu: send a rejected outbox item (and its images) once more."""
    key: str


@dataclass(frozen=True)
class HandOverRejected:
    """Technician menu: print the 移交单 for the window staff, then drop the personal data."""
    key: str
