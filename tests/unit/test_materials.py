"""申请材料: the session's materials step, the controller taking stills and queueing images after
their application, the still camera's JPEG, the receipt's 窗口补交 list, the catalogue flag."""
import threading
import time

import numpy as np
import pytest

from kiosk import session as S
from kiosk.controller import CodeScanned, Controller, ControllerSettings, material_key
from kiosk.domain import materials as M
from kiosk.domain.catalogue import Matter
from kiosk.domain.receipt import application_receipt
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.ports import CaptureFailed, DeviceStatus, HallRejected, HallUnavailable
from kiosk.session import State
from tests.unit.conftest import GOOD_VALUES, MATTER, SIGNED
from tests.unit.test_controller import FakeClock, FakeHall, FakePrinter, watch

T = S.Timeouts(idle_s=60, warn_s=15, done_s=30)
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100

MATERIALS = [
    {"id": "sqb", "name": "申请表", "form": "原件", "window_allowed": True},
    {"id": "yyzz", "name": "营业执照", "form": "原件", "exempt_by_sharing": True},
    {"id": "htxy", "name": "租赁合同", "form": "复印件"},
    {"id": "wts", "name": "授权委托书", "form": "原件", "required": False},
]


@pytest.fixture
def matter4() -> Matter:
    return Matter.from_dict({**MATTER, "materials": MATERIALS,
                             "steps": [{"name": "受理", "description": "窗口受理",
                                        "materials": [m["id"] for m in MATERIALS]}]})


def run(s, *events, t0=100.0):
    for i, e in enumerate(events):
        s = S.transition(s, e, t0 + i, T)
    return s


def at_materials(matter, card):
    s = run(S.Session(), S.CardRead(card), S.OpenMatters(), S.ChooseMatter(matter), S.StartApplication())
    s = run(s, S.SubmitForm({**s.values, **GOOD_VALUES}))
    assert s.state is State.MATERIALS
    return s


# ---- session ---------------------------------------------------------------------------------

def test_exempt_materials_are_settled_from_the_start(matter4, card):
    s = at_materials(matter4, card)
    assert dict(s.dispositions) == {"yyzz": M.EXEMPT}
    assert run(s, S.OpenCamera("yyzz")) == s            # nothing to photograph
    assert run(s, S.DeferToWindow("yyzz")) == s


def test_photo_retake_and_use(matter4, card):
    s = run(at_materials(matter4, card), S.OpenCamera("htxy"))
    assert s.capturing == "htxy" and s.photo is None
    s = run(s, S.TakePhoto())
    assert s.fetching == "photo" and s.message               # "正在拍照…" while the controller works
    assert run(s, S.TakePhoto()) == s                         # a second press meanwhile does nothing
    s = run(s, S.PhotoTaken(b"first"))
    assert s.fetching == "" and s.photo == M.Attachment("htxy", "image/jpeg", b"first")
    s = run(s, S.Retake())
    assert s.photo is None and s.capturing == "htxy"
    s = run(s, S.TakePhoto(), S.PhotoTaken(b"second"), S.UsePhoto())
    assert s.capturing == "" and s.photo is None
    assert s.dispositions["htxy"] == M.ATTACHED and s.attachments["htxy"].data == b"second"
    assert "second" not in repr(s.attachments["htxy"])        # never image bytes in a log line


def test_failed_photo_says_why_and_stays_in_the_camera_view(matter4, card):
    s = run(at_materials(matter4, card), S.OpenCamera("htxy"), S.TakePhoto(), S.PhotoFailed("摄像头没有画面"))
    assert s.capturing == "htxy" and s.photo is None and s.message == "摄像头没有画面" and not s.fetching


def test_cancel_and_back_leave_the_camera_view_without_attaching(matter4, card):
    s = run(at_materials(matter4, card), S.OpenCamera("htxy"), S.TakePhoto(), S.PhotoTaken(b"p"))
    s2 = run(s, S.CancelCapture())
    assert s2.state is State.MATERIALS and not s2.capturing and "htxy" not in s2.attachments
    s3 = run(s, S.Back())
    assert s3.state is State.MATERIALS and not s3.capturing       # Back closes the camera first
    assert run(s3, S.Back()).state is State.FORM


