"""Each use case (kiosk/usecases/) on its own, with fakes at its ports and a real SQLite
outbox: what it does to the ports and which session event it answers with. The controller's
routing is tested end to end in test_controller.py / test_materials.py / test_progress_flow.py."""
import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest

from kiosk import session as S
from kiosk.domain import materials as M
from kiosk.domain.catalogue import Catalog
from kiosk.events import HandOverRejected, RetryRejected
from kiosk.outbox import OutboxFull, SqliteOutbox
from kiosk.ports import (CaptureFailed, DeviceStatus, HallRejected, HallUnavailable, PrintResult, RemoteCommand,
                         SubmitResult)
from kiosk.usecases.apply import Apply
from kiosk.usecases.credit import Credit
from kiosk.usecases.evaluation import Evaluation
from kiosk.usecases.identify import EXPIRED, Identify
from kiosk.usecases.materials import Materials
from kiosk.usecases.printing import Printing
from kiosk.usecases.progress import Progress
from kiosk.usecases.remote import RemoteCommands
from kiosk.usecases.submit import STORAGE_FAILED, SignAndSubmit, local_number
from kiosk.usecases.technician import Technician
from tests.unit.conftest import make_card

SETTINGS = SimpleNamespace(terminal_id="T-9", hall_name="测试服务中心", technician_pin="2468",
                           printer_name="virtual", printer_columns=48)
NOW = 1_764_300_000.0          # 2025-11-28, China time


class Clock:
    def now(self):
        return NOW

    def monotonic(self):
        return NOW


class Hall:
    """Raises `error` (an exception instance) if set, else answers."""
    def __init__(self, matter=None, error=None):
        self.matter, self.error, self.calls = matter, error, []

    def _call(self, name, *args):
        self.calls.append((name, *args))
        if self.error is not None:
            raise self.error

    def catalog(self):
        self._call("catalog")
        return Catalog((self.matter,))

    def submit(self, app, key):
        self._call("submit", key)
        return SubmitResult("QY00001", "submitted")

    def applications_of(self, id_number):
        self._call("applications_of", id_number)
        return ["p1"]

    def progress(self, no, id_number):
        self._call("progress", no, id_number)
        return f"progress {no}"

    def credit_report(self, kind, code, name, id_number, qr):
        self._call("credit_report", kind, code, id_number)
        return SimpleNamespace(report_no="CR1", kind=kind)


class Printer:
    def __init__(self, ok=True):
        self.ok, self.docs = ok, []

    def print(self, doc):
        self.docs.append(doc)
        st = DeviceStatus.ok() if self.ok else DeviceStatus.fault("paper_out", "缺纸")
        return PrintResult(self.ok, doc.job_id, st, "" if self.ok else "打印机缺纸")

    def status(self):
        return DeviceStatus.fault("paper_out", "缺纸") if not self.ok else DeviceStatus.ok()


class Sender:
    def __init__(self, outbox, error=None):
        self.outbox, self.error, self.woken = outbox, error, 0

    def send_now(self, item):
        if self.error is not None:
            raise self.error
        self.outbox.mark_sent(item.key, {"application_no": "QY00001"})
        return {"application_no": "QY00001"}

    def wake(self):
        self.woken += 1


@pytest.fixture
def outbox(tmp_path):
    o = SqliteOutbox(tmp_path / "outbox.sqlite3", Clock())
    yield o
    o.close()


def signed_session(matter, card):
    return S.Session(state=S.State.SUBMITTING, card=card, matter=matter,
                     values={"phone": "13912345678"}, dispositions={"m1": M.ATTACHED},
                     attachments={"m1": M.Attachment("m1", "image/jpeg", b"\xff\xd8jpeg"),
                                  M.SIGNATURE_ID: M.Attachment(M.SIGNATURE_ID, "image/png", b"png")})


def done_session(matter, card, queued=False):
    return S.Session(state=S.State.DONE, card=card, matter=matter,
                     outcome=S.Outcome("DSX" if queued else "QY00001", queued, "5个工作日", "k1"))


# ---- apply ----------------------------------------------------------------------------------

def test_apply_loads_the_catalogue_and_retries_it_when_the_list_opens(matter):
    hall = Hall(matter, error=HallUnavailable("down"))
    a = Apply(hall)
    a.load()
    assert a.matters == () and "暂时无法获取事项目录" in a.message
    hall.error = None
    a.before(S.OpenMatters())
    assert a.matters == (matter,) and a.message == "" and a.matter(matter.code) is matter
    a.before(S.OpenMatters())                      # loaded: not asked again
    assert [c[0] for c in hall.calls] == ["catalog", "catalog"]


