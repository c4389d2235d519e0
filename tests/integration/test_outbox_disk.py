"""The outbox on a full disk and on a read-only disk, for real (issue #12).

Disk full: the kiosk's data directory is a 3 MiB tmpfs that this test mounts (root is needed,
as for the kiosk's own install) and fills with a filler file, so SQLite gets ENOSPC from the
kernel (SQLITE_FULL). Read-only: the data directory is a read-only bind mount of a directory
holding a queue (EROFS; the state of a kiosk restarted after ext4 remounted its disk
read-only). Remounting the tmpfs read-only under the running kiosk is refused by the kernel
(EBUSY: the database is open for writing), so "goes read-only while running" is not tried.

And the disk filling between the hall's answer and its recording: the sender survives, the item
stays queued, and the resend under the same key yields the same one application.

Either way the person is told to go to the window (the message catalogue's sentence, both
languages), the hall receives nothing of that visit (no application without its photos), and
what was queued before is still there, byte for byte, and is delivered once the disk is back."""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from drivers.idcard.simulator import SAMPLE_CARD
from hall import db as hall_db
from kiosk import session as S
from kiosk.delivery import send_outbox_item
from kiosk.clock import SystemClock
from kiosk.controller import STORAGE_FAILED, Controller, ControllerSettings
from kiosk.outbox import OutboxFull, OutboxSender, SqliteOutbox
from kiosk.platform import HallHttpClient
from kiosk.ports import DeviceStatus, PrintResult
from terminal.soak_runner import SIGNATURE, VALUES
from screens.i18n import tr
from tests.integration.test_materials_upload import enqueue, stored


def _mount(*args: str) -> None:
    r = subprocess.run(["mount", *args], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount here (needs root): {r.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk))
    yield disk
    _umount(disk)


class Camera:
    """The still camera's port, answering with a real JPEG of a generated document page."""

    def __init__(self):
        from drivers.scanner.sample_document import document
        from drivers.scanner.still import encode_jpeg
        self.jpeg = encode_jpeg(document("lease_contract"))

    def capture_jpeg(self) -> bytes:
        return self.jpeg

    def status(self) -> DeviceStatus:
        return DeviceStatus.ok()


class Printer:
    def __init__(self):
        self.docs = []

    def print(self, doc):
        self.docs.append(doc)
        return PrintResult(True, doc.job_id, DeviceStatus.ok())

    def status(self):
        return DeviceStatus.ok()


def kiosk(hall, data_dir: Path):
    client = HallHttpClient(hall.base_url, hall.token, hall.terminal_id, cache_dir=data_dir.parent,
                            connect_timeout_s=1, read_timeout_s=5)
    outbox = SqliteOutbox(data_dir / "outbox.sqlite3", SystemClock())
    sender = OutboxSender(outbox, send=lambda item: send_outbox_item(client, outbox, item))
    printer = Printer()
    c = Controller(ControllerSettings(hall.terminal_id, "测试服务中心", tick_s=0.05), client, outbox, sender,
                   printer, SystemClock(), camera=Camera())
    return c, outbox, sender, printer


def visit_to_submit(c: Controller):
    """A person through the real 户外广告 matter: card, form, two photos, 窗口补交, review, sign."""
    snaps, cond = [], threading.Condition()

    def on(s):
        with cond:
            snaps.append(s)
            cond.notify_all()
    c.subscribe(on)
    c.start()

    def wait(pred, timeout=20):
        deadline = time.monotonic() + timeout
        with cond:
            while not (snaps and pred(snaps[-1])):
                assert cond.wait(max(0.0, deadline - time.monotonic())), snaps[-1].screen if snaps else None
            return snaps[-1]
    c.post(S.CardRead(SAMPLE_CARD))
    wait(lambda s: s.screen == "home")
    c.post(S.OpenMatters())
    snap = wait(lambda s: s.screen == "matters" and s.matters)
    c.post(S.ChooseMatter(next(m for m in snap.matters if m.code == "320102-XK-CG-001")))
    wait(lambda s: s.screen == "guide")
    c.post(S.StartApplication())
    snap = wait(lambda s: s.screen == "form")
    c.post(S.SubmitForm({**snap.session.values, **VALUES, "site_address": "玄武区长江路1号"}))
    wait(lambda s: s.screen == "materials")
    for mid in ("cdqz", "xgt"):
        c.post(S.OpenCamera(mid))
        c.post(S.TakePhoto())
        wait(lambda s: s.session.photo is not None)
        c.post(S.UsePhoto())
        wait(lambda s, m=mid: m in s.session.attachments)
    c.post(S.DeferToWindow("sqb"))
    c.post(S.SubmitMaterials())
    wait(lambda s: s.screen == "review")
    c.post(S.Confirm())
    c.post(S.Sign(SIGNATURE))
    return wait(lambda s: s.screen == "done" or (s.screen in ("review", "sign") and s.session.message))


def applications_in(hall) -> int:
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        n = s.scalar(select(func.count()).select_from(hall_db.ApplicationRecord))
    d.dispose()
    return n