def test_required_must_be_settled_optional_may_be_skipped(matter4, card):
    s = run(at_materials(matter4, card), S.SubmitMaterials())
    assert s.state is State.MATERIALS
    assert dict(s.material_errors) == {"sqb": "必需材料，请拍照上传，或选择窗口补交", "htxy": "必需材料，请拍照上传"}
    s = run(s, S.DeferToWindow("sqb"))
    assert s.dispositions["sqb"] == M.WINDOW and "sqb" not in s.material_errors
    s = run(s, S.OpenCamera("htxy"), S.TakePhoto(), S.PhotoTaken(JPEG), S.UsePhoto(), S.SubmitMaterials())
    assert s.state is State.REVIEW and not s.material_errors       # wts (optional) skipped
    assert M.payload(matter4, s.dispositions) == [
        {"id": "sqb", "disposition": "window"}, {"id": "yyzz", "disposition": "exempt"},
        {"id": "htxy", "disposition": "attached"}, {"id": "wts", "disposition": "none"}]
    assert run(s, S.Back()).state is State.MATERIALS                # and the choices are kept
    assert run(s, S.Back()).dispositions == s.dispositions


def test_window_only_where_allowed_and_choices_can_be_undone(matter4, card):
    s = run(at_materials(matter4, card), S.DeferToWindow("htxy"))
    assert "htxy" not in s.dispositions and s.material_errors["htxy"] == "此材料不能窗口补交，请拍照上传"
    s = run(s, S.OpenCamera("sqb"), S.TakePhoto(), S.PhotoTaken(JPEG), S.UsePhoto())
    assert s.dispositions["sqb"] == M.ATTACHED
    s = run(s, S.DeferToWindow("sqb"))                    # window instead: the photo is dropped
    assert s.dispositions["sqb"] == M.WINDOW and "sqb" not in s.attachments
    s = run(s, S.ClearMaterial("sqb"))
    assert "sqb" not in s.dispositions


def test_camera_fault_messages_never_leave_the_user_stuck(matter4, card):
    s = run(at_materials(matter4, card), S.SubmitMaterials(camera_ok=False))
    assert s.material_errors["sqb"] == "摄像头暂不可用，请选择窗口补交"
    assert s.material_errors["htxy"] == S.GO_TO_WINDOW and "窗口" in S.GO_TO_WINDOW


def test_photos_are_wiped_with_the_session_and_dropped_after_submission(matter4, card):
    s = run(at_materials(matter4, card), S.OpenCamera("htxy"), S.TakePhoto(), S.PhotoTaken(JPEG), S.UsePhoto())
    assert run(s, S.Finish()).attachments == {}
    assert run(s, S.Tick(), t0=100 + 1000).attachments == {}      # idle timeout
    s = run(s, S.DeferToWindow("sqb"), S.SubmitMaterials(), S.Confirm(), S.Sign(SIGNED))
    assert s.state is State.SUBMITTING and s.attachments
    s = run(s, S.Submitted(S.Outcome("QY1", False, "即办")))
    assert s.state is State.DONE and s.attachments == {} and s.dispositions["sqb"] == M.WINDOW
    # a new application of the same visit starts with no materials
    s2 = run(at_materials(matter4, card), S.DeferToWindow("sqb"), S.Back(), S.Back(), S.StartApplication())
    assert dict(s2.dispositions) == {"yyzz": M.EXEMPT}


# ---- controller --------------------------------------------------------------------------------

class FakeCamera:
    def __init__(self):
        self.state = DeviceStatus.ok()
        self.threads = []

    def status(self):
        return self.state

    def capture_jpeg(self):
        self.threads.append(threading.current_thread().name)
        if not self.state.usable:
            raise CaptureFailed("摄像头暂不可用，不能拍照")
        return JPEG


