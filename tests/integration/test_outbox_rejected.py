"""Outbox items the hall refused after an offline period (issue #12): never kept silently.

A real hall on 127.0.0.1 refuses an application queued while it was away (the matter is not in
its catalogue any more); its photos are refused with it. Then: the technician menu's snapshot
lists them (what, when, why, masked ID); the heartbeat carries a count and non-personal
descriptors; the hall's tile turns amber and /console/outbox lists them; 再试一次 queues them
once more (refused again here); 移交窗口 prints a slip for the window staff, and only after it
printed does the personal data leave the disk; the console then shows 已移交窗口."""
from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from pathlib import Path

from hall import db as hall_db
from kiosk import session as S
from kiosk.delivery import outbox_report
from kiosk.clock import SystemClock
from kiosk.controller import Controller, ControllerSettings, EnterPin, HandOverRejected, RetryRejected
from kiosk.health import HealthMonitor
from kiosk.ports import DeviceState, DeviceStatus, PrintResult
from tests.integration.conftest import SAMPLE_ID_NUMBER, SAMPLE_NAME, SAMPLE_PHONE, TECH, add_console_users, console_as
from tests.integration.test_materials_upload import DISPOSITIONS, enqueue, kiosk_side

WITHDRAWN = "320102-XK-CG-999"     # a matter the hall no longer offers


class Printer:
    def __init__(self):
        self.docs, self.ok = [], True

    def print(self, doc):
        self.docs.append(doc)
        return PrintResult(self.ok, doc.job_id, DeviceStatus.ok() if self.ok else DeviceStatus(DeviceState.PAPER_OUT),
                           "" if self.ok else "打印机缺纸")

    def status(self):
        return DeviceStatus.ok()


def refused_while_offline(hall, tmp_path):
    client, outbox, sender = kiosk_side(hall, tmp_path)
    hall.stop()
    app = dataclasses.replace(hall.sample_application(matter_code=WITHDRAWN), materials=DISPOSITIONS)
    key, _images = enqueue(hall, outbox)
    outbox._db.execute("UPDATE outbox SET payload=? WHERE key=?", (json.dumps(app.to_json(), ensure_ascii=False), key))
    hall.start()
    assert sender.drain_once() is True
    assert outbox.state_of(key) == "rejected"
    return client, outbox, sender, key


def heartbeat(hall, client, outbox):
    HealthMonitor(client, Printer(), post=lambda e: None, latest=lambda: None, outbox_pending=outbox.pending_count,
                  outbox_report=lambda: outbox_report(outbox)).beat_once()
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        hb = s.get(hall_db.Heartbeat, hall.terminal_id)
        snap, level, reason = hb.snapshot, hb.level, hb.reason
    d.dispose()
    return snap, level, reason


def tech_menu(hall, client, outbox, sender, printer):
    c = Controller(ControllerSettings(hall.terminal_id, "测试服务中心", tick_s=0.05, technician_pin="2468"),
                   client, outbox, sender, printer, SystemClock())
    snaps, cond = [], threading.Condition()

    def on(s):
        with cond:
            snaps.append(s)
            cond.notify_all()
    c.subscribe(on)
    c.start()

    def wait(pred, timeout=10):
        deadline = time.monotonic() + timeout
        with cond:
            while not (snaps and pred(snaps[-1])):
                assert cond.wait(max(0.0, deadline - time.monotonic())), snaps[-1] if snaps else None
            return snaps[-1]
    c.post(S.OpenTechnician())
    c.post(EnterPin("2468"))
    return c, wait