def raw_rows(outbox: SqliteOutbox) -> list:
    return outbox._db.execute("SELECT key, kind, payload, state FROM outbox ORDER BY rowid").fetchall()


def assert_told_to_go_to_the_window(snap) -> None:
    assert snap.screen != "done", "a submission the disk could not hold was shown as accepted"
    assert snap.session.message == STORAGE_FAILED
    assert "人工窗口" in snap.session.message
    assert "service window" in tr(snap.session.message, "en")


def test_disk_full_refuses_the_visit_sends_nothing_and_keeps_the_queue(sqlite_hall, small_disk):
    data = small_disk / "kiosk"
    data.mkdir()
    c, outbox, sender, printer = kiosk(sqlite_hall, data)
    sqlite_hall.stop()
    key, images = enqueue(sqlite_hall, outbox)        # queued while the hall was away: 待上传
    before = raw_rows(outbox)
    sqlite_hall.start()
    # the disk fills up (logs, a stuck core dump…): write until the kernel says ENOSPC
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        with pytest.raises(OSError) as full:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    assert full.value.errno == 28                       # ENOSPC, from the kernel
    with pytest.raises(OutboxFull, match="full"):      # SQLITE_FULL reaches the outbox's own error
        outbox.enqueue("probe-key", "evaluation", {"level": 5, "pad": "x" * 200_000})
    try:
        snap = visit_to_submit(c)
        assert_told_to_go_to_the_window(snap)
        assert not printer.docs                         # no receipt for what was not kept
        assert applications_in(sqlite_hall) == 0       # nothing half-written went to the hall
        assert raw_rows(outbox) == before               # the queue is untouched, byte for byte
    finally:
        c.stop()
    filler.unlink()                                     # space again: the queue goes out whole
    assert sender.drain_once() is True
    no = outbox.result(key)["application_no"]
    _declared, got = stored(sqlite_hall, no)
    assert got == {mid: ("image/jpeg", data) for mid, data in images.items()}
    assert applications_in(sqlite_hall) == 1
    outbox.close()


def test_read_only_disk_starts_refuses_the_visit_and_keeps_the_queue(sqlite_hall, tmp_path, caplog):
    data = tmp_path / "kiosk"
    c, outbox, sender, printer = kiosk(sqlite_hall, data)
    sqlite_hall.stop()
    key, images = enqueue(sqlite_hall, outbox)
    before = raw_rows(outbox)
    outbox.close()
    sqlite_hall.start()
    ro = tmp_path / "ro"
    ro.mkdir()
    _mount("--bind", str(data), str(ro))
    try:
        _mount("-o", "remount,bind,ro", str(ro))
        with pytest.raises(OSError) as e:
            (ro / "probe").write_bytes(b"x")
        assert e.value.errno == 30                      # EROFS, from the kernel
        c, outbox, sender, printer = kiosk(sqlite_hall, ro)   # the kiosk restarts on it: it must start
        assert outbox.writable is False and "not writable" in caplog.text
        assert outbox.pending_count() == 3 and raw_rows(outbox) == before   # readable: the menu can say so
        try:
            snap = visit_to_submit(c)
            assert_told_to_go_to_the_window(snap)
            assert sender.drain_once() is False         # no delivery it could not record
            assert applications_in(sqlite_hall) == 0
        finally:
            c.stop()
            outbox.close()
    finally:
        _umount(ro)
    c, outbox, sender, printer = kiosk(sqlite_hall, data)   # the disk repaired: the queue goes out whole
    assert sender.drain_once() is True
    _declared, got = stored(sqlite_hall, outbox.result(key)["application_no"])
    assert got == {mid: ("image/jpeg", d) for mid, d in images.items()}
    assert applications_in(sqlite_hall) == 1
    outbox.close()


def test_disk_full_after_the_hall_answered_resends_under_the_same_key(sqlite_hall, small_disk, caplog):
    """The hall took the application, then the disk is too full to record it: the sender must
    neither die nor lose it, and the resend once there is space must not make a second one."""
    data = small_disk / "kiosk"
    data.mkdir()
    c, outbox, sender, printer = kiosk(sqlite_hall, data)
    sqlite_hall.stop()
    key, images = enqueue(sqlite_hall, outbox)
    sqlite_hall.start()
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        with pytest.raises(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    sender.start()                                     # the real thread, with its back-off
    try:
        deadline = time.monotonic() + 20
        while applications_in(sqlite_hall) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert applications_in(sqlite_hall) == 1       # delivered…
        time.sleep(1.5)
        assert outbox.state_of(key) == "pending"       # …but not recorded: it stays queued
        assert "cannot record a delivery" in caplog.text
        filler.unlink()
        sender.wake()
        deadline = time.monotonic() + 30
        while outbox.pending_count() and time.monotonic() < deadline:
            time.sleep(0.2)
            sender.wake()
        assert outbox.pending_count() == 0             # the thread survived and finished
    finally:
        sender.stop()
    assert applications_in(sqlite_hall) == 1           # the resend was the same application
    _declared, got = stored(sqlite_hall, outbox.result(key)["application_no"])
    assert got == {mid: ("image/jpeg", d) for mid, d in images.items()}
    outbox.close()