class MaterialHall(FakeHall):
    def __init__(self, matter):
        super().__init__(matter)
        self.materials = {}
        self.calls = []
        self.refuse_material = None

    def submit(self, app, key):
        self.calls.append(("submit", key))
        self.apps = getattr(self, "apps", {})
        self.apps[key] = app
        return super().submit(app, key)

    def put_material(self, no, material_id, content_type, data):
        if self.down:
            raise HallUnavailable("down")
        if self.refuse_material:
            raise HallRejected(self.refuse_material, "no")
        self.calls.append(("material", no, material_id))
        self.materials[(no, material_id)] = (content_type, data)
        return {"application_no": no, "material_id": material_id, "size": len(data)}


@pytest.fixture
def mrig(tmp_path, matter4):
    clock = FakeClock()
    hall = MaterialHall(matter4)
    outbox = SqliteOutbox(tmp_path / "outbox.sqlite3", clock)
    from kiosk.delivery import send_outbox_item
    sender = OutboxSender(outbox, lambda item: send_outbox_item(hall, outbox, item), min_backoff_s=0.05,
                          max_backoff_s=0.1)
    camera = FakeCamera()
    c = Controller(ControllerSettings("T-1", "测试服务中心", T, tick_s=0.05), hall, outbox, sender, FakePrinter(),
                   clock, camera=camera)
    wait = watch(c)
    c.start()
    yield c, hall, outbox, sender, camera, wait
    if sender._thread.is_alive():
        sender.stop()
    c.stop()
    outbox.close()


def to_materials(c, wait, card):
    c.post(S.CardRead(card))
    wait(lambda s: s.screen == "home")
    c.post(S.OpenMatters())
    snap = wait(lambda s: s.screen == "matters" and s.matters)
    c.post(S.ChooseMatter(snap.matters[0]))
    c.post(S.StartApplication())
    snap = wait(lambda s: s.screen == "form")
    c.post(S.SubmitForm({**snap.session.values, **GOOD_VALUES}))
    return wait(lambda s: s.screen == "materials")


def photograph(c, wait, mid):
    c.post(S.OpenCamera(mid))
    c.post(S.TakePhoto())
    wait(lambda s: s.session.photo is not None)
    c.post(S.UsePhoto())
    wait(lambda s: s.session.dispositions.get(mid) == M.ATTACHED)


def test_controller_takes_the_photo_on_its_thread_and_ignores_codes(mrig, card):
    c, hall, outbox, sender, camera, wait = mrig
    snap = to_materials(c, wait, card)
    assert snap.camera == DeviceStatus.ok()
    from kiosk.domain.payload import scan_result
    code = scan_result(b"QY20261128000123", source="test")
    c.post(CodeScanned(code))             # a receipt QR on a document under the camera
    c.post(S.OpenCamera("htxy"))
    snap = wait(lambda s: s.session.capturing == "htxy")
    assert snap.screen == "materials" and snap.session.wanted_no == ""
    c.post(S.TakePhoto())
    snap = wait(lambda s: s.session.photo is not None)
    assert snap.session.photo.data == JPEG and camera.threads == ["controller"]


def test_camera_fault_is_published_and_decides_the_message(mrig, card):
    c, hall, outbox, sender, camera, wait = mrig
    to_materials(c, wait, card)
    camera.state = DeviceStatus.absent("摄像头未连接")
    c.post(S.SubmitMaterials())
    snap = wait(lambda s: bool(s.session.material_errors))
    assert snap.camera.state.value == "absent"
    assert snap.session.material_errors["htxy"] == S.GO_TO_WINDOW
    c.post(S.OpenCamera("htxy"))
    c.post(S.TakePhoto())
    snap = wait(lambda s: s.session.message == "摄像头暂不可用，不能拍照")
    assert snap.session.photo is None


def submit_with_photos(c, wait, card):
    to_materials(c, wait, card)
    photograph(c, wait, "htxy")
    photograph(c, wait, "wts")
    c.post(S.DeferToWindow("sqb"))
    c.post(S.SubmitMaterials())
    wait(lambda s: s.screen == "review")
    c.post(S.Confirm())
    c.post(S.Sign(SIGNED))
    return wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None)


