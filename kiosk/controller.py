"""The controller: one thread that owns the session and routes events to the use cases.

Everything that happens arrives as an event on one queue — a card from the reader thread, a tap
from the UI thread, a device status, a remote command, the clock's tick — so the session is only
ever touched by this thread and needs no locks. The session state machine (kiosk/session/)
decides what comes next; the use cases (kiosk/usecases/, one per flow) perform the side effects
a state asks for and answer with an event. After every event the controller publishes an
immutable Snapshot; the UI renders snapshots and nothing else.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Callable, Mapping

from kiosk import session as S
from kiosk.domain.catalogue import Matter
# The controller's own events live in kiosk/events.py; re-exported here for the UI and tests.
from kiosk.events import (CodeScanned, DeviceChanged, EnterPin, HandOverRejected, ReloadCatalog,  # noqa: F401
                          RemoteCommandReceived, RetryRejected, ScanHintChanged, TestPrint)
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.ports import Clock, DeviceStatus, HallClient, ReceiptPrinter, StillCamera
from kiosk.usecases.apply import Apply
from kiosk.usecases.credit import Credit
from kiosk.usecases.evaluation import Evaluation
from kiosk.usecases.identify import Identify
from kiosk.usecases.materials import Materials
from kiosk.usecases.printing import Printing
from kiosk.usecases.progress import Progress
from kiosk.usecases.remote import RemoteCommands
from kiosk.usecases.submit import (STORAGE_FAILED, SignAndSubmit, local_number, material_key,  # noqa: F401
                                   material_payload)
from kiosk.usecases.technician import Technician

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Stop:
    pass


# ---- what the UI sees -----------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    seq: int
    screen: str                          # one screen per state: S.State values, or "maintenance"
    hall_name: str
    terminal_id: str
    session: S.Session
    matters: tuple[Matter, ...]
    catalog_message: str                 # why the matter list is empty, in plain Chinese
    devices: Mapping[str, DeviceStatus]
    notice: str = ""
    maintenance: bool = False
    seconds_left: int | None = None      # the idle countdown, while it shows
    hall_url: str = ""                   # for the technician menu
    camera: DeviceStatus | None = None   # the still camera (material photos); None: none here
    rejected: tuple = ()                 # technician menu: kiosk.rejected.RejectedItem, while it shows
    matter_initials: Mapping[str, str] = field(default_factory=dict)   # the catalogue's, for search


@dataclass(frozen=True)
class ControllerSettings:
    terminal_id: str
    hall_name: str
    timeouts: S.Timeouts = field(default_factory=S.Timeouts)
    tick_s: float = 0.5
    technician_pin: str = ""             # "" = technician menu disabled
    hall_url: str = ""                   # shown in the technician menu
    printer_name: str = ""
    printer_columns: int = 48


class Controller:
    def __init__(self, settings: ControllerSettings, hall: HallClient, outbox: SqliteOutbox,
                 sender: OutboxSender, printer: ReceiptPrinter, clock: Clock, report_printer=None,
                 request_restart: Callable[[], None] = lambda: None, camera: StillCamera | None = None,
                 alive: Callable[[], None] = lambda: None):
        self._cfg, self._clock = settings, clock
        self._alive = alive                        # each loop turn: the systemd watchdog's liveness beat
        self._devices: dict[str, DeviceStatus] = {}
        self._apply = Apply(hall)
        self._identify = Identify(clock)
        self._materials = Materials(camera)
        self._submit = SignAndSubmit(settings.terminal_id, outbox, sender, clock)
        self._printing = Printing(settings, printer, clock, self._devices)
        self._progress = Progress(hall)
        self._credit = Credit(settings, hall, self._printing, report_printer, clock)
        self._evaluation = Evaluation(outbox, sender)
        self._remote = RemoteCommands(self._apply, request_restart)
        self._technician = Technician(settings, outbox, sender, self._printing, self._apply, clock)
        self._events: queue.Queue = queue.Queue()
        self._subscribers: list[Callable[[Snapshot], None]] = []
        self._session = S.Session()
        self._seq = 0
        self._latest: Snapshot | None = None
        self._published: tuple = ()
        self._thread = threading.Thread(target=self._run, name="controller", daemon=True)

    # -- public, thread-safe ----------------------------------------------------------------
    def subscribe(self, fn: Callable[[Snapshot], None]) -> None:
        """fn is called on the controller thread: a UI must hop to its own thread itself."""
        self._subscribers.append(fn)

    def on_restart(self, fn: Callable[[], None]) -> None:
        """What the hall's `restart` command does (the UI stops the app; systemd restarts it)."""
        self._remote.request_restart = fn

    def start(self) -> None:
        self.post(ReloadCatalog())
        self._thread.start()

    def stop(self) -> None:
        self.post(_Stop())
        self._thread.join(timeout=5)

    def post(self, event) -> None:
        self._events.put(event)

    @property
    def latest(self) -> Snapshot | None:
        return self._latest

    # -- the loop -----------------------------------------------------------------------------
    def _run(self) -> None:
        self._publish()
        while True:
            self._alive()           # at least every tick_s while idle; silent while stuck in one event
            try:
                event = self._events.get(timeout=self._cfg.tick_s)
            except queue.Empty:
                event = S.Tick()
            if isinstance(event, _Stop):
                return
            try:
                self._handle(event)
            except Exception:  # a bug in one event must not kill the terminal: log, wipe, go on
                log.exception("controller failed on %s; session reset", type(event).__name__)
                self._session = S.Session()
            if self._observable() != self._published:   # most ticks change nothing: no redraw
                self._publish()
            self._remote.restart_if_idle(self._session)

    def _observable(self) -> tuple:
        # last_activity alone changing (a touch) redraws nothing; the countdown's seconds do.
        return (replace(self._session, last_activity=0.0), self._seconds_left(),
                tuple(self._devices.items()), self._remote.notice, self._remote.maintenance,
                id(self._apply.catalog), self._apply.message, self._materials.camera_status,
                self._technician.rejected)

    def _seconds_left(self) -> int | None:
        return self._cfg.timeouts.seconds_left(self._session, self._clock.monotonic())

    # -- routing ------------------------------------------------------------------------------
    def _handle(self, event) -> None:
        if self._terminal_event(event):
            return
        event = self._translate(event)
        if event is None:
            return
        before = self._session.state
        self._advance(event)
        self._effects(event, before, self._session.state)

    def _terminal_event(self, event) -> bool:
        """Events about the terminal rather than the visit. True: handled."""
        if isinstance(event, DeviceChanged):
            self._devices[event.device] = event.status
        elif isinstance(event, RemoteCommandReceived):
            if self._remote.apply(event.command):
                self._session = S.Session()
        elif isinstance(event, ReloadCatalog):
            self._apply.load()
        elif isinstance(event, (RetryRejected, HandOverRejected)):
            if self._session.state is S.State.TECH:
                self._advance(self._technician.resolve(event))
        else:
            return False
        return True

    def _translate(self, event):
        """What the session sees of a raw event (devices, the config, the clock decide). None: drop it."""
        self._apply.before(event)
        if isinstance(event, S.CardRead):
            return self._identify.card(event)
        if isinstance(event, CodeScanned):
            return self._identify.scanned(event.code, self._session)
        if isinstance(event, ScanHintChanged):
            return self._identify.hint(event.hint, self._session)
        if isinstance(event, S.SubmitMaterials):
            return self._materials.submit()
        if isinstance(event, EnterPin):
            return self._technician.check_pin(event.pin)
        if isinstance(event, TestPrint) and self._session.state is S.State.TECH:
            return self._printing.test_page()
        return event

    def _effects(self, event, before: S.State, after: S.State) -> None:
        """The side effects the new state asks for; each use case answers with an event."""
        self._technician.follow(before, after)
        if after is S.State.MATERIALS:
            self._materials.refresh()
        if after is S.State.ATTRACT and before is not S.State.ATTRACT:
            log.info("session ended (%s)", type(event).__name__)   # no identity in logs
        if self._session.fetching:
            self._publish()                 # "正在查询…" while we ask the hall
            self._advance(self._fetch(self._session))
        if isinstance(event, S.PrintCredit) and self._session.state is S.State.CREDIT_REPORT:
            self._advance(self._credit.print(self._session, event.a4))
        if after is S.State.REVIEW and before is S.State.MATERIALS:
            self._printing.check()
        if isinstance(event, S.Reprint) and after is S.State.DONE:
            self._advance(self._printing.reprint())
        if after is S.State.ATTRACT:
            self._printing.forget()         # the receipt names the user (masked): gone with the session
        if after is S.State.THANKS and before is S.State.EVALUATE:
            self._evaluation.queue(self._session, event)
        if after is S.State.SUBMITTING and before is not S.State.SUBMITTING:
            self._publish()          # show "正在提交" while we work
            self._advance(self._submit.submit(self._session))
            if self._session.state is S.State.DONE:
                self._publish()
                self._advance(self._printing.application(self._session))

    def _fetch(self, s: S.Session):
        """What the session is waiting for -> the event with the answer."""
        if s.fetching == "applications":
            return self._progress.applications(s)
        if s.fetching == "progress":
            return self._progress.detail(s)
        if s.fetching == "photo":
            return self._materials.take_photo()
        return self._credit.fetch(s)

    def _advance(self, event) -> None:
        """Feed an event (a use case's outcome) into the session. None changes nothing."""
        if event is not None:
            self._session = S.transition(self._session, event, self._clock.monotonic(), self._cfg.timeouts)

    def _publish(self) -> None:
        self._published = self._observable()
        self._seq += 1
        s = self._session
        remote = self._remote
        snap = Snapshot(seq=self._seq, screen="maintenance" if remote.maintenance else s.state.value,
                        hall_name=self._cfg.hall_name, terminal_id=self._cfg.terminal_id, session=s,
                        matters=self._apply.matters, catalog_message=self._apply.message,
                        devices=MappingProxyType(dict(self._devices)),
                        notice=remote.notice, maintenance=remote.maintenance,
                        seconds_left=self._seconds_left(), hall_url=self._cfg.hall_url,
                        camera=self._materials.camera_status, rejected=self._technician.rejected,
                        matter_initials=self._apply.initials)
        self._latest = snap
        for fn in self._subscribers:
            fn(snap)
