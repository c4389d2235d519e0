"""The controller with fakes at its ports: a hall that can be 'down', a printer that records."""
import threading
import time

import pytest

from kiosk import session as S
from kiosk.controller import Controller, ControllerSettings, DeviceChanged, RemoteCommandReceived
from kiosk.domain.catalogue import Catalog
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.ports import DeviceStatus, HallRejected, HallUnavailable, PrintResult, RemoteCommand, SubmitResult
from tests.unit.conftest import GOOD_VALUES, SIGNED


class FakeClock:
    def __init__(self):
        self.t = 1_764_300_000.0

    def now(self):
        return self.t

    def monotonic(self):
        return self.t


class FakeHall:
    def __init__(self, matter):
        self.matter = matter
        self.down = False
        self.reject = None
        self.by_key = {}
        self.evaluations = {}
        self.materials = {}              # (application_no, material id) -> (content type, bytes)

    def evaluate(self, body, key):
        if self.down:
            raise HallUnavailable("down")
        self.evaluations[key] = body
        return {"id": len(self.evaluations)}

    def catalog(self):
        if self.down:
            raise HallUnavailable("down")
        return Catalog((self.matter,))

    def submit(self, app, key):
        if self.down:
            raise HallUnavailable("down")
        if self.reject:
            raise HallRejected(422, self.reject)
        no = self.by_key.setdefault(key, f"QY{len(self.by_key) + 1:05d}")
        return SubmitResult(no, "submitted")

    def put_material(self, application_no, material_id, content_type, data):
        if self.down:
            raise HallUnavailable("down")
        self.materials[(application_no, material_id)] = (content_type, data)
        return {"application_no": application_no, "material_id": material_id}


class FakePrinter:
    def __init__(self):
        self.docs = []

    def print(self, doc):
        self.docs.append(doc)
        return PrintResult(True, doc.job_id, DeviceStatus.ok())

    def status(self):
        return DeviceStatus.ok()


def watch(c: Controller):
    """Subscribe to the controller's snapshots (before c.start()); returns wait(pred, timeout),
    which blocks until the newest snapshot satisfies pred and returns it."""
    snaps, cond = [], threading.Condition()

    def on(snap):
        with cond:
            snaps.append(snap)
            cond.notify_all()
    c.subscribe(on)

    def wait(pred, timeout=5):
        deadline = time.monotonic() + timeout
        with cond:
            while not (snaps and pred(snaps[-1])):
                left = deadline - time.monotonic()
                assert left > 0, f"timeout; last screen {snaps[-1].screen if snaps else None}"
                cond.wait(left)
            return snaps[-1]
    return wait


@pytest.fixture
def rig(tmp_path, matter):
    clock = FakeClock()
    hall = FakeHall(matter)
    outbox = SqliteOutbox(tmp_path / "outbox.sqlite3", clock)

    from kiosk.delivery import send_outbox_item
    sender = OutboxSender(outbox, lambda item: send_outbox_item(hall, outbox, item))
    printer = FakePrinter()
    c = Controller(ControllerSettings("T-1", "测试服务中心", S.Timeouts(60, 15, 30), tick_s=0.05),
                   hall, outbox, sender, printer, clock)
    wait = watch(c)
    c.start()
    yield c, hall, outbox, sender, printer, clock, wait
    c.stop()
    outbox.close()


def walk_to_review(c, wait, matter, card):
    c.post(S.CardRead(card))
    wait(lambda s: s.screen == "home")
    c.post(S.OpenMatters())
    snap = wait(lambda s: s.screen == "matters" and s.matters)
    c.post(S.ChooseMatter(snap.matters[0]))
    wait(lambda s: s.screen == "guide")
    c.post(S.StartApplication())
    snap = wait(lambda s: s.screen == "form")
    c.post(S.SubmitForm({**snap.session.values, **GOOD_VALUES}))
    wait(lambda s: s.screen == "materials")
    c.post(S.DeferToWindow("m1"))           # 窗口补交 (tests/unit/test_materials.py photographs)
    c.post(S.SubmitMaterials())
    wait(lambda s: s.screen == "review")