def test_rejected_items_are_shown_reported_and_resolved(sqlite_hall, tmp_path):
    hall = sqlite_hall
    client, outbox, sender, key = refused_while_offline(hall, tmp_path)
    # every image of the refused application is refused with it, nothing loops
    assert outbox.pending_count() == 0 and outbox.rejected_count() == 3

    # -- the heartbeat: a count, descriptors without personal data; the tile turns amber
    snap, level, reason = heartbeat(hall, client, outbox)
    assert snap["outbox_rejected"] == 3 and level == "amber" and "被退回 3 件待处理" in reason
    told = json.dumps(snap["rejected_items"], ensure_ascii=False)
    for secret in (SAMPLE_ID_NUMBER, SAMPLE_NAME, SAMPLE_PHONE, SAMPLE_ID_NUMBER[-4:] + '"'):
        assert secret not in told
    ref = "DS" + key[:12].upper()
    assert {i["ref"] for i in snap["rejected_items"]} == {ref}
    app_item = next(i for i in snap["rejected_items"] if i["kind"] == "application")
    assert app_item["what"] == WITHDRAWN and app_item["state"] == "rejected" and app_item["reason"]

    # -- the console lists them
    add_console_users(hall)
    console = console_as(hall, TECH)
    page = console.get("/console/outbox").text
    assert f'data-ref="{ref}" data-state="rejected"' in page and "3 件待处理" in page
    assert SAMPLE_ID_NUMBER not in page and SAMPLE_NAME not in page

    # -- the technician menu: what, when, why, masked ID only
    printer = Printer()
    c, wait = tech_menu(hall, client, outbox, sender, printer)
    try:
        s = wait(lambda s: s.screen == "tech" and s.rejected)
        (item,) = [i for i in s.rejected if i.kind == "application"]
        assert item.open and item.ref == ref and item.what == WITHDRAWN and item.reason
        assert item.applicant == "张* 1101**********002X"
        assert SAMPLE_ID_NUMBER not in repr(s.rejected)

        # 再试一次: queued once more (images too); the hall still refuses: rejected again
        c.post(RetryRejected(key))
        wait(lambda s: s.session.message == "已重新排队上传")
        sender.drain_once()
        assert outbox.state_of(key) == "rejected" and outbox.rejected_count() == 3

        # 移交窗口 with the paper out: nothing changes (the data is not dropped unprinted)
        printer.ok = False
        c.post(HandOverRejected(key))
        wait(lambda s: "未移交" in s.session.message)
        assert outbox.state_of(key) == "rejected"

        # paper again: the slip prints, then the personal data leaves the disk
        printer.ok = True
        c.post(HandOverRejected(key))
        s = wait(lambda s: s.session.message == "移交单已打印，请交窗口工作人员")
        slip = printer.docs[-1].plain_text()
        assert "退回申请移交单" in slip and ref in slip and SAMPLE_PHONE in slip and "1101**********002X" in slip
        assert SAMPLE_ID_NUMBER not in slip
        assert all(not i.open for i in s.rejected)
    finally:
        c.stop()
    assert outbox.state_of(key) == "handed_over" and outbox.rejected_count() == 0
    rows = outbox._db.execute("SELECT payload FROM outbox WHERE state='handed_over'").fetchall()
    assert rows == [(None,)] * 3
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("outbox.sqlite3*"))
    assert SAMPLE_ID_NUMBER.encode() not in raw              # gone from the file and its WAL

    # -- the resolution is visible at the hall; the tile is green again
    snap, level, reason = heartbeat(hall, client, outbox)
    assert snap["outbox_rejected"] == 0 and "被退回" not in reason
    page = console.get("/console/outbox").text
    assert f'data-ref="{ref}" data-state="handed_over"' in page and "已移交窗口" in page and "0 件待处理" in page
    assert "户外广告" in page or WITHDRAWN in page            # what it was is still said, not who
    outbox.close()
    screenshot_console(hall, console, OUT / "console-outbox.png")


OUT = Path(__file__).resolve().parents[2] / "test-out" / "outbox-rejected"


def screenshot_console(hall, console, target: Path) -> None:
    """The page as a person sees it (headless Debian chromium with the test's session cookie)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return
    from playwright.sync_api import sync_playwright
    target.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        context.add_cookies([{"name": c.name, "value": c.value, "url": hall.base_url} for c in console.http.cookies])
        page = context.new_page()
        page.goto(f"{hall.base_url}/console/outbox")
        page.screenshot(path=str(target), full_page=True)
        browser.close()


def test_the_hall_words_an_unwritable_outbox_and_refused_items():
    from hall.monitoring import assess
    assert assess({"outbox_writable": False}) == ("red", "本机存储故障，不能受理申请")
    assert assess({"outbox_rejected": 2, "outbox_writable": True}) == ("amber", "被退回 2 件待处理")
    assert assess({"outbox_rejected": "2"}) == ("green", "正常")         # not a count: ignored
