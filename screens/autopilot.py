"""Autopilot: walks the real app through a whole customer visit, as a person would.

It presses the simulated hardware (dock actions), taps real buttons with touch events at their
on-screen position, types into the real inputs, and saves a screenshot of every step. It runs
on its own thread and touches widgets only through Clock.schedule_once. `make demo` (no display)
and the e2e tests use it.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import tracemalloc                # PYTHONTRACEMALLOC=1: how much of the heap is Python's, and whose
from contextlib import contextmanager
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import builder as kv_builder
from kivy.uix.scrollview import ScrollView

from kiosk import memory

from screens.finger import Finger
from screens.layout_check import in_view, layout_problems
from screens.screenshot import save_window
from screens.touch_log import touches_to_screens

log = logging.getLogger(__name__)

TARGET_MATTER = "户外广告设施设置审批"
# A name-like scrawl for the 申请人承诺 pad, in the pad's 0..1 coordinates (y down): 三 and a zigzag.
DEMO_SIGNATURE = (((0.14, 0.36), (0.34, 0.34)), ((0.12, 0.56), (0.36, 0.55)), ((0.09, 0.78), (0.40, 0.76)),
                  ((0.48, 0.30), (0.54, 0.80), (0.62, 0.36), (0.70, 0.80), (0.80, 0.28)))


SETTLE_S = 0.3   # after a screen appears, before its screenshot
TAP_S = 0.3      # after a tap, before looking at the result


def call_on_ui(fn, timeout_s: float):
    """From a worker thread: run fn on the Kivy thread and return its result (or raise its
    exception) here. Widgets are only ever touched on the Kivy thread."""
    box, done = {}, threading.Event()

    def call(_dt):
        try:
            box["value"] = fn()
        except Exception as e:  # handed back to the calling thread, which raises it
            box["error"] = e
        done.set()
    Clock.schedule_once(call)
    if not done.wait(timeout_s):
        raise AutopilotError("the UI thread did not answer")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def rss_kb() -> int:
    """This process's resident memory (Linux)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


class AutopilotError(RuntimeError):
    pass


class _MarkedActions:
    """The dev dock's actions (card, codes, network), each call marked in the autopilot's touch log
    first: what follows is the device's doing, not the last touch's."""

    def __init__(self, actions, mark):
        self._actions, self._mark = actions, mark

    def __getattr__(self, name):
        action = getattr(self._actions, name)

        def marked(*args, **kwargs):
            self._mark()
            return action(*args, **kwargs)
        return marked if callable(action) else action