def test_images_go_after_their_application_with_its_number(mrig, card):
    c, hall, outbox, sender, camera, wait = mrig
    sender.start()
    snap = submit_with_photos(c, wait, card)
    no = snap.session.outcome.application_no
    deadline = time.monotonic() + 5
    while outbox.pending_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox.pending_count() == 0
    assert hall.calls[0][0] == "submit" and {x[2] for x in hall.calls[1:]} == {"htxy", "wts", "signature"}
    assert hall.materials[(no, "htxy")] == ("image/jpeg", JPEG)
    app = next(iter(hall.apps.values()))
    assert {d["id"]: d["disposition"] for d in app.materials} == {
        "sqb": "window", "yyzz": "exempt", "htxy": "attached", "wts": "attached", "signature": "attached"}
    # the receipt names what to bring to the window
    text = c._printing.receipt.plain_text() if c._printing.receipt else ""
    assert "请携带以下材料到窗口补交：" in text and "1. 申请表" in text
    # images leave the disk once the hall has them
    assert outbox._db.execute("SELECT count(*) FROM outbox WHERE payload IS NOT NULL").fetchone() == (0,)


def test_hall_down_images_wait_for_the_application_across_a_restart(tmp_path, mrig, card, matter4):
    c, hall, outbox, sender, camera, wait = mrig
    hall.down = True
    snap = submit_with_photos(c, wait, card)
    assert snap.session.outcome.queued
    items = outbox.pending()
    assert [i.kind for i in items] == ["application", "material", "material", "material"]
    key = items[0].key
    assert {i.key for i in items[1:]} == {material_key(key, m) for m in ("htxy", "wts", "signature")}
    # a restart: a new outbox and sender on the same file; the hall is back
    from kiosk.delivery import send_outbox_item
    outbox2 = SqliteOutbox(tmp_path / "outbox.sqlite3", FakeClock())
    hall.down = False
    sent = []
    sender2 = OutboxSender(outbox2, lambda item: sent.append(item.kind) or send_outbox_item(hall, outbox2, item))
    assert sender2.drain_once() is True
    assert sent == ["application", "material", "material", "material"]
    no = outbox2.result(key)["application_no"]
    assert (no, "htxy") in hall.materials and (no, "wts") in hall.materials
    outbox2.close()


def test_an_image_never_goes_before_its_application(tmp_path):
    from kiosk.delivery import send_outbox_item
    from kiosk.controller import material_payload
    clock = FakeClock()
    outbox = SqliteOutbox(tmp_path / "o.sqlite3", clock)
    hall = MaterialHall(None)
    outbox.enqueue_many([("k1.htxy", "material", material_payload("k1", M.Attachment("htxy", "image/jpeg", JPEG))),
                         ("k1", "application", {"matter_code": "X", "matter_version": 1, "fields": {},
                                                "applicant": {"name": "张三", "id_number": "11010519491231002X"}})])
    sender = OutboxSender(outbox, lambda item: send_outbox_item(hall, outbox, item))
    # enqueued out of order on purpose: the image waits (skipped, not blocking the queue) while
    # its application is still queued, and goes in the next round
    assert sender.drain_once() is False
    assert [c[0] for c in hall.calls] == ["submit"] and outbox.state_of("k1.htxy") == "pending"
    assert sender.drain_once() is True
    assert [c[0] for c in hall.calls] == ["submit", "material"]
    outbox.close()


@pytest.mark.parametrize("status", [404, 409])
def test_refused_image_is_rejected_not_retried_for_ever(tmp_path, status, caplog):
    from kiosk.delivery import send_outbox_item
    from kiosk.controller import material_payload
    outbox = SqliteOutbox(tmp_path / "o.sqlite3", FakeClock())
    outbox.enqueue("k1", "application", {})
    outbox.mark_sent("k1", {"application_no": "QY1"})
    outbox.enqueue("k1.x", "material", material_payload("k1", M.Attachment("x", "image/jpeg", JPEG)))
    hall = MaterialHall(None)
    hall.refuse_material = status
    sender = OutboxSender(outbox, lambda item: send_outbox_item(hall, outbox, item))
    assert sender.drain_once() is True
    assert outbox.state_of("k1.x") == "rejected" and outbox.pending_count() == 0
    assert f"rejected by the hall: {status}" in caplog.text


