"""The ports the core depends on (ARCHITECTURE §3).

The core (session, controller, use cases) talks only to these protocols. Adapters live in
drivers/ (hardware and simulators) and kiosk/platform.py + kiosk/outbox.py (hall, queue);
tests inject fakes at the one composition root, terminal/app.py.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from kiosk.domain.identity import IdentityCard
from kiosk.domain.catalogue import Catalog
from kiosk.domain.application import Application
from kiosk.domain.receipt import ReceiptDoc
from kiosk.domain.scan_hint import ScanHint


class DeviceState(enum.Enum):
    """A closed set: UI and heartbeat both switch on it, so nothing else may appear."""
    OK = "ok"
    ABSENT = "absent"
    BUSY = "busy"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    FAULT = "fault"


@dataclass(frozen=True)
class DeviceStatus:
    state: DeviceState
    code: str = ""      # only for FAULT: a short machine-readable code, e.g. "sam_selftest"
    detail: str = ""    # plain-language detail for staff (never personal data)

    @classmethod
    def ok(cls) -> "DeviceStatus":
        return cls(DeviceState.OK)

    @classmethod
    def absent(cls, detail: str = "") -> "DeviceStatus":
        return cls(DeviceState.ABSENT, detail=detail)

    @classmethod
    def fault(cls, code: str, detail: str = "") -> "DeviceStatus":
        return cls(DeviceState.FAULT, code=code, detail=detail)

    @property
    def usable(self) -> bool:
        """Whether the features that need this device can run (near-end paper still prints)."""
        return self.state in (DeviceState.OK, DeviceState.BUSY, DeviceState.PAPER_NEAR_END)

    def to_json(self) -> dict:
        return {"state": self.state.value, "code": self.code, "detail": self.detail}


OnStatus = Callable[[DeviceStatus], None]
OnHint = Callable[[ScanHint | None], None]


class IdCardReader(Protocol):
    def start(self, on_card: Callable[[IdentityCard], None], on_status: OnStatus) -> None: ...
    def stop(self) -> None: ...
    def status(self) -> DeviceStatus: ...


class CodeScanner(Protocol):
    # on_code gets a kiosk.domain.payload.ScannedCode: raw bytes, decoded text and kind (bytes
    # alone would lose the code's ECI, i.e. how to decode Chinese correctly).
    # on_hint (a camera only; others never call it): a code is in view but will not read, and
    # how to hold it -- or None when that is over (read, or gone). Sent again while it holds.
    def start(self, on_code: Callable[[object], None], on_status: OnStatus,
              on_hint: OnHint | None = None) -> None: ...
    def stop(self) -> None: ...
    def status(self) -> DeviceStatus: ...
    def latest_frame(self): ...


class CaptureFailed(Exception):
    """A still could not be taken; `message` says why in plain Chinese (shown to the user)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StillCamera(Protocol):
    """Photographs of materials (申请材料拍照): the camera's newest frame as a compressed JPEG.

    Called on the controller thread, never the UI thread (encoding takes tens of ms). The same
    camera as the CodeScanner's preview; `status()` says whether photographing can work now."""
    def capture_jpeg(self) -> bytes: ...   # raises CaptureFailed
    def status(self) -> DeviceStatus: ...


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    job_id: str
    status: DeviceStatus
    message: str = ""   # plain Chinese, shown to the user when not ok


class ReceiptPrinter(Protocol):
    def print(self, doc: ReceiptDoc) -> PrintResult: ...
    def status(self) -> DeviceStatus: ...


class ReportPrinter(Protocol):
    """A4: the full credit report (a PDF to CUPS, or kept as a file). Returns an object with
    .sent (bool), .pdf (path) and .message (plain Chinese)."""
    def print_report(self, report) -> object: ...


@dataclass(frozen=True)
class SubmitResult:
    application_no: str
    status: str


@dataclass(frozen=True)
class RemoteCommand:
    id: str
    kind: str              # "maintenance_on" | "maintenance_off" | "notice" | "restart"
    payload: dict = field(default_factory=dict)


class HallUnavailable(Exception):
    """The hall could not be reached or answered 5xx: the caller may queue and retry."""


class HallRejected(Exception):
    """The hall answered 4xx: retrying the same request will not help."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class HallClient(Protocol):
    def catalog(self) -> Catalog: ...
    def submit(self, app: Application, idempotency_key: str) -> SubmitResult: ...
    def put_material(self, application_no: str, material_id: str, content_type: str, data: bytes) -> dict: ...
    def heartbeat(self, snapshot: dict) -> Sequence[RemoteCommand]: ...


@dataclass(frozen=True)
class OutboxItem:
    key: str          # idempotency key, also the local (待上传) number's source
    kind: str         # "application" | "evaluation" | "material" (an image sent after its application)
    payload: dict
    created_at: float
    attempts: int = 0
    last_error: str = ""


class Outbox(Protocol):
    def enqueue(self, key: str, kind: str, payload: dict) -> None: ...
    def pending(self) -> list[OutboxItem]: ...
    def mark_sent(self, key: str, result: dict) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...        # wall clock, seconds since the epoch
    def monotonic(self) -> float: ...  # for timeouts
