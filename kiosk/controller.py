"""The controller: one thread that owns the session and performs its side effects.

Everything that happens arrives as an event on one queue — a card from the reader thread, a tap
from the UI thread, a device status, a remote command, the clock's tick — so the session is only
ever touched by this thread and needs no locks. After every event it publishes an immutable
Snapshot; the UI renders snapshots and nothing else.
"""
from __future__ import annotations

import base64
import hmac
import logging
import queue
import threading
import uuid
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Callable, Mapping

from kiosk import rejected
from kiosk import session as S
from kiosk.clock import china_time
from kiosk.domain.application import Applicant, Application
from kiosk.domain import materials as M
from kiosk.domain.catalogue import Catalog, Matter
from kiosk.domain.message import Msg
from kiosk.domain.receipt import application_receipt, credit_summary, technician_test_page
from kiosk.outbox import OutboxFull, OutboxSender, SqliteOutbox
from kiosk.ports import (CaptureFailed, Clock, DeviceStatus, HallClient, HallRejected, HallUnavailable,
                         OutboxItem, ReceiptPrinter, RemoteCommand, StillCamera)

log = logging.getLogger(__name__)


# ---- events that are not the session's ----------------------------------------------------

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
        self._cfg = settings
        self._alive = alive                        # each loop turn: the systemd watchdog's liveness beat
        self._hall, self._outbox, self._sender = hall, outbox, sender
        self._printer, self._clock = printer, clock
        self._report_printer = report_printer      # A4 (ports.ReportPrinter); None: none here
        self._request_restart = request_restart
        self._camera = camera                      # material photos (ports.StillCamera)
        self._camera_status: DeviceStatus | None = camera.status() if camera is not None else None
        self._restart_pending = False
        self._events: queue.Queue = queue.Queue()
        self._subscribers: list[Callable[[Snapshot], None]] = []
        self._session = S.Session()
        self._catalog: Catalog | None = None
        self._catalog_message = "正在获取事项目录…"
        self._devices: dict[str, DeviceStatus] = {}
        self._notice = ""
        self._maintenance = False
        self._seq = 0
        self._latest: Snapshot | None = None
        self._receipt = None               # the last receipt printed, for 补打
        self._published: tuple = ()
        self._rejected: tuple = ()         # read from the outbox when the technician menu opens
        self._thread = threading.Thread(target=self._run, name="controller", daemon=True)

    # -- public, thread-safe ----------------------------------------------------------------
    def subscribe(self, fn: Callable[[Snapshot], None]) -> None:
        """fn is called on the controller thread: a UI must hop to its own thread itself."""
        self._subscribers.append(fn)

    def on_restart(self, fn: Callable[[], None]) -> None:
        """What the hall's `restart` command does (the UI stops the app; systemd restarts it)."""
        self._request_restart = fn

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
            self._restart_if_idle()

    def _observable(self) -> tuple:
        # last_activity alone changing (a touch) redraws nothing; the countdown's seconds do.
        return (replace(self._session, last_activity=0.0), self._seconds_left(),
                tuple(self._devices.items()), self._notice, self._maintenance,
                id(self._catalog), self._catalog_message, self._camera_status, self._rejected)

    def _seconds_left(self) -> int | None:
        return self._cfg.timeouts.seconds_left(self._session, self._clock.monotonic())

    def _handle(self, event) -> None:
        if isinstance(event, DeviceChanged):
            self._devices[event.device] = event.status
            return
        if isinstance(event, RemoteCommandReceived):
            self._apply_command(event.command)
            return
        if isinstance(event, ReloadCatalog):
            self._load_catalog()
            return
        if isinstance(event, (RetryRejected, HandOverRejected)):
            if self._session.state is S.State.TECH:
                self._advance(self._resolve_rejected(event))
            return
        if isinstance(event, S.OpenMatters) and self._catalog is None:
            self._load_catalog()     # the hall may be back since start-up
        if isinstance(event, S.CardRead) and event.card.is_expired(china_time(self._clock.now()).date()):
            event = S.CardProblem("您的身份证已过期，请使用有效证件，或到人工窗口办理")
        if isinstance(event, CodeScanned):
            if self._session.state is S.State.MATERIALS:
                # The camera is looking at documents: a QR code printed on one is not a command.
                log.info("code ignored on the materials screen (%s)", event.code.payload.kind)
                return
            event = self._scanned(event.code)
        if isinstance(event, S.SubmitMaterials):
            event = S.SubmitMaterials(camera_ok=self._camera_usable())
        if isinstance(event, EnterPin):
            # An empty configured PIN disables the menu; compare in constant time.
            pin = self._cfg.technician_pin
            event = S.PinChecked(bool(pin) and hmac.compare_digest(event.pin.encode(), pin.encode()))
        if isinstance(event, TestPrint) and self._session.state is S.State.TECH:
            event = self._test_print()
        before = self._session.state
        self._advance(event)
        after = self._session.state
        if after is S.State.TECH and before is not S.State.TECH:
            self._rejected = self._read_rejected()
        elif after is not S.State.TECH:
            self._rejected = ()
        if self._camera is not None and after is S.State.MATERIALS:
            # cheap (a lock and a field): a camera unplugged meanwhile greys 拍照 within a tick
            self._camera_status = self._camera.status()
        if after is S.State.ATTRACT and before is not S.State.ATTRACT:
            log.info("session ended (%s)", type(event).__name__)   # no identity in logs
        if self._session.fetching:
            self._publish()                 # "正在查询…" while we ask the hall
            self._advance(self._fetch(self._session))
        if isinstance(event, S.PrintCredit) and self._session.state is S.State.CREDIT_REPORT:
            self._advance(self._print_credit(event.a4))
        if after is S.State.REVIEW and before is S.State.MATERIALS:
            # Say it *before* the user submits: paper out means no receipt (issue #5).
            self._devices["printer"] = self._printer.status()
        if isinstance(event, S.Reprint) and after is S.State.DONE and self._receipt is not None:
            self._receipt = self._receipt.as_reprint(f"{self._receipt.job_id}-R{uuid.uuid4().hex[:6]}")
            self._advance(self._print_receipt(self._receipt))
        if after is S.State.ATTRACT:
            self._receipt = None            # it names the user (masked): gone with the session
        if after is S.State.THANKS and before is S.State.EVALUATE:
            self._queue_evaluation(event)
        if after is S.State.SUBMITTING and before is not S.State.SUBMITTING:
            self._publish()          # show "正在提交" while we work
            self._advance(self._submit())
            if self._session.state is S.State.DONE:
                self._publish()
                self._advance(self._print())

    def _advance(self, event) -> None:
        """Feed the outcome of a use case back into the session."""
        self._session = S.transition(self._session, event, self._clock.monotonic(), self._cfg.timeouts)

    def _fetch(self, s: S.Session):
        """What the session is waiting for from the hall -> the Show* event with the answer."""
        if s.fetching == "applications":
            return self._fetch_applications()
        if s.fetching == "progress":
            return self._fetch_progress(s.wanted_no, s.card.id_number)
        if s.fetching == "photo":
            return self._take_photo()
        return self._fetch_credit(*s.credit_request)

    # -- use cases ---------------------------------------------------------------------------
    def _load_catalog(self) -> None:
        try:
            self._catalog = self._hall.catalog()
            self._catalog_message = "" if self._catalog.matters else "暂无可办理的事项"
        except (HallUnavailable, HallRejected) as e:
            log.warning("catalogue unavailable: %s", e)
            self._catalog_message = "暂时无法获取事项目录，请稍后再试或咨询工作人员"

    def _camera_usable(self) -> bool:
        st = self._camera.status() if self._camera is not None else None
        self._camera_status = st
        return st is not None and st.usable

    def _take_photo(self):
        """On this thread, never the UI's: the newest frame, scaled and JPEG-encoded (driver)."""
        if self._camera is None:
            return S.PhotoFailed("本机没有摄像头，不能拍照")
        try:
            return S.PhotoTaken(self._camera.capture_jpeg())
        except CaptureFailed as e:
            log.warning("material photo failed: %s", e.message)
            return S.PhotoFailed(e.message)
        finally:
            self._camera_status = self._camera.status()

    def _submit(self):
        s = self._session
        extra = {k: M.ATTACHED for k in s.attachments if k not in s.dispositions}   # e.g. the signature
        app = Application(matter_code=s.matter.code, matter_version=s.matter.version,
                          applicant=Applicant(s.card.name, s.card.id_number, _phone(s)),
                          fields=dict(s.values), terminal_id=self._cfg.terminal_id,
                          materials=tuple(M.payload(s.matter, s.dispositions, extra)))
        key = uuid.uuid4().hex
        item = OutboxItem(key=key, kind="application", payload=app.to_json(), created_at=self._clock.now())
        # The application and its images in one transaction, the application first: the
        # sender sends in that order and holds an image until its application has a number.
        items = [(key, item.kind, item.payload)] + [
            (material_key(key, a.material_id), "material", material_payload(key, a))
            for a in s.attachments.values()]
        try:
            self._outbox.enqueue_many(items)
        except OutboxFull as e:
            return self._storage_failed(e)
        try:
            result = self._sender.send_now(item)
            if len(items) > 1:
                self._sender.wake()      # the images go next, on the sender's thread
            return S.Submitted(S.Outcome(result["application_no"], False, s.matter.time_limit_text, key))
        except HallUnavailable:
            self._sender.wake()
            return S.Submitted(S.Outcome(local_number(key), True, s.matter.time_limit_text, key))
        except HallRejected as e:
            return S.SubmitFailed(Msg("申请未被受理：{detail}。请核对后重试，或咨询工作人员。", detail=e.message))

    def _storage_failed(self, error: OutboxFull):
        """Disk full or read-only: nothing was saved, so nothing is sent either — a direct send
        would deliver the application without the photos it could not keep (half an
        application). The person goes to the window; what was queued before stays queued."""
        log.error("outbox unwritable (%s): submission refused, nothing sent", error)
        return S.SubmitFailed(Msg(STORAGE_FAILED))

    def _scanned(self, code):
        """A code from the camera or the serial scanner -> the session event it means."""
        payload = code.payload
        if payload.kind == "receipt":
            return S.ReceiptScanned(payload.application_no)
        if payload.kind == "business_licence":
            if self._session.state is S.State.CREDIT and self._session.card is not None:
                return S.LicenceScanned(payload.uscc, code.text or "")
            return S.Say("已识别营业执照。查询企业信用报告请先放身份证，再点“信用报告查询打印”")
        if payload.kind == "appointment":
            return S.Say("已识别预约码。预约签到请到取号机或窗口办理")
        return S.Say(payload.message)   # 无法识别此二维码（内容：…）, escaped and truncated

    def _fetch_applications(self):
        try:
            return S.ShowApplications(tuple(self._hall.applications_of(self._session.card.id_number)))
        except HallUnavailable:
            return S.ShowApplications((), "网络中断，暂时无法查询，请稍后再试")
        except HallRejected as e:
            log.warning("applications query refused: %s", e.status)
            return S.ShowApplications((), "暂时无法查询，请咨询工作人员")

    def _fetch_progress(self, application_no: str, id_number: str):
        try:
            return S.ShowProgress(self._hall.progress(application_no, id_number))
        except HallUnavailable:
            return S.ShowProgress(None, "网络中断，暂时无法查询，请稍后再试")
        except HallRejected as e:
            if e.status == 404:
                return S.ShowProgress(None, "没有查到这份申请，或它不是您本人的申请")
            return S.ShowProgress(None, "暂时无法查询，请咨询工作人员")

    def _fetch_credit(self, kind: str, code: str, licence_qr: str):
        card = self._session.card
        try:
            return S.ShowCredit(self._hall.credit_report(kind, code, card.name, card.id_number, licence_qr))
        except HallUnavailable:
            return S.ShowCredit(None, "网络中断，暂时无法查询，请稍后再试")
        except HallRejected as e:
            if e.status in (403, 404):
                return S.ShowCredit(None, "只能查询本人或本人担任法定代表人的企业的信用报告")
            return S.ShowCredit(None, "暂时无法查询，请咨询工作人员")

    def _print_credit(self, a4: bool):
        report = self._session.credit
        if a4:
            if self._report_printer is None:
                return S.Say("本终端未配置A4打印机，请打印摘要，或凭报告编号到窗口打印")
            result = self._report_printer.print_report(report)
            log.info("A4 credit report %s: sent=%s", report.report_no, result.sent)
            return S.Say("完整报告已送打印机，请到A4打印机取件" if result.sent else "完整报告已生成，请到窗口打印")
        doc = credit_summary(job_id=f"{self._cfg.terminal_id}-{report.report_no}", hall_name=self._cfg.hall_name,
                             terminal_id=self._cfg.terminal_id, report=report,
                             printed_at=china_time(self._clock.now()))
        result = self._print_doc(doc)
        return S.Say("信用报告摘要已打印，请取走" if result.ok else (result.message or "打印失败"))

    def _queue_evaluation(self, rate: S.Rate) -> None:
        """好差评 goes through the outbox like an application: a rating is never lost, and it is
        sent after the application it rates (the sender resolves the hall's number by key)."""
        s = self._session
        payload = {"level": rate.level, "reasons": list(rate.reasons), "matter_code": s.matter.code,
                   "application_key": s.outcome.key,
                   "application_no": None if s.outcome.queued else s.outcome.application_no}
        try:
            self._outbox.enqueue(uuid.uuid4().hex, "evaluation", payload)
            self._sender.wake()
        except OutboxFull:
            log.error("outbox unwritable: a 好差评 could not be saved")

    def _print(self):
        s = self._session
        doc = application_receipt(
            job_id=f"{self._cfg.terminal_id}-{s.outcome.application_no}",
            hall_name=self._cfg.hall_name, terminal_id=self._cfg.terminal_id,
            matter_name=s.matter.name, application_no=s.outcome.application_no,
            applicant_name=s.card.name, applicant_id_number=s.card.id_number,
            submitted_at=china_time(self._clock.now()),
            time_limit_text=s.outcome.time_limit_text, consult_phone=s.matter.consult_phone,
            complaint_phone=s.matter.complaint_phone, queued=s.outcome.queued,
            window_materials=tuple(M.window_names(s.matter, s.dispositions)), window_location=s.matter.location)
        self._receipt = doc
        return self._print_receipt(doc)

    def _print_receipt(self, doc):
        result = self._print_doc(doc)
        return S.Printed(result.ok, result.message or ("回执已打印，请取走" if result.ok else "回执打印失败"))

    def _print_doc(self, doc):
        """Every slip goes through here: the printer's status after a job is what we show."""
        result = self._printer.print(doc)
        self._devices["printer"] = result.status
        return result

    def _test_print(self):
        doc = technician_test_page(job_id=f"{self._cfg.terminal_id}-test-{uuid.uuid4().hex[:8]}",
                                   hall_name=self._cfg.hall_name, terminal_id=self._cfg.terminal_id,
                                   printer=self._cfg.printer_name, columns=self._cfg.printer_columns,
                                   text_mode="native", printed_at=china_time(self._clock.now()))
        result = self._print_doc(doc)
        return S.Say("测试页已打印" if result.ok else (result.message or "打印失败"))

    def _read_rejected(self) -> tuple:
        return rejected.items(self._outbox.rejected_rows())

    def _resolve_rejected(self, event):
        """再试一次 or 移交窗口 (kiosk/rejected.py). The data leaves the disk only after the slip
        printed: a failed print changes nothing (never lost, never silently kept)."""
        row = next((r for r in self._outbox.rejected_rows() if r["key"] == event.key and r["state"] == "rejected"), None)
        if row is None:
            return S.Say("该项已处理")
        try:
            if isinstance(event, RetryRejected):
                self._outbox.retry_rejected(event.key)
                self._sender.wake()
                log.info("rejected outbox item %s re-queued by the technician", event.key)
                return S.Say("已重新排队上传")
            p = row["payload"] or {}
            matter = next((m for m in (self._catalog.matters if self._catalog else ())
                           if m.code == p.get("matter_code")), None)
            doc = rejected.handover_slip(job_id=f"{self._cfg.terminal_id}-handover-{event.key[:8]}",
                                         hall_name=self._cfg.hall_name, terminal_id=self._cfg.terminal_id,
                                         matter_name=matter.name if matter else "", row=row,
                                         printed_at=china_time(self._clock.now()))
            result = self._print_doc(doc)
            if not result.ok:
                return S.Say(Msg("移交单打印失败，未移交：{detail}", detail=result.message or "打印机故障"))
            self._outbox.hand_over(event.key)
            log.info("rejected outbox item %s handed over to the window", event.key)
            return S.Say("移交单已打印，请交窗口工作人员")
        except OutboxFull as e:
            log.error("cannot resolve rejected item %s: %s", event.key, e)
            return S.Say(STORAGE_FAILED)
        finally:
            self._rejected = self._read_rejected()

    def _restart_if_idle(self) -> None:
        if self._restart_pending and self._session.state is S.State.ATTRACT:
            self._restart_pending = False
            log.info("restarting on the hall's command")
            self._request_restart()            # the app exits; systemd (Restart=always) starts it again

    def _apply_command(self, cmd: RemoteCommand) -> None:
        if cmd.kind == "maintenance_on":
            self._maintenance = True
            self._session = S.Session()    # nobody continues on a terminal under maintenance
        elif cmd.kind == "maintenance_off":
            self._maintenance = False
        elif cmd.kind == "notice":
            self._notice = str(cmd.payload.get("text", ""))[:200]
        elif cmd.kind == "reload_catalog":
            self._load_catalog()
        elif cmd.kind == "restart":
            self._restart_pending = True       # done when nobody is in the middle of a visit
        else:
            log.warning("remote command %s not supported by this version", cmd.kind)

    def _publish(self) -> None:
        self._published = self._observable()
        self._seq += 1
        s = self._session
        screen = "maintenance" if self._maintenance else s.state.value
        snap = Snapshot(seq=self._seq, screen=screen, hall_name=self._cfg.hall_name,
                        terminal_id=self._cfg.terminal_id, session=s,
                        matters=self._catalog.matters if self._catalog else (),
                        catalog_message=self._catalog_message,
                        devices=MappingProxyType(dict(self._devices)),
                        notice=self._notice, maintenance=self._maintenance,
                        seconds_left=self._seconds_left(), hall_url=self._cfg.hall_url,
                        camera=self._camera_status, rejected=self._rejected)
        self._latest = snap
        for fn in self._subscribers:
            fn(snap)


STORAGE_FAILED = "本机存储故障，申请未能保存，也未发送。请到人工窗口办理。"


def material_key(application_key: str, material_id: str) -> str:
    """The outbox key of an image: derived from its application's, so a retry is the same item."""
    return f"{application_key}.{material_id}"


def material_payload(application_key: str, a: M.Attachment) -> dict:
    """An outbox item of kind "material": the image and the application it belongs to."""
    return {"application_key": application_key, "material_id": a.material_id,
            "content_type": a.content_type, "data_b64": base64.b64encode(a.data).decode("ascii")}


def local_number(key: str) -> str:
    """The number a 待上传回执 carries until the hall assigns the real one."""
    return "DS" + key[:12].upper()


def _phone(s: S.Session) -> str:
    for f in s.matter.form:
        if f.type == "phone":
            return s.values.get(f.name, "")
    return ""
