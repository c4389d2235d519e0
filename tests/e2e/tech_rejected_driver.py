"""The technician menu with outbox items the hall refused, in a real offscreen Kivy window:
opens the menu by the PIN, shoots it, taps 再试一次 and 移交窗口 as a finger would, shoots again
and writes what it saw to OUT_DIR/results.json. Run by tests/e2e/test_tech_rejected.py.

    SDL_VIDEODRIVER=offscreen .venv/bin/python tests/e2e/tech_rejected_driver.py test-out/tech-rejected
"""
from __future__ import annotations

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

from kivy.clock import Clock  # noqa: E402

from kiosk import session as S  # noqa: E402
from kiosk.clock import SystemClock  # noqa: E402
from kiosk.controller import Controller, ControllerSettings, EnterPin  # noqa: E402
from kiosk.outbox import OutboxSender, SqliteOutbox  # noqa: E402
from kiosk.ports import DeviceStatus, HallRejected, PrintResult  # noqa: E402
from screens.app import KioskApp  # noqa: E402
from screens.layout_check import layout_problems  # noqa: E402
from screens.screenshot import save_window  # noqa: E402

ID_NUMBER = "11010519491231002X"


class Hall:
    """The hall as it answers after the offline period: it refuses this matter now."""

    def catalog(self):
        from kiosk.ports import HallUnavailable
        raise HallUnavailable("not needed here")

    def submit(self, app, key):
        raise HallRejected(422, "事项已停止受理")


class Printer:
    def __init__(self):
        self.docs = []

    def print(self, doc):
        self.docs.append(doc)
        return PrintResult(True, doc.job_id, DeviceStatus.ok())

    def status(self):
        return DeviceStatus.ok()


def queue(outbox: SqliteOutbox) -> list[str]:
    keys = []
    for i, (code, reason) in enumerate((("320102-XK-CG-001", "事项已停止受理"),
                                        ("320102-XK-WJ-001", "表单字段“联系电话”已改为必填"))):
        key = f"{i + 1:02d}" + "a7c3e9f1b2d4" + "0" * 18
        outbox.enqueue_many([(key, "application", {
            "matter_code": code, "matter_version": 1, "terminal_id": "T-DEMO-01", "fields": {},
            "applicant": {"name": "张三丰" if i == 0 else "李四", "id_number": ID_NUMBER, "phone": "13800000000"}}),
            (f"{key}.signature", "material", {"application_key": key, "material_id": "signature",
                                              "content_type": "image/png", "data_b64": ""})])
        outbox.mark_rejected(key, reason)
        outbox.mark_rejected(f"{key}.signature", "application rejected: material not sent")
        keys.append(key)
    return keys


def main() -> dict:
    res: dict = {"shots": []}
    outbox = SqliteOutbox(OUT / "outbox.sqlite3", SystemClock())
    keys = queue(outbox)
    hall, printer = Hall(), Printer()
    sender = OutboxSender(outbox, send=lambda item: hall.submit(None, item.key))
    c = Controller(ControllerSettings("T-DEMO-01", "梅园新村街道为民服务中心", technician_pin="2468",
                                      hall_url="https://hall.example.invalid"), hall, outbox, sender, printer,
                   SystemClock())
    def work(app):
        try:
            from screens.autopilot import Autopilot
            pilot = Autopilot(app, None, OUT, "online")
            c.post(S.OpenTechnician())
            c.post(EnterPin("2468"))
            pilot.wait_screen("tech", lambda s: len(s.rejected) == 4)
            time.sleep(0.5)
            res["shots"].append(str(save_window(OUT / "tech-rejected-1.png")))
            screen = app.sm.current_screen
            res["problems_before"] = pilot._on_ui(lambda: layout_problems(screen))
            res["labels"] = [screen.find(f"rejected:{k}").text for k in keys]
            pilot.tap(f"retry:{keys[1]}")
            pilot.wait_screen("tech", lambda s: s.session.message == "已重新排队上传")
            sender.drain_once()                          # refused again
            time.sleep(0.5)                              # the rebuilt list is laid out
            pilot.tap(f"handover:{keys[0]}")
            pilot.wait_screen("tech", lambda s: s.session.message == "移交单已打印，请交窗口工作人员")
            snap = app.current_snapshot
            time.sleep(0.5)
            res["shots"].append(str(save_window(OUT / "tech-rejected-2.png")))
            res["problems_after"] = pilot._on_ui(lambda: layout_problems(app.sm.current_screen))
            res["states"] = {k: outbox.state_of(k) for k in keys}
            res["open_after"] = sum(1 for i in snap.rejected if i.open)
            res["slip"] = printer.docs[-1].plain_text() if printer.docs else ""
            res["title_after"] = app.sm.current_screen.ids.rejected_title.text
            pilot.tap("btn_elder")                       # 长者模式: bigger text, same rows
            pilot.wait_screen("tech", lambda s: s.session.elder)
            time.sleep(0.5)
            res["shots"].append(str(save_window(OUT / "tech-rejected-3-elder.png")))
            res["problems_elder"] = pilot._on_ui(lambda: layout_problems(app.sm.current_screen, elder=True))
        except Exception:
            snap = app.current_snapshot
            res["error"] = traceback.format_exc() + f"\nmessage on screen: {snap.session.message if snap else None}"
            save_window(OUT / "tech-rejected-error.png")
        finally:
            Clock.schedule_once(lambda _dt: app.stop())

    app = KioskApp(c, on_started=lambda a: threading.Thread(target=work, args=(a,), daemon=True).start())
    c.start()
    app.run()
    c.stop()
    outbox.close()
    return res


if __name__ == "__main__":
    results = main()
    (OUT / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
