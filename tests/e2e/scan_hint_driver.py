"""How to hold a code, in a real offscreen Kivy window: the production camera scanner (capture
thread, cascade, hint tracker) reads PNG files through OpenCV from the simulated camera, the
controller turns its hints into the snapshot, and the screens show them. Writes what it saw to
OUT_DIR/results.json and screenshots beside it. Run by tests/e2e/test_scan_hint.py.

    SDL_VIDEODRIVER=offscreen .venv/bin/python tests/e2e/scan_hint_driver.py test-out/scan-hint

Scenes, each a picture "held up" to the camera:
  1. attract, a receipt's code at arm's length (26 px)  -> 请把二维码拿近一些, also 长者模式, English
  2. the same receipt held close enough (320 px)        -> read: the receipt's progress page, no hint
  3. 信用报告 awaiting the 电子营业执照, a moving hand    -> 请拿稳，不要晃动 on the credit screen
"""
from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = Path(sys.argv[1]).resolve()
from tests.e2e.offscreen import prepare_offscreen  # noqa: E402

prepare_offscreen(OUT)

import cv2  # noqa: E402
from kivy.clock import Clock  # noqa: E402

from drivers.scanner.camera import CameraScanner  # noqa: E402
from drivers.scanner.pipeline import ScanPipeline  # noqa: E402
from drivers.scanner.simulator import SimulatedCamera  # noqa: E402
from drivers.scanner.synth import Look, render_frame  # noqa: E402
from kiosk import session as S  # noqa: E402
from kiosk.clock import SystemClock  # noqa: E402
from kiosk.controller import CodeScanned, Controller, ControllerSettings, DeviceChanged, ScanHintChanged  # noqa: E402
from kiosk.domain.application_no import make_application_no  # noqa: E402
from kiosk.domain.identity import IdentityCard, ric_check_symbol  # noqa: E402
from kiosk.outbox import OutboxSender, SqliteOutbox  # noqa: E402
from kiosk.ports import DeviceStatus, HallUnavailable, PrintResult  # noqa: E402
from screens.app import KioskApp  # noqa: E402
from screens.autopilot import call_on_ui  # noqa: E402
from screens.layout_check import layout_problems  # noqa: E402
from screens.screenshot import save_window  # noqa: E402

RECEIPT_NO = make_application_no(dt.date(2026, 12, 4), 7)
LICENCE = "https://www.gsxt.gov.cn/index.html?uniscid=91320102MA1W8K5X2B".encode()
TIMEOUT_S = 40.0


class Hall:
    def catalog(self):
        raise HallUnavailable("not needed here")

    def submit(self, app, key):
        raise HallUnavailable("not needed here")


class Printer:
    def print(self, doc):
        return PrintResult(True, doc.job_id, DeviceStatus.ok())

    def status(self):
        return DeviceStatus.ok()


def picture(name: str, payload: bytes, look: Look):
    """A camera frame as a PNG file, read back through OpenCV as the simulator reads a folder."""
    path = OUT / "frames" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), render_frame(payload, look, seed=3))
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return image


def on_ui(fn):
    return call_on_ui(fn, TIMEOUT_S)