# ---- identify -------------------------------------------------------------------------------

def test_identify_refuses_an_expired_card_and_reads_codes_by_kind():
    ident = Identify(Clock())
    ok = S.CardRead(make_card())
    assert ident.card(ok) is ok
    old = replace(make_card(), valid_to=dt.date(2020, 1, 1))
    assert ident.card(S.CardRead(old)) == S.CardProblem(EXPIRED)
    receipt = SimpleNamespace(payload=SimpleNamespace(kind="receipt", application_no="QY1"), text="")
    licence = SimpleNamespace(payload=SimpleNamespace(kind="business_licence", uscc="91X"), text="qr")
    home, credit = S.Session(state=S.State.HOME), S.Session(state=S.State.CREDIT, card=make_card())
    assert ident.scanned(receipt, home) == S.ReceiptScanned("QY1")
    assert ident.scanned(licence, credit) == S.LicenceScanned("91X", "qr")
    assert isinstance(ident.scanned(licence, home), S.Say)
    assert ident.scanned(receipt, S.Session(state=S.State.MATERIALS)) is None   # documents, not commands


# ---- materials ------------------------------------------------------------------------------

class Camera:
    def __init__(self, fail=None, usable=True):
        self.fail, self.usable = fail, usable

    def capture_jpeg(self):
        if self.fail:
            raise CaptureFailed(self.fail)
        return b"\xff\xd8photo"

    def status(self):
        return DeviceStatus.ok() if self.usable else DeviceStatus.absent("unplugged")


def test_materials_takes_photos_and_reports_the_camera():
    m = Materials(Camera())
    assert m.take_photo() == S.PhotoTaken(b"\xff\xd8photo")
    assert m.submit() == S.SubmitMaterials(camera_ok=True)
    broken = Materials(Camera(fail="画面太暗", usable=False))
    assert broken.take_photo() == S.PhotoFailed("画面太暗")
    assert broken.submit() == S.SubmitMaterials(camera_ok=False) and not broken.camera_status.usable
    none = Materials(None)
    assert none.camera_status is None and none.submit() == S.SubmitMaterials(camera_ok=False)
    assert isinstance(none.take_photo(), S.PhotoFailed)


# ---- sign and submit ------------------------------------------------------------------------

def test_submit_queues_the_application_before_its_images_and_sends_it(outbox, matter, card):
    sender = Sender(outbox)
    ev = SignAndSubmit("T-9", outbox, sender, Clock()).submit(signed_session(matter, card))
    assert isinstance(ev, S.Submitted) and ev.outcome.application_no == "QY00001" and not ev.outcome.queued
    kinds = [i.kind for i in outbox.pending()]
    assert kinds == ["material", "material"] and sender.woken == 1      # images next, on the sender


def test_submit_offline_gives_a_local_number(outbox, matter, card):
    ev = SignAndSubmit("T-9", outbox, Sender(outbox, HallUnavailable("down")), Clock()).submit(
        signed_session(matter, card))
    assert ev.outcome.queued and ev.outcome.application_no == local_number(ev.outcome.key)
    assert [i.kind for i in outbox.pending()][0] == "application"


def test_submit_refused_or_unsaved_goes_back_with_a_reason(outbox, matter, card):
    refused = SignAndSubmit("T-9", outbox, Sender(outbox, HallRejected(422, "字段缺失")), Clock())
    ev = refused.submit(signed_session(matter, card))
    assert isinstance(ev, S.SubmitFailed) and "字段缺失" in str(ev.message)

    class FullOutbox:
        def enqueue_many(self, items):
            raise OutboxFull("disk full")
    sender = Sender(outbox)
    ev = SignAndSubmit("T-9", FullOutbox(), sender, Clock()).submit(signed_session(matter, card))
    assert isinstance(ev, S.SubmitFailed) and str(ev.message) == STORAGE_FAILED and sender.woken == 0


# ---- print and reprint ----------------------------------------------------------------------

def test_printing_keeps_the_receipt_for_a_reprint_until_the_session_ends(matter, card):
    devices, printer = {}, Printer()
    p = Printing(SETTINGS, printer, Clock(), devices)
    assert p.reprint() is None
    assert p.application(done_session(matter, card)) == S.Printed(True, "回执已打印，请取走")
    assert p.reprint().ok and printer.docs[1].job_id.startswith("T-9-QY00001-R")
    assert printer.docs[1].reprint and not printer.docs[0].reprint and devices["printer"].usable
    p.forget()
    assert p.reprint() is None and len(printer.docs) == 2