def test_image_of_a_refused_application_is_rejected(tmp_path):
    from kiosk.delivery import send_outbox_item
    from kiosk.controller import material_payload
    outbox = SqliteOutbox(tmp_path / "o.sqlite3", FakeClock())
    outbox.enqueue("k1", "application", {})
    outbox.mark_rejected("k1", "422")
    outbox.enqueue("k1.x", "material", material_payload("k1", M.Attachment("x", "image/jpeg", JPEG)))
    sender = OutboxSender(outbox, lambda item: send_outbox_item(MaterialHall(None), outbox, item))
    assert sender.drain_once() is True and outbox.state_of("k1.x") == "rejected"


# ---- still camera, receipt, catalogue ---------------------------------------------------------

def test_still_is_a_compressed_jpeg_of_the_newest_frame():
    cv2 = pytest.importorskip("cv2")
    from drivers.scanner.capture import Frame
    from drivers.scanner.sample_document import document
    from drivers.scanner.still import FrameStillCamera, NoStillCamera
    page = document("lease_contract")                  # 1600 x 1300
    big = cv2.resize(page, (2560, 2080))
    now = [10.0]
    frame = Frame(1, big, 9.5)
    cam = FrameStillCamera(lambda: frame, DeviceStatus.ok, clock=lambda: now[0])
    data = cam.capture_jpeg()
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert data[:3] == b"\xff\xd8\xff" and max(img.shape[:2]) == 1600 and len(data) < 1024 * 1024
    now[0] = 20.0                                       # the camera has stalled since
    with pytest.raises(CaptureFailed):
        cam.capture_jpeg()
    with pytest.raises(CaptureFailed):
        FrameStillCamera(lambda: frame, lambda: DeviceStatus.absent("x"), clock=lambda: 9.6).capture_jpeg()
    assert NoStillCamera().status().state.value == "absent"


def test_noise_is_squeezed_under_the_limit():
    pytest.importorskip("cv2")
    from drivers.scanner.still import encode_jpeg
    noise = np.random.default_rng(1).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    assert len(encode_jpeg(noise, max_bytes=600_000)) <= 600_000


def test_receipt_lists_window_materials():
    import datetime as dt
    doc = application_receipt(job_id="j", hall_name="中心", terminal_id="T", matter_name="事项", application_no="QY1",
                              applicant_name="张三", applicant_id_number="11010519491231002X",
                              submitted_at=dt.datetime(2026, 1, 1), time_limit_text="即办", consult_phone="1",
                              complaint_phone="2", queued=False, window_materials=("申请表", "授权委托书"),
                              window_location="一楼综合窗口")
    text = doc.plain_text()
    assert "请携带以下材料到窗口补交：\n1. 申请表\n2. 授权委托书\n补交地点：一楼综合窗口" in text
    plain = application_receipt(job_id="j", hall_name="中心", terminal_id="T", matter_name="事项",
                                application_no="QY1", applicant_name="张三", applicant_id_number="11010519491231002X",
                                submitted_at=dt.datetime(2026, 1, 1), time_limit_text="即办", consult_phone="1",
                                complaint_phone="2", queued=False)
    assert "窗口补交" not in plain.plain_text()


def test_window_allowed_is_parsed_and_left_out_of_unchanged_content(matter4):
    assert [m.window_allowed for m in matter4.materials] == [True, False, False, False]
    d = matter4.to_dict()
    assert "window_allowed" in d["materials"][0] and "window_allowed" not in d["materials"][1]
    assert Matter.from_dict(d) == matter4
    plain = Matter.from_dict({**MATTER, "materials": [{"id": "m1", "name": "申请表", "form": "原件"}]})
    assert "window_allowed" not in plain.to_dict()["materials"][0]   # the hash of a served version holds


def test_catalog_check_refuses_window_on_an_exempt_material(tmp_path):
    from pathlib import Path
    from hall.catalog_check import check_dir
    src = Path(__file__).resolve().parents[2] / "config" / "catalog" / "hwgg-szsp.toml"
    text = src.read_text("utf-8").replace('exempt_by_sharing = true', 'exempt_by_sharing = true\nwindow_allowed = true')
    (tmp_path / "m.toml").write_text(text, "utf-8")
    problems = check_dir(tmp_path)
    assert any(p.key == "materials.sfzm.window_allowed" for p in problems)