def wait_drawn(app, what: str, predicate) -> float:
    """Until the UI has rendered a snapshot that satisfies predicate; seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < TIMEOUT_S:
        snap = app.current_snapshot
        if snap is not None and predicate(snap) and app.rendered_seq >= snap.seq:
            time.sleep(0.4)          # the frame with it is drawn
            return time.monotonic() - t0
        time.sleep(0.05)
    snap = app.current_snapshot
    raise TimeoutError(f"no {what} within {TIMEOUT_S}s (screen {snap and snap.screen}, "
                       f"hint {snap and snap.session.scan_hint}, message {snap and snap.session.message!r})")


def look_at(app, shot: str, widget_screen: str, elder: bool = False) -> dict:
    path = save_window(OUT / f"{shot}.png")

    def inspect():
        screen = app.sm.get_screen(widget_screen)
        bar = screen.ids.scan_hint
        x, y = bar.to_window(*bar.pos)
        return {"text": bar.text, "height": bar.height, "font_size": bar.font_size,
                "texture": list(bar.texture_size), "box": [x, y, bar.width, bar.height],
                "problems": layout_problems(screen, elder=elder)}
    seen = on_ui(inspect)
    seen["shot"] = str(path)
    return seen


def scenes(app, c, camera, hints, res):
    wait_drawn(app, "attract", lambda s: s.screen == "attract")
    res["attract_empty"] = look_at(app, "scan-hint-0-attract", "attract")

    t0 = time.monotonic()
    camera.show_image(picture("receipt-far", RECEIPT_NO.encode(), Look(code_px=26)), seconds=120)
    res["closer_after_s"] = wait_drawn(app, "the closer hint",
                                       lambda s: s.screen == "attract" and s.session.scan_hint is not None)
    res["closer"] = look_at(app, "scan-hint-1-attract-closer", "attract")
    time.sleep(3.0)                  # the phone stays where it is: the hint must not flicker
    res["hints_while_far"] = [h for t, h in hints if t >= t0]

    c.post(S.ToggleElder())
    wait_drawn(app, "长者模式", lambda s: s.session.elder)
    res["closer_elder"] = look_at(app, "scan-hint-2-attract-closer-elder", "attract", elder=True)
    c.post(S.ToggleLanguage())
    wait_drawn(app, "English", lambda s: s.session.lang == "en")
    res["closer_english"] = look_at(app, "scan-hint-3-attract-closer-english-elder", "attract", elder=True)
    c.post(S.ToggleLanguage())
    c.post(S.ToggleElder())
    wait_drawn(app, "中文, standard", lambda s: s.session.lang == "zh" and not s.session.elder)

    camera.show_image(picture("receipt-near", RECEIPT_NO.encode(), Look()), seconds=120)
    res["read_after_s"] = wait_drawn(app, "the receipt read", lambda s: s.screen == "progress_detail")
    snap = app.current_snapshot
    res["read"] = {"wanted_no": snap.session.wanted_no, "hint": str(snap.session.scan_hint),
                   "message": snap.session.message}
    save_window(OUT / "scan-hint-4-receipt-read.png")
    camera.hide()

    c.post(S.Finish())
    wait_drawn(app, "attract again", lambda s: s.screen == "attract" and s.session.scan_hint is None)
    first17 = "32010219900307123"
    c.post(S.CardRead(IdentityCard("张三", "男", "汉", dt.date(1990, 3, 7), "江苏省南京市玄武区中山路1号",
                                   first17 + ric_check_symbol(first17), "南京市公安局玄武分局",
                                   dt.date(2020, 1, 1), dt.date(2040, 1, 1))))
    wait_drawn(app, "home", lambda s: s.screen == "home")
    c.post(S.OpenCredit())
    c.post(S.RequestCredit("enterprise"))
    wait_drawn(app, "awaiting the licence", lambda s: s.screen == "credit" and s.session.waiting_licence)
    camera.show_image(picture("licence-moving", LICENCE, Look(code_px=300, motion=30, motion_angle=20)),
                      seconds=120)
    wait_drawn(app, "the steadier hint", lambda s: s.screen == "credit" and s.session.scan_hint is not None)
    res["steadier"] = look_at(app, "scan-hint-5-credit-steadier", "credit")
    camera.hide()


def main() -> dict:
    res: dict = {"receipt_no": RECEIPT_NO}
    outbox = SqliteOutbox(OUT / "outbox.sqlite3", SystemClock())
    sender = OutboxSender(outbox, send=lambda item: None)
    c = Controller(ControllerSettings("T-DEMO-01", "梅园新村街道为民服务中心"), Hall(), outbox, sender,
                   Printer(), SystemClock())
    camera = SimulatedCamera()               # dock only: an empty desk until a picture is held up
    scanner = CameraScanner(camera, ScanPipeline())
    hints: list = []                          # (monotonic, hint) as the scanner reported them

    def on_hint(hint):
        if not hints or hints[-1][1] != (hint.value if hint else None):
            hints.append((time.monotonic(), hint.value if hint else None))
        c.post(ScanHintChanged(hint))

    def work(app):
        try:
            scenes(app, c, camera, hints, res)
        except Exception:
            res["error"] = traceback.format_exc()
            save_window(OUT / "scan-hint-error.png")
        finally:
            res["hints"] = [h for _t, h in hints]
            Clock.schedule_once(lambda _dt: app.stop())

    app = KioskApp(c, frame_source=scanner.latest_frame,
                   on_started=lambda a: threading.Thread(target=work, args=(a,), daemon=True).start())
    c.start()
    scanner.start(on_code=lambda code: c.post(CodeScanned(code)),
                  on_status=lambda st: c.post(DeviceChanged("scanner", st)), on_hint=on_hint)
    try:
        app.run()
    finally:
        scanner.stop()
        c.stop()
        outbox.close()
    return res


if __name__ == "__main__":
    results = main()
    (OUT / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