def test_submit_prints_receipt_with_hall_number(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    walk_to_review(c, wait, matter, card)
    c.post(S.Confirm())
    c.post(S.Sign(SIGNED))
    snap = wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None)
    assert snap.session.outcome.application_no == "QY00001" and not snap.session.outcome.queued
    doc = printer.docs[0]
    text = doc.plain_text()
    assert doc.title == "受理回执" and "QY00001" in text and "[QR QY00001]" in text
    assert card.id_number not in text and "3201**********" in text
    sender.drain_once()                 # the signature follows its application (the sender's thread)
    assert outbox.pending_count() == 0
    content_type, png = hall.materials[("QY00001", "signature")]
    assert content_type == "image/png" and png.startswith(b"\x89PNG")
    # personal data leaves the disk once the hall has it
    row = outbox._db.execute("SELECT payload FROM outbox").fetchone()
    assert row == (None,)


def test_hall_down_queues_and_sends_later_with_same_key(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    walk_to_review(c, wait, matter, card)
    hall.down = True
    c.post(S.Confirm())
    c.post(S.Sign(SIGNED))
    snap = wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None)
    assert snap.session.outcome.queued and snap.session.outcome.application_no.startswith("DS")
    assert printer.docs[0].title == "待上传回执"
    assert "网络恢复后自动上报" in printer.docs[0].plain_text()
    item, signature = outbox.pending()
    assert (item.kind, signature.kind, signature.payload["material_id"]) == ("application", "material", "signature")
    hall.down = False
    assert sender.drain_once()
    assert sender.drain_once()          # a second round sends nothing twice
    assert list(hall.by_key) == [item.key] and outbox.pending_count() == 0
    assert list(hall.materials) == [(hall.by_key[item.key], "signature")]