class Autopilot:
    def __init__(self, app, actions, out_dir: Path, scenario: str = "online", timeout_s: float = 30.0):
        self.app, self.scenario = app, scenario
        self.actions = _MarkedActions(actions, self._mark_event)
        self.shots_dir = out_dir / "screens"
        self.out_dir = out_dir
        self.timeout_s = timeout_s
        self.summary: dict = {"scenario": scenario, "screens": []}
        self._published: list = []     # (monotonic time, snapshot) as the controller publishes
        # (monotonic time of touch up, screen it was on); (time, None) marks a card placed, a code
        # shown, the idle timer left to run: a screen change after it is not the last touch's doing
        self._taps: list = []
        self._drawn: list = []         # (monotonic, screen): the first frame swapped showing each screen
        app.controller.subscribe(lambda snap: self._published.append((time.monotonic(), snap)))

    def ui_timings(self) -> dict:
        """For make bench: start-up, touch -> next screen drawn (from, to, ms), memory."""
        log = list(self.app.screen_log)
        return {"attract_at_wall": log[0][1] if log else None, "touches": self._touches()[0], "rss_kb": rss_kb()}

    def _touches(self) -> tuple[list, list]:
        return touches_to_screens(self._taps, self._drawn)

    def _mark_event(self) -> None:
        """Something other than a touch acts next (a card, a code, the idle timer). The screen the
        last touch brought may still be on its way to the glass: let it arrive first, as a person
        looks before acting, so that it stays that touch's doing."""
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and not (self._drawn and self._drawn[-1][1] == self.app.sm.current):
            time.sleep(0.01)
        self._taps.append((time.monotonic(), None))

    def _ms_until(self, t0: float, predicate) -> int:
        """Milliseconds from t0 to the first snapshot matching predicate (for make bench)."""
        return round(min(t for t, snap in self._published if t >= t0 and predicate(snap)) * 1000 - t0 * 1000)

    # -- primitives ------------------------------------------------------------------------
    def _on_ui(self, fn):
        return call_on_ui(fn, self.timeout_s)

    def wait_for(self, what: str, predicate) -> None:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            snap = self.app.current_snapshot
            if snap is not None and predicate(snap):
                time.sleep(SETTLE_S)      # let a frame or two draw what was rendered
                return
            time.sleep(0.05)
        snap = self.app.current_snapshot
        raise AutopilotError(f"timed out waiting for {what}; on screen: {snap.screen if snap else None}")

    def wait_screen(self, name: str, extra=lambda s: True) -> None:
        self.wait_for(f"screen {name}", lambda s: s.screen == name and extra(s))

    def tap(self, widget_name: str) -> None:
        def find():
            screen = self.app.sm.current_screen
            w = (screen.find(widget_name) or self.app.countdown.ids.get(widget_name)
                 or (screen.ids.header.ids.get(widget_name) if "header" in screen.ids else None))
            if w is None:
                raise AutopilotError(f"no widget {widget_name!r} on {self.app.sm.current}")
            return w

        def bring_into_view():
            # A person scrolls a list until the tile is visible before touching it.
            w, parent = find(), None
            node = w.parent
            while node is not None and node is not node.parent:   # the Window is its own parent
                if isinstance(node, ScrollView):
                    parent = node
                    break
                node = node.parent
            if parent is not None:
                parent.scroll_to(w, padding=20, animate=False)

        self._on_ui(bring_into_view)
        time.sleep(0.2)              # a frame to lay out the scrolled list
        self._tap_widget(find)

    def type_with_keyboard(self) -> None:
        """As a person: touch the phone field and key the number on the numeric pad, touch the
        address field and type pinyin, choosing the first candidate."""
        self.tap("field:phone")
        for digit in "13912345678":
            self._tap_widget(lambda: self.app.sm.current_screen.find("keyboard").keys[digit])
        self.shot("06b-form-keyboard-numeric")
        self._tap_widget(lambda: self.app.sm.current_screen.find("keyboard").keys["DONE"])
        self.tap("field:site_address")
        for letter in "xuanwuqu":
            self._tap_widget(lambda: self.app.sm.current_screen.find("keyboard").keys[letter])
        self.shot("06c-form-keyboard-pinyin")
        # the IME ranks 宣武区 (Beijing) first; a Nanjing user looks along the bar for 玄武区
        self._tap_widget(lambda: next(c for c in self.app.sm.current_screen.find("keyboard").shown_candidates
                                      if c.text == "玄武区"))
        self.summary["typed"] = self._on_ui(lambda: {
            name: self.app.sm.current_screen.find(f"field:{name}").text for name in ("phone", "site_address")})
        self._tap_widget(lambda: self.app.sm.current_screen.find("keyboard").keys["DONE"])

    def _tap_widget(self, locate, pause: float = TAP_S) -> None:
        x, y = self._on_ui(lambda: (lambda w: w.to_window(*w.center))(locate()))
        self._touch_at(x, y, pause)

    def tap_key(self, label: str) -> None:
        """Tap a key of the on-screen letter pad by its label."""
        def locate():
            pad = self.app.sm.current_screen.find("letterpad")
            key = next(k for k in pad.children if k.text == label)
            return key.to_window(*key.center)
        x, y = self._on_ui(locate)
        self._touch_at(x, y)

    def _touch_at(self, x: float, y: float, pause: float = TAP_S) -> None:
        def press():
            touch = Finger(x, y)
            touch.touch_down()
            before = self.app.sm.current

            def release(_dt):
                touch.touch_up()
                self._taps.append((time.monotonic(), before))
            Clock.schedule_once(release, 0.05)
        self._on_ui(press)
        time.sleep(pause)

    def shot(self, name: str) -> Path:
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        target = self.shots_dir / f"{name}.png"
        try:
            save_window(target, self.timeout_s)
        except TimeoutError as e:
            raise AutopilotError(str(e)) from None
        self.summary["screens"].append(str(target))
        problems = self._on_ui(lambda: layout_problems(self.app.root))
        if problems:
            self.summary.setdefault("layout_problems", {})[name] = problems
        return target

    # -- the visit ---------------------------------------------------------------------------
    def _record_in_sight(self, key: str, probe, tag: str | None) -> None:
        """Whether probe() finds its widget in sight, as a person would see it once the screen is
        drawn and laid out; kept per visit under `key`, with a screenshot when it is not."""
        time.sleep(0.5)
        in_sight = self._on_ui(probe)
        self.summary.setdefault(key, []).append(in_sight)
        if not in_sight:
            self.shot(f"{tag or 'soak'}-{key}-false")

    def _first_material_in_view(self) -> bool:
        """The list of materials opens at its top: its first row is where the person can see it."""
        first = self.app.current_snapshot.session.matter.materials[0].id
        return in_view(self.app.sm.current_screen.find(f"row:{first}"))

    def _first_error_in_view(self) -> bool:
        """The form's first error (in the form's order) is where the person can see it."""
        snap = self.app.current_snapshot
        first = next(f.name for f in snap.session.matter.form if f.name in snap.session.errors)
        return in_view(self.app.sm.current_screen.find(f"error:{first}"))

    def fill_required(self) -> None:
        from kiosk.domain.form import example_value

        def fill():
            screen = self.app.sm.current_screen
            matter = self.app.current_snapshot.session.matter
            for f in matter.form:
                w = screen.find(f"field:{f.name}")
                empty = not w.text or (f.type == "choice" and w.text not in f.choices)
                if empty and f.required:
                    w.text = example_value(f)
        self._on_ui(fill)

    def run(self) -> dict:
        return self._timed(self._walk)

    def run_guest(self) -> dict:
        return self._timed(self._guest_walk)

    def _timed(self, walk) -> dict:
        """Runs a walk with every frame that shows a new screen noted; its summary with the touches."""
        self._on_ui(lambda: Window.bind(on_flip=self._flipped))
        try:
            walk()
        finally:
            self._on_ui(lambda: Window.unbind(on_flip=self._flipped))
        self.summary.update(self.ui_timings())
        return self.summary

    def _walk(self) -> None:
        """The demo's walk: every screen a citizen, a legal representative and a technician meet."""
        self.wait_screen("attract")
        self.shot("01-attract")
        t0 = time.monotonic()
        self.actions.place_card()
        self.wait_screen("home")
        self.summary["card_to_home_ms"] = self._ms_until(t0, lambda s: s.screen == "home")
        self.shot("02-home")
        self.tap("btn_lang")
        self.wait_screen("home", lambda s: s.session.lang == "en")
        self.shot("02b-home-english")
        self.tap("btn_elder")
        self.wait_screen("home", lambda s: s.session.elder)
        self.shot("02c-home-english-elder")
        self.tap("btn_lang")
        self.wait_screen("home", lambda s: s.session.lang == "zh")
        self.shot("02d-home-elder")
        self.tap("btn_elder")
        self.wait_screen("home", lambda s: not s.session.elder)
        self.tap("btn_matters")
        self.wait_screen("matters", lambda s: bool(s.matters))
        self.shot("03-matters")
        matter = next(m for m in self.app.current_snapshot.matters if m.name == TARGET_MATTER)
        # find it as a person would: 个人办事, then the pinyin initials H-W-G-G on the pad
        self.tap("filter_person")
        self.tap("btn_search")
        for letter in "HWGG":
            self.tap_key(letter)
        self.wait_screen("matters", lambda s: s.session.query == "hwgg")
        self.shot("03b-matters-search")
        self.tap(f"matter:{matter.code}")
        self.wait_screen("guide")
        self.shot("04-guide")
        self.tap("btn_start")
        self.wait_screen("form")
        self.shot("05-form-prefilled")
        self.tap("btn_next")          # required fields still empty: the form must say which
        self.wait_screen("form", lambda s: bool(s.session.errors))
        self.shot("06-form-errors")
        self.type_with_keyboard()
        self.fill_required()
        self.tap("btn_next")
        self.materials()
        self.tap("btn_next")
        self.wait_screen("review")
        self.shot("07-review")
        if self.scenario == "offline":
            self.actions.network_down()
            time.sleep(1.0)
        self.tap("btn_confirm")
        self.sign()
        t0 = time.monotonic()
        self.tap("btn_sign")
        self.wait_screen("done", lambda s: s.session.outcome is not None and s.session.outcome.print_ok is not None)
        self.summary["confirm_to_printed_ms"] = self._ms_until(
            t0, lambda s: s.session.outcome is not None and s.session.outcome.print_ok is not None)
        self.shot("08-done")
        outcome = self.app.current_snapshot.session.outcome
        self.summary.update(application_no=outcome.application_no, queued=outcome.queued,
                            printed=outcome.print_ok, print_message=outcome.print_message,
                            matter=matter.name)
        self.tap("btn_evaluate")
        self.wait_screen("evaluate")
        self.tap("level:2")             # 不满意: a reason is required
        self.tap("btn_submit")
        self.wait_screen("evaluate", lambda s: bool(s.session.message))
        self.shot("09-evaluate-reason-required")
        self.tap("reason:办理时间长")
        self.tap("btn_submit")
        self.wait_screen("thanks")
        self.shot("10-thanks")
        self.tap("btn_finish")
        self.wait_screen("attract")
        self.shot("11-attract-again")
        if not outcome.queued:
            self.progress_by_receipt()

    def sign(self) -> None:
        """申请人承诺: first 确认 with an empty pad (the screen must say what to do), then write
        a name with a finger, in both modes."""
        self.wait_screen("sign")
        self.tap("btn_sign")
        self.wait_screen("sign", lambda s: bool(s.session.message))
        self.shot("07b-sign-empty")
        self.write_signature(DEMO_SIGNATURE)
        self.wait_screen("sign", lambda s: not s.session.message)    # writing cleared "还没有签名"
        self.shot("07c-sign")
        self.tap("btn_elder")
        self.wait_screen("sign", lambda s: s.session.elder)
        self.shot("07d-sign-elder")
        self.tap("btn_elder")
        self.wait_screen("sign", lambda s: not s.session.elder)

    def write_signature(self, strokes, step_px: float = 12.0) -> None:
        """A finger along each stroke on the signature pad, a move every ~step_px."""
        def to_window(p):
            box = self.app.sm.current_screen.find("pad_box")
            return box.to_window(box.x + p[0] * box.width, box.y + (1 - p[1]) * box.height)

        for stroke in strokes:
            pts = self._on_ui(lambda stroke=stroke: [to_window(p) for p in stroke])
            path = [pts[0]]
            for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
                n = max(1, int(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 / step_px))
                path += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]

            def draw(path=path):
                touch = Finger(*path[0])
                touch.touch_down()
                for x, y in path[1:]:
                    touch.touch_move(x, y)
                touch.touch_up()
            self._on_ui(draw)
        time.sleep(TAP_S)

    def materials(self) -> None:
        """申请材料 of 户外广告设施设置审批, as a person: 下一步 too early (what is missing is said
        next to each), the lease contract laid under the camera and photographed (a retake
        first), the site photos likewise, the application form handed in at the window later;
        the list and the camera view in 长者模式 too."""
        self.wait_screen("materials")
        self.shot("06d-materials")
        self.tap("btn_next")
        self.wait_screen("materials", lambda s: bool(s.session.material_errors))
        self.shot("06e-materials-missing")
        self.photograph("cdqz", "lease_contract", shots=("06f-materials-camera", "06g-materials-photo"), retake=True)
        self.photograph("xgt", "site_photo_sheet")
        self.tap("window:sqb")
        self.wait_screen("materials", lambda s: s.session.dispositions.get("sqb") == "window")
        self.shot("06h-materials-ready")
        self.tap("btn_elder")
        self.wait_screen("materials", lambda s: s.session.elder)
        self.shot("06i-materials-elder")
        self.tap("btn_lang")                # the longest button texts: English in 长者模式
        self.wait_screen("materials", lambda s: s.session.lang == "en")
        self.shot("06k-materials-english-elder")
        self.tap("btn_lang")
        self.wait_screen("materials", lambda s: s.session.lang == "zh")
        self.tap("photo:jgsm")
        self.wait_screen("materials", lambda s: s.session.capturing == "jgsm")
        time.sleep(0.3)                     # a preview frame or two
        self.shot("06j-materials-camera-elder")
        self.tap("btn_cancel_capture")
        self.wait_screen("materials", lambda s: not s.session.capturing)
        self.tap("btn_elder")
        self.wait_screen("materials", lambda s: not s.session.elder)
        self.summary["materials"] = dict(self.app.current_snapshot.session.dispositions)
        self.summary["photo_bytes"] = {k: len(a.data) for k, a in
                                       self.app.current_snapshot.session.attachments.items()}

    def photograph(self, material_id: str, document: str, shots=(), retake: bool = False) -> None:
        """Lay a paper document under the (simulated) camera, 拍照, look, (重拍,) 使用此照片."""
        self.actions.show_document(document).wait(self.timeout_s)
        self.tap(f"photo:{material_id}")
        self.wait_screen("materials", lambda s: s.session.capturing == material_id)
        time.sleep(0.4)                     # the preview draws the document (10 frames a second)
        if shots:
            self.shot(shots[0])
        self.tap("btn_shutter")
        self.wait_screen("materials", lambda s: s.session.photo is not None)
        if shots:
            self.shot(shots[1])
        if retake:
            self.tap("btn_retake")
            self.wait_screen("materials", lambda s: s.session.photo is None and s.session.capturing)
            self.tap("btn_shutter")
            self.wait_screen("materials", lambda s: s.session.photo is not None)
        self.tap("btn_use")
        self.wait_screen("materials", lambda s: s.session.dispositions.get(material_id) == "attached"
                         and not s.session.capturing)

    def settle_materials(self) -> None:
        """Quickly past the materials screen (e.g. for many visits): every material that needs
        something goes to the window where allowed, else is photographed as the camera sees it."""
        self.wait_screen("materials")
        snap = self.app.current_snapshot
        for m in snap.session.matter.materials:
            if m.exempt_by_sharing or not m.required:
                continue
            if m.window_allowed:
                self.tap(f"window:{m.id}")
                self.wait_screen("materials", lambda s, i=m.id: s.session.dispositions.get(i) == "window")
            else:
                self.tap(f"photo:{m.id}")
                self.wait_screen("materials", lambda s, i=m.id: s.session.capturing == i)
                self.tap("btn_shutter")
                self.wait_screen("materials", lambda s: s.session.photo is not None)
                self.tap("btn_use")
                self.wait_screen("materials", lambda s, i=m.id: s.session.dispositions.get(i) == "attached")

    def progress_by_receipt(self) -> None:
        """Later: the citizen holds the receipt's QR to the camera, proves it is theirs with the
        card, reads the timeline, then looks at the list of all their applications."""
        self.actions.remove_card()
        time.sleep(1.0)                 # the reader sees the card gone (two empty finds)
        self.actions.show_receipt_qr()
        self.wait_screen("progress_detail", lambda s: s.session.card is None and bool(s.session.message))
        self.shot("12-progress-scan-needs-card")
        self.actions.place_card()
        self.wait_screen("progress_detail", lambda s: s.session.progress is not None)
        self.shot("13-progress-detail")
        self.summary["progress_status"] = self.app.current_snapshot.session.progress.status_text
        self.tap("btn_back")
        self.wait_screen("home")
        self.tap("btn_progress")
        self.wait_screen("progress", lambda s: bool(s.session.applications))
        self.shot("14-progress-list")
        self.tap("btn_back")
        self.wait_screen("home")
        self.tap("btn_logout")
        self.wait_screen("attract")
        self.credit_reports()
        self.technician()

    def technician(self) -> None:
        """Five taps on the hall's name, a wrong PIN, the right one, a test print, out."""
        name = lambda: self.app.sm.current_screen.ids.header.children[-1]   # noqa: E731
        for _ in range(5):               # as a technician does: quickly (5 taps within 3 s)
            self._tap_widget(name, pause=0.08)
        self.wait_screen("tech_pin")
        for key in "1234":
            self._tap_widget(lambda k=key: self.app.sm.current_screen.find(f"key:{k}"))
        self.tap("btn_ok")
        self.wait_screen("tech_pin", lambda s: bool(s.session.message))
        self.shot("19-tech-wrong-pin")
        for key in "0000":
            self._tap_widget(lambda k=key: self.app.sm.current_screen.find(f"key:{k}"))
        self.tap("btn_ok")
        self.wait_screen("tech")
        self.tap("btn_test_print")
        self.wait_screen("tech", lambda s: "测试页" in s.session.message)
        self.shot("20-tech-menu")
        self.tap("btn_back")
        self.wait_screen("attract")

    def credit_reports(self) -> None:
        """The legal representative of a sample enterprise: own report, print the summary; the
        enterprise's report via its e-licence QR, print it on A4 (a PDF in the demo)."""
        self.actions.remove_card()
        time.sleep(1.0)
        self.actions.swap_card()        # the next card on the dock: 王演示, a legal representative
        self.wait_screen("home")
        self.tap("btn_credit")
        self.wait_screen("credit")
        self.shot("15-credit-choose")
        self.tap("btn_person")
        self.wait_screen("credit_report", lambda s: s.session.credit is not None)
        self.shot("16-credit-person")
        self.tap("btn_print_summary")
        self.wait_screen("credit_report", lambda s: "打印" in s.session.message)
        self.summary["credit_person"] = self.app.current_snapshot.session.credit.report_no
        self.tap("btn_back")
        self.wait_screen("credit")
        self.tap("btn_enterprise")
        self.wait_screen("credit", lambda s: s.session.waiting_licence)
        self.actions.show_licence_qr()
        self.wait_screen("credit_report", lambda s: s.session.credit is not None
                         and s.session.credit.subject.kind == "enterprise")
        self.shot("17-credit-enterprise")
        self.tap("btn_print_a4")
        self.wait_screen("credit_report", lambda s: "完整报告" in s.session.message)
        self.shot("18-credit-a4")
        self.summary["credit_enterprise"] = self.app.current_snapshot.session.credit.report_no
        self.tap("btn_back")
        self.wait_screen("credit")
        self.tap("btn_back")
        self.wait_screen("home")
        self.tap("btn_logout")
        self.wait_screen("attract")

    def _guest_walk(self) -> None:
        """游客 reads a guide, is told to place the card, identifies in place, starts the form,
        walks away: the countdown appears, 继续办理 keeps the session, then silence wipes it."""
        self.wait_screen("attract")
        self.tap("btn_guest")
        self.wait_screen("matters", lambda s: bool(s.matters) and s.session.card is None)
        self.shot("01-guest-matters")
        matter = next(m for m in self.app.current_snapshot.matters if m.name == TARGET_MATTER)
        self.tap(f"matter:{matter.code}")
        self.wait_screen("guide")
        self.tap("btn_start")
        self.wait_screen("guide", lambda s: bool(s.session.message))
        self.shot("02-guide-needs-card")
        self.actions.place_card()
        self.wait_screen("guide", lambda s: s.session.card is not None)
        self.tap("btn_start")
        self.wait_screen("form")
        self.wait_for("the idle countdown", lambda s: s.seconds_left is not None)
        self.shot("03-countdown")
        self.tap("btn_continue")
        self.wait_for("the countdown to go", lambda s: s.seconds_left is None and s.screen == "form")
        self._mark_event()      # the person walks away: the wipe that follows is the idle timer's doing
        self.wait_for("the session to be wiped", lambda s: s.screen == "attract")
        self.shot("04-wiped")
        leftovers = self._on_ui(lambda: [name for scr in self.app.sm.screens for name in scr.dynamic
                                         if name.startswith(("field:", "error:"))])
        self.summary.update(matter=matter.name, leftover_widgets=leftovers,
                            card_after=self.app.current_snapshot.session.card is not None)

    def run_soak(self, sessions: int) -> dict:
        """Many whole customer visits -- card, 区域通办 matter, form (first with its errors), review,
        submit, receipt printed, 好差评, out, card lifted -- in both languages and both modes in
        turn: memory must not grow (issue #7 benchmark). RSS idle, then after every visit.

        Fast on purpose (a few minutes for 100): a step waits for the snapshot it caused and a
        frame's layout, not for a person's pace. The first visit of each language/mode pair
        screenshots every screen it passes (layout, overflow and contrast are checked on them)."""
        import gc
        import statistics

        from kivy.cache import Cache
        self._step_s: dict[str, list[float]] = {}
        self._on_ui(lambda: Window.bind(on_flip=self._flipped))
        self._gc_pauses: list = []    # (monotonic start, generation, ms): the collector stops every thread
        gc.callbacks.append(self._timed_gc)
        self.wait_screen("attract")
        time.sleep(1.0)               # the attract screen's first textures and the heartbeat settle
        from screens import app as app_module
        traced = tracemalloc.is_tracing()
        idle, idle_kinds, idle_maps = rss_kb(), _memory_kinds(), memory.by_mapping()
        idle_snapshot = tracemalloc.take_snapshot() if traced else None
        if traced:
            self.summary["traced_idle_by_package_kb"] = _traced_by_package(idle_snapshot)
            self.summary["traced_idle_top_lines_kb"] = [
                (str(stat.traceback), stat.size // 1024) for stat in idle_snapshot.statistics("lineno")[:30]]
        rss, visit_s, errors_shown, kinds, objects, gc_walked, gc_frozen = [], [], {}, [], {}, [], []
        counts, observers, kv_handlers = {}, {}, []
        # screenshots and their layout checks are the bench's, not the kiosk's: SOAK_SHOTS=0
        # measures without them (their buffers and textures land in the same heap)
        shot_visits = int(os.environ.get("SOAK_SHOTS", "4"))
        # growth is counted from visit 10 or the next in the same language and mode as the last one:
        # the four modes hold different widgets, which is not growth
        # (a short run of 5-10 visits compares its last two rounds, for a quick look)
        base = 10 + (sessions - 10) % 4 if sessions > 10 else sessions - 4 if sessions > 4 else sessions
        for i in range(sessions):
            t0 = time.monotonic()
            lang, elder = ("zh", "en")[i % 2], i % 4 >= 2
            shots = i < shot_visits
            try:
                errors = self._soak_visit(lang, elder, f"soak-{i + 1:03d}-{lang}{'-elder' if elder else ''}"
                                          if shots else None)
            except AutopilotError:
                snap = self.app.current_snapshot
                log.error("soak visit %d failed on %s (message %r)", i + 1, snap.screen, snap.session.message)
                self.shot(f"soak-{i + 1:03d}-failed")         # what the screen showed when it stuck
                raise
            if shots:
                errors_shown[f"{lang}{'-elder' if elder else ''}"] = errors
            self.actions.remove_card()
            time.sleep(0.7)             # the reader sees the card gone (two empty finds)
            self._published.clear()     # the autopilot's own record of snapshots: not the app's memory
            # the app hands freed heap back once a visit (memory.tidy_soon after the wipe): measure after
            # it, not racing it (a trim already running makes this one a no-op, then it has run)
            time.sleep(app_module.TRIM_DELAY_S)
            memory.trim()
            rss.append(rss_kb())
            kinds.append(_memory_kinds())
            visit_s.append(round(time.monotonic() - t0, 2))
            # what the app's idle collection left to walk (the rest frozen: memory.collect_and_freeze)
            gc_walked.append(len(gc.get_objects()))
            gc_frozen.append(gc.get_freeze_count())
            if i + 1 in (base, sessions):
                with _all_objects_visible():
                    observers[i + 1] = self._on_ui(_observer_counts)    # first: it links lazy properties
                    counts[i + 1] = _object_counts()
            if (i + 1) % 10 == 0 or i + 1 == sessions:
                with _all_objects_visible():
                    objects[i + 1] = len(gc.get_objects())
            kv_handlers.append(len(kv_builder._handlers))   # kv bindings kept per widget until unbound
        self._on_ui(lambda: Window.unbind(on_flip=self._flipped))
        gc.callbacks.remove(self._timed_gc)
        gc.collect()
        if traced:
            diff = tracemalloc.take_snapshot().compare_to(idle_snapshot, "lineno")[:25]
            self.summary["traced_growth_kb"] = [(str(d.traceback), d.size_diff // 1024) for d in diff]
        grown = {k: counts[sessions].get(k, 0) - v for k, v in counts[base].items()}
        grown.update({k: v for k, v in counts[sessions].items() if k not in counts[base]})
        bound = _bindings_grown(observers[base], observers[sessions])
        with _all_objects_visible():
            python, textures = _python_memory(), self._on_ui(_texture_bytes)
        touches, spans = self._touches()
        self.summary.update(self.ui_timings(), rss_idle_kb=idle, rss_per_session_kb=rss, sessions=sessions,
                            rss_after_gc_kb=rss_kb(), visit_s=visit_s, form_errors_shown=errors_shown,
                            step_median_s={k: round(statistics.median(v), 3) for k, v in self._step_s.items()},
                            growth_from_visit=base, kv_rule_handlers_per_visit=kv_handlers, object_growth_after_10=dict(sorted(grown.items(), key=lambda kv: -kv[1])[:15]),
                            observer_growth_after_10={k: v for k, v in sorted(bound.items(), key=lambda kv: -kv[1])[:25]
                                                      if v > 0},
                            kivy_cache={k: len(v) for k, v in Cache._objects.items()},
                            rss_idle_kinds_kb=idle_kinds, idle_mappings_kb=idle_maps,
                            end_mappings_kb=memory.by_mapping(), kinds_per_session_kb=kinds, gc_objects=objects,
                            soak_touches=touches, gc_pauses=self._gc_summary(spans),
                            gc_walked_at_idle=gc_walked, gc_frozen_at_idle=gc_frozen, python=python,
                            kivy_textures=textures, gl_samples=self._on_ui(_gl_samples))
        return self.summary

    def _flipped(self, *_args) -> None:
        """Window.on_flip (Kivy thread): remember the first frame that shows a new screen."""
        screen = self.app.sm.current
        if not self._drawn or self._drawn[-1][1] != screen:
            self._drawn.append((time.monotonic(), screen))

    def _timed_gc(self, phase: str, info: dict) -> None:
        """gc.callbacks: time each collection (in whatever thread ran it; the GIL is held throughout)."""
        if phase == "start":
            self._gc_started = time.monotonic()
        else:
            self._gc_pauses.append((self._gc_started, info["generation"],
                                    (time.monotonic() - self._gc_started) * 1000))

    def _gc_summary(self, touch_spans: list) -> dict:
        """Collections by generation (count, total and longest ms), and the collector's ms inside
        each soak touch (its span: finger up to next screen drawn), in the order given."""
        by_gen: dict = {}
        for _t, gen, ms in self._gc_pauses:
            count, total, longest = by_gen.get(gen, (0, 0.0, 0.0))
            by_gen[gen] = (count + 1, round(total + ms, 1), round(max(longest, ms), 1))
        in_touch = []
        for t_up, t_drawn in touch_spans:
            in_touch.append(round(sum(ms for t, _g, ms in self._gc_pauses if t_up <= t < t_drawn), 1))
        return {"by_generation": {str(g): v for g, v in sorted(by_gen.items())}, "ms_in_touch": in_touch}

    def _soak_visit(self, lang: str, elder: bool, tag: str | None) -> dict:
        """One visit as run_soak makes it; returns the form's error texts as the screen showed them.
        With a tag, every screen of the visit is shot as `<tag>-<step>` (so each screen is seen,
        and checked, in both languages and both modes)."""
        def shot(step: str) -> None:
            if tag:
                time.sleep(SETTLE_S)
                self.shot(f"{tag}-{step}")
        for attempt in range(3):
            self.actions.place_card()
            try:
                self._soak_wait(lambda s: s.screen == "home" and s.session.card is not None, 8.0)
                break
            except AutopilotError:
                if attempt == 2:
                    raise
                # the reader did not see the last card go: lift it and put it back, as a person does
                self.summary["card_replaced"] = self.summary.get("card_replaced", 0) + 1
                self.actions.remove_card()
                time.sleep(1.5)
        if lang == "en":
            self._soak_tap("btn_lang", lambda s: s.session.lang == "en")
        if elder:
            self._soak_tap("btn_elder", lambda s: s.session.elder)
        shot("a-home")
        self._soak_tap("btn_matters", lambda s: s.screen == "matters" and bool(s.matters))
        shot("b-matters")
        self.summary.setdefault("matters_scroll_at_open", []).append(
            self._on_ui(lambda: self.app.sm.current_screen.ids.scroll.scroll_y))
        code = next(m.code for m in self.app.current_snapshot.matters if m.name == TARGET_MATTER)
        self._soak_tap(f"matter:{code}", lambda s: s.screen == "guide")
        shot("c-guide")
        self._soak_tap("btn_start", lambda s: s.screen == "form")
        self._soak_tap("btn_next", lambda s: s.screen == "form" and bool(s.session.errors))
        shown = self._on_ui(lambda: {k[6:]: w.text for k, w in self.app.sm.current_screen.dynamic.items()
                                     if k.startswith("error:") and w.text})
        shot("d-form-errors")
        self._record_in_sight("form_first_error_in_view", self._first_error_in_view, tag)
        self.fill_required()
        self._soak_tap("btn_next", lambda s: s.screen != "form")
        if self.app.current_snapshot.screen == "materials":
            shot("e-materials")
            self._record_in_sight("materials_first_row_in_view", self._first_material_in_view, tag)
            self._soak_materials()
        self._soak_wait(lambda s: s.screen == "review")
        shot("f-review")
        printed = lambda s: (s.screen == "done" and s.session.outcome is not None   # noqa: E731
                             and s.session.outcome.print_ok is not None)
        self._soak_tap("btn_confirm", lambda s: s.screen == "sign" or printed(s))
        if self.app.current_snapshot.screen == "sign":              # 申请人承诺, signed by hand
            self.write_signature(DEMO_SIGNATURE)
            shot("g-sign")
            self._soak_tap("btn_sign", printed)
        shot("h-done")
        self._soak_tap("btn_evaluate", lambda s: s.screen == "evaluate")
        self._soak_tap("level:5", lambda s: True)
        shot("i-evaluate")
        self._soak_tap("btn_submit", lambda s: s.screen == "thanks")
        shot("j-thanks")
        self._soak_tap("btn_finish", lambda s: s.screen == "attract" and s.session.card is None)
        return shown

    def _soak_materials(self) -> None:
        """申请材料 as settle_materials, at soak pace: 窗口补交 where allowed, else photographed."""
        for m in self.app.current_snapshot.session.matter.materials:
            if m.exempt_by_sharing or not m.required:
                continue
            if m.window_allowed:
                self._soak_tap(f"window:{m.id}", lambda s, i=m.id: s.session.dispositions.get(i) == "window")
                continue
            self._soak_tap(f"photo:{m.id}", lambda s, i=m.id: s.session.capturing == i)
            self._soak_tap("btn_shutter", lambda s: s.session.photo is not None)
            self._soak_tap("btn_use", lambda s, i=m.id: s.session.dispositions.get(i) == "attached"
                           and not s.session.capturing)
        self._soak_tap("btn_next", lambda s: s.screen != "materials")

    def _soak_wait(self, predicate, timeout_s: float | None = None) -> None:
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while time.monotonic() < deadline:
            snap = self.app.current_snapshot
            if snap is not None and predicate(snap):
                time.sleep(0.05)          # a frame: the rendered screen is laid out (taps wait for it to settle)
                return
            time.sleep(0.02)
        snap = self.app.current_snapshot
        raise AutopilotError(f"soak: timed out; on screen {snap.screen if snap else None}")

    def _soak_tap(self, name: str, until) -> None:
        """Touch a widget (scrolled into view first if it is in a list), then wait for `until`."""
        def find():
            screen = self.app.sm.current_screen
            w = screen.find(name) or (screen.ids.header.ids.get(name) if "header" in screen.ids else None)
            if w is None:
                raise AutopilotError(f"no widget {name!r} on {self.app.sm.current}")
            return w

        def scroll():
            """As a finger would: move the list so that the widget is in the middle of its view.
            (ScrollView.scroll_to on a list still laying out can leave scroll_y outside 0..1.)"""
            w = find()
            sv = next((n for n in w.walk_reverse() if isinstance(n, ScrollView)), None)
            if sv is None or not sv.children:
                return False
            content = sv.children[0]
            _x, y = content.to_widget(*w.to_window(*w.center))
            spare = content.height - sv.height
            target = min(1.0, max(0.0, (y - sv.height / 2) / spare)) if spare > 0 else 1.0
            if sv.effect_y is not None:       # an overscroll left in the effect would win again
                sv.effect_y.velocity = 0
                sv.effect_y.value = sv.effect_y.max * target
            sv.scroll_y = target
            return True

        def press(at):
            touch = Finger(*at)
            touch.touch_down()
            before = self.app.sm.current

            def release(_dt):
                touch.touch_up()
                self._taps.append((time.monotonic(), before))
            Clock.schedule_once(release)

        def where():
            """The widget's centre in the window, or None while its list shows another part."""
            w = find()
            return w.to_window(*w.center) if in_view(w) else None
        t0 = time.monotonic()
        for attempt in range(3):
            # Rows that wrap their text settle over a few frames, and a list rebuilt by a render
            # may jump back: touch where the widget stays, inside its list's visible part.
            at = None
            for _ in range(60):
                now = self._on_ui(where)
                if now is None:
                    self._on_ui(scroll)
                elif now == at:
                    break
                at = now
                time.sleep(0.03)
            if at is None:
                def geometry():
                    w = find()
                    sv = next(n for n in w.walk_reverse() if isinstance(n, ScrollView))
                    return w.to_window(*w.center), sv.to_window(*sv.pos), sv.size, sv.scroll_y
                raise AutopilotError(f"soak: {name} stays out of view: {self._on_ui(geometry)}")
            self._on_ui(lambda: press(at))
            try:
                self._soak_wait(until, 5.0)
                break
            except AutopilotError:
                if attempt == 2:
                    raise
                self.summary["soak_retaps"] = self.summary.get("soak_retaps", 0) + 1   # it missed
        self._step_s.setdefault(name.split(":")[0], []).append(time.monotonic() - t0)


def _object_counts() -> dict[str, int]:
    """Live Python objects by type name (run_soak: what grows between visit 10 and the last)."""
    import gc
    from collections import Counter
    gc.collect()
    return dict(Counter(type(o).__name__ for o in gc.get_objects()))


def _memory_kinds() -> dict[str, int]:
    """KB by kind: /proc/self/smaps (~20 ms; the calling thread), glibc's view of its heap, and
    with PYTHONTRACEMALLOC=1 the part of it Python allocated."""
    kinds = {**memory.breakdown(), **{f"malloc_{k}": v for k, v in memory.malloc_info().items()}}
    if tracemalloc.is_tracing():
        kinds["python_traced"] = tracemalloc.get_traced_memory()[0] // 1024
    return kinds


def _observer_counts() -> dict[int, dict[str, int]]:
    """Callbacks bound to each property or event of every live Kivy object, by object, keyed by
    class, name and where the binding was made (Kivy thread). Compared between two visits for the
    objects alive at both (`_bindings_grown`): a binding made per visit on something that lives on
    (the window, a kept widget) shows there; widgets made and dropped per visit do not."""
    import gc

    from kivy.event import EventDispatcher
    gc.collect()                  # widgets dropped this visit but still in a cycle are not "kept"
    dispatchers = [obj for obj in gc.get_objects()
                   if issubclass(type(obj), EventDispatcher)]   # type(): a dead weakproxy raises on isinstance
    # Kivy links an alias property (right, center_x, top...) on first use, binding it to x, y, width,
    # height: reading its observers is a first use. Look at every property once before counting, or
    # the count itself adds ~1,100 bindings between the first probe and the next (seen as "growth").
    for obj in dispatchers:
        for name in obj.properties():
            obj.get_property_observers(name)
    out = {}                      # by Kivy uid (never reused): no reference of ours keeps anything alive
    for obj in dispatchers:
        cls, counts = type(obj).__name__, {}
        for name in (*obj.properties(), *obj.events()):
            for observer in obj.get_property_observers(name, args=True):
                key = f"{cls}.{name} <- {_bound_where(observer)}"
                counts[key] = counts.get(key, 0) + 1
        out[obj.uid] = counts
    return out


def _bindings_grown(before: dict, after: dict) -> dict[str, int]:
    """Bindings added between two probes on the objects alive at both, summed by key."""
    grown: dict[str, int] = {}
    for uid, counts in after.items():
        old = before.get(uid)
        if old is None:
            continue
        for key, n in counts.items():
            if n > old.get(key, 0):
                grown[key] = grown.get(key, 0) + n - old.get(key, 0)
    return grown


def _bound_where(observer: tuple) -> str:
    """Where a Kivy binding was made: the kv rule's file and line, else the callback's own
    definition. A count that grows then names its line, not just the property."""
    callback, largs, _kwargs, is_ref, _uid = observer
    for arg in largs:                      # kv bindings carry their rule (ParserRuleProperty)
        ctx = getattr(arg, "ctx", None)
        if ctx is not None and hasattr(arg, "line"):
            return f"{os.path.basename(getattr(ctx, 'filename', None) or '?')}:{arg.line + 1} {arg.name}"
    if is_ref:
        callback = callback()              # a WeakMethod
    func = getattr(callback, "__func__", callback)
    code = getattr(func, "__code__", None)
    if code is None:
        return getattr(func, "__qualname__", type(func).__name__)
    return f"{os.path.basename(code.co_filename)}:{code.co_firstlineno} {func.__qualname__}"


REPO = str(Path(__file__).resolve().parent.parent)


def _traced_by_package(snapshot) -> dict[str, int]:
    """The Python heap by the package whose code allocated it (site-packages/<name>, or the
    repo's own top-level package, or the standard library), largest first, KB."""
    out: dict[str, int] = {}
    for stat in snapshot.statistics("filename"):
        path = stat.traceback[0].filename
        if "site-packages/" in path:
            name = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif path.startswith(REPO):
            name = path[len(REPO) + 1:].split("/", 1)[0]
        else:
            name = "(stdlib/other) " + os.path.basename(path)
        out[name] = out.get(name, 0) + stat.size // 1024
    return dict(sorted(out.items(), key=lambda kv: -kv[1])[:30])


def _python_memory() -> dict:
    """Python's own heap: blocks pymalloc holds and live objects tracked by the gc."""
    import gc
    import sys
    gc.collect()
    heavy = ("hall", "fastapi", "sqlalchemy", "uvicorn", "drivers.idcard.simulator", "drivers.printer.virtual",
             "drivers.scanner.simulator")
    from collections import Counter
    packages = Counter(name.split(".")[0] for name in sys.modules)
    return {"allocated_blocks": sys.getallocatedblocks(), "gc_objects": len(gc.get_objects()),
            "modules": len(sys.modules), "imported": [m for m in heavy if m in sys.modules],
            "packages": dict(packages.most_common(30))}


@contextmanager
def _all_objects_visible():
    """gc.get_objects() leaves out what the app froze after its last idle collection (memory.
    collect_and_freeze); the probes below must see every object, so they look with everything
    unfrozen, and it is frozen again afterwards as the app itself would."""
    import gc
    gc.unfreeze()
    try:
        yield
    finally:
        memory.collect_and_freeze()


def _gl_samples() -> int:
    """Samples per pixel of the window's framebuffer as the GL driver made it (Kivy thread)."""
    from kivy.graphics import opengl
    return int(opengl.glGetIntegerv(opengl.GL_SAMPLES)[0])


def _texture_bytes() -> dict:
    """Kivy's texture cache (Kivy thread): how many textures it holds and their pixels (RGBA)."""
    from kivy.cache import Cache
    out = {}
    for category in ("kv.texture", "kv.image"):
        textures = [getattr(entry["object"], "texture", entry["object"])
                    for entry in Cache._objects.get(category, {}).values()]
        sizes = [t.size for t in textures if hasattr(t, "size")]
        out[category] = {"count": len(textures), "kb": round(sum(w * h * 4 for w, h in sizes) / 1024)}
    out["live"] = _live_textures()
    return out


def _live_textures() -> dict:
    """Every texture alive in the process (label texts, pictures, the preview), RGBA-sized: what
    llvmpipe holds in this process's heap for them. By size, largest first."""
    import gc

    from kivy.graphics.texture import Texture, TextureRegion
    seen: dict[int, tuple[int, int]] = {}
    for obj in gc.get_objects():
        if type(obj) is Texture or type(obj) is TextureRegion:
            base = getattr(obj, "owner", None) or obj     # a region: its atlas or image
            seen[id(base)] = tuple(base.size)
    kb = sorted((w * h * 4 // 1024 for w, h in seen.values()), reverse=True)
    return {"count": len(kb), "kb": sum(kb), "largest_kb": kb[:10]}