def test_printing_reports_the_printer_and_a_failed_test_page():
    devices, printer = {}, Printer(ok=False)
    p = Printing(SETTINGS, printer, Clock(), devices)
    p.check()
    assert devices["printer"].code == "paper_out"
    assert p.test_page() == S.Say("打印机缺纸")


# ---- progress -------------------------------------------------------------------------------

def test_progress_answers_or_says_why_not():
    s = S.Session(card=make_card(), wanted_no="QY7")
    assert Progress(Hall()).applications(s) == S.ShowApplications(("p1",))
    assert Progress(Hall()).detail(s) == S.ShowProgress("progress QY7")
    assert Progress(Hall(error=HallRejected(404, "no"))).detail(s).message.startswith("没有查到这份申请")
    assert Progress(Hall(error=HallUnavailable("x"))).applications(s).message.startswith("网络中断")


# ---- credit ---------------------------------------------------------------------------------

def test_credit_fetches_the_own_report_and_prints_a_summary_or_a4():
    hall, printer = Hall(), Printer()
    card = make_card()
    c = Credit(SETTINGS, hall, Printing(SETTINGS, printer, Clock(), {}), None, Clock())
    ev = c.fetch(S.Session(card=card, credit_request=("person", card.id_number, "")))
    assert ev.report.report_no == "CR1" and hall.calls[0] == ("credit_report", "person", card.id_number,
                                                               card.id_number)
    assert "未配置A4打印机" in c.print(S.Session(credit=ev.report), a4=True).message and not printer.docs
    denied = Credit(SETTINGS, Hall(error=HallRejected(403, "no")), None, None, Clock())
    assert denied.fetch(S.Session(card=card, credit_request=("enterprise", "91X", "qr"))).message.startswith("只能查询本人")


# ---- evaluation -----------------------------------------------------------------------------

def test_evaluation_goes_through_the_outbox_linked_to_its_application(outbox, matter, card):
    sender = Sender(outbox)
    Evaluation(outbox, sender).queue(done_session(matter, card, queued=True), S.Rate(2, ("办理慢",)))
    (item,) = outbox.pending()
    assert item.kind == "evaluation" and sender.woken == 1
    assert item.payload == {"level": 2, "reasons": ["办理慢"], "matter_code": matter.code,
                            "application_key": "k1", "application_no": None}   # queued: resolved by key


# ---- remote commands ------------------------------------------------------------------------

def test_remote_commands_and_a_restart_that_waits_for_the_visit(matter):
    restarts = []
    r = RemoteCommands(Apply(Hall(matter)), lambda: restarts.append(1))
    assert r.apply(RemoteCommand("c1", "maintenance_on", {})) is True and r.maintenance
    assert r.apply(RemoteCommand("c2", "notice", {"text": "x" * 300})) is False and len(r.notice) == 200
    r.apply(RemoteCommand("c3", "restart", {}))
    r.restart_if_idle(S.Session(state=S.State.FORM))
    assert restarts == []
    r.restart_if_idle(S.Session())
    r.restart_if_idle(S.Session())
    assert restarts == [1]


# ---- technician -----------------------------------------------------------------------------

def test_technician_pin_and_rejected_items(outbox, matter):
    outbox.enqueue("k1", "application", {"matter_code": matter.code, "applicant": {"name": "张三"}})
    outbox.mark_rejected("k1", "HTTP 422: bad")
    printer = Printer(ok=False)
    apply = Apply(Hall(matter))
    apply.load()
    t = Technician(SETTINGS, outbox, Sender(outbox), Printing(SETTINGS, printer, Clock(), {}), apply, Clock())
    assert t.check_pin("2468") == S.PinChecked(True) and t.check_pin("1111") == S.PinChecked(False)
    t.follow(S.State.TECH_PIN, S.State.TECH)
    assert len(t.rejected) == 1
    assert "移交单打印失败" in str(t.resolve(HandOverRejected("k1")).message)
    assert outbox.state_of("k1") == "rejected"             # a failed slip changes nothing
    assert t.resolve(RetryRejected("k1")) == S.Say("已重新排队上传") and outbox.state_of("k1") == "pending"
    assert [i.state for i in t.rejected] == ["pending"]      # the list on screen follows
    assert t.resolve(RetryRejected("k1")) == S.Say("该项已处理")
    t.follow(S.State.TECH, S.State.ATTRACT)
    assert t.rejected == ()


def test_technician_menu_is_locked_without_a_configured_pin(outbox):
    t = Technician(replace_settings(technician_pin=""), outbox, None, None, None, Clock())
    assert t.check_pin("") == S.PinChecked(False)


def replace_settings(**kw):
    return SimpleNamespace(**{**vars(SETTINGS), **kw})