def test_rejected_submission_returns_to_review_with_reason(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    walk_to_review(c, wait, matter, card)
    hall.reject = "事项版本已更新"
    c.post(S.Confirm())
    c.post(S.Sign(SIGNED))
    snap = wait(lambda s: s.screen == "review" and s.session.message)
    assert "事项版本已更新" in snap.session.message and not printer.docs
    sender.drain_once()                  # the signature of a refused application is refused with it
    assert outbox.pending_count() == 0   # rejected items are not retried forever
    assert not hall.materials


def test_idle_timeout_through_controller_ticks(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    c.post(S.CardRead(card))
    wait(lambda s: s.screen == "home")
    clock.t += 61
    snap = wait(lambda s: s.seconds_left is not None)
    assert snap.screen == "home" and snap.seconds_left == 14
    c.post(S.KeepAlive())
    snap = wait(lambda s: s.seconds_left is None)
    assert snap.screen == "home"
    clock.t += 76
    snap = wait(lambda s: s.screen == "attract")
    assert snap.session.card is None and snap.seconds_left is None


def test_remote_maintenance_and_notice(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    c.post(S.CardRead(card))
    wait(lambda s: s.screen == "home")
    c.post(RemoteCommandReceived(RemoteCommand("1", "maintenance_on")))
    snap = wait(lambda s: s.screen == "maintenance")
    assert snap.session.card is None     # the user in front of it is not left half-way with data
    c.post(RemoteCommandReceived(RemoteCommand("2", "notice", {"text": "今日16:00后暂停服务"})))
    c.post(RemoteCommandReceived(RemoteCommand("3", "maintenance_off")))
    snap = wait(lambda s: s.screen == "attract" and s.notice)
    assert snap.notice == "今日16:00后暂停服务"


def test_catalog_unavailable_says_so_and_recovers(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    c.stop()
    hall.down = True
    c2 = Controller(ControllerSettings("T-1", "x", tick_s=0.05), hall, outbox, sender, printer, clock)
    got = []
    c2.subscribe(got.append)
    c2.start()
    c2.post(DeviceChanged("idcard", DeviceStatus.ok()))
    time.sleep(0.3)
    assert "暂时无法获取事项目录" in got[-1].catalog_message and not got[-1].matters
    hall.down = False
    c2.post(S.CardRead(card))
    c2.post(S.OpenMatters())             # opening the list retries the catalogue
    time.sleep(0.3)
    assert got[-1].screen == "matters" and got[-1].matters and got[-1].catalog_message == ""
    c2.stop()


def rate(c, wait, level, reasons=()):
    c.post(S.Evaluate())
    wait(lambda s: s.screen == "evaluate")
    c.post(S.Rate(level, reasons))
    return wait(lambda s: s.screen == "thanks")


def test_evaluation_is_queued_and_sent_with_the_application_number(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    walk_to_review(c, wait, matter, card)
    c.post(S.Confirm())
    c.post(S.Sign(SIGNED))
    wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None)
    rate(c, wait, 2, ("办理时间长",))
    assert sender.drain_once()
    [body] = hall.evaluations.values()
    assert body == {"level": 2, "reasons": ["办理时间长"], "matter_code": matter.code,
                    "application_no": "QY00001"}


def test_evaluation_of_a_queued_application_waits_for_its_number(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    walk_to_review(c, wait, matter, card)
    hall.down = True
    c.post(S.Confirm())
    c.post(S.Sign(SIGNED))
    wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None)
    rate(c, wait, 5)
    assert outbox.pending_count() == 3 and not hall.evaluations   # application, signature, 好差评
    hall.down = False
    assert sender.drain_once()
    [body] = hall.evaluations.values()
    assert body["application_no"] == "QY00001" and body["level"] == 5   # the hall's number, not DS…


class PaperOutPrinter(FakePrinter):
    def status(self):
        from kiosk.ports import DeviceState
        return DeviceStatus(DeviceState.PAPER_OUT)


def test_paper_out_is_known_before_submitting_and_reprint_is_marked(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    printer.status = PaperOutPrinter().status          # the roll ran out while the user typed
    walk_to_review(c, wait, matter, card)
    snap = wait(lambda s: s.screen == "review" and "printer" in s.devices)
    assert snap.devices["printer"].state.value == "paper_out"
    c.post(S.Confirm())
    c.post(S.Sign(SIGNED))
    wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None)
    c.post(S.Reprint())
    deadline = time.monotonic() + 3
    while len(printer.docs) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    first, again = printer.docs
    assert not first.reprint and again.reprint and again.job_id != first.job_id
    assert again.blocks == first.blocks


def test_expired_card_is_refused_with_a_reason(rig, matter):
    import datetime as dt
    from dataclasses import replace
    from tests.unit.conftest import make_card
    c, hall, outbox, sender, printer, clock, wait = rig
    expired = replace(make_card(), valid_to=dt.date(2020, 1, 1))
    c.post(S.CardRead(expired))
    snap = wait(lambda s: "过期" in s.session.message)
    assert snap.screen == "attract" and snap.session.card is None


def test_restart_waits_for_the_visit_to_end_and_reload_catalog(rig, matter, card):
    c, hall, outbox, sender, printer, clock, wait = rig
    restarts = []
    c.on_restart(lambda: restarts.append(1))
    c.post(S.CardRead(card))
    wait(lambda s: s.screen == "home")
    c.post(RemoteCommandReceived(RemoteCommand("9", "restart")))
    c.post(RemoteCommandReceived(RemoteCommand("10", "reload_catalog")))
    time.sleep(0.3)
    assert restarts == []                       # a citizen is in the middle of a visit
    c.post(S.Finish())
    deadline = time.monotonic() + 3
    while not restarts and time.monotonic() < deadline:
        time.sleep(0.02)
    assert restarts == [1]


def test_empty_technician_pin_keeps_the_menu_locked(rig):
    from kiosk.controller import EnterPin
    c, hall, outbox, sender, printer, clock, wait = rig   # the rig configures no PIN
    c.post(S.OpenTechnician())
    wait(lambda s: s.screen == "tech_pin")
    c.post(EnterPin(""))
    snap = wait(lambda s: s.session.message == "PIN 错误")
    assert snap.screen == "tech_pin"
