"""The signature pad in a real offscreen Kivy window (SDL offscreen, EGL/llvmpipe), written on with
simulated finger touches; the strokes it reports become the PNG (kiosk.domain.signature), which
OpenCV decodes here. Kivy opens one window per process, so this file is also the driver: pytest
runs it as a subprocess (`python tests/e2e/test_signature_pad.py OUT`).

For a person to look at: test-out/signature_pad.png (the pad with ink), test-out/signature.png (the
PNG that is uploaded), and test-out/signature/ (empty pad, after 重写, 长者模式 + English)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-out" / "signature"
PAD_SHOT = ROOT / "test-out" / "signature_pad.png"
SIG_PNG = ROOT / "test-out" / "signature.png"

# What the finger writes, in the box's normalised coordinates (y down): a rough 张三.
STROKES = [
    [(0.10, 0.20), (0.22, 0.20), (0.22, 0.42), (0.12, 0.42), (0.12, 0.68), (0.24, 0.68), (0.22, 0.74)],
    [(0.30, 0.14), (0.30, 0.74)],
    [(0.26, 0.40), (0.38, 0.40)],
    [(0.31, 0.42), (0.40, 0.70)],
    [(0.52, 0.22), (0.66, 0.22)],
    [(0.54, 0.44), (0.64, 0.44)],
    [(0.48, 0.70), (0.70, 0.70)],
]


# -- the tests (pytest process) ------------------------------------------------------------------
if __name__ != "__main__":
    import cv2
    import numpy as np
    import pytest

    from kiosk.domain.signature import Signature

    @pytest.fixture(scope="module")
    def run() -> dict:
        if OUT.exists():
            shutil.rmtree(OUT)
        for p in (PAD_SHOT, SIG_PNG):
            p.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(OUT / ".kivy"), KIVY_NO_ARGS="1")
        proc = subprocess.run([sys.executable, __file__, str(OUT)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
        res = json.loads((OUT / "results.json").read_text("utf-8"))
        assert "error" not in res, res.get("error")
        return res

    def _dist_to_polyline(p, poly) -> float:
        best = 9.0
        pts = poly if len(poly) > 1 else poly * 2
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            dx, dy = x1 - x0, y1 - y0
            t = max(0.0, min(1.0, ((p[0] - x0) * dx + (p[1] - y0) * dy) / ((dx * dx + dy * dy) or 1e-12)))
            best = min(best, ((p[0] - x0 - t * dx) ** 2 + (p[1] - y0 - t * dy) ** 2) ** 0.5)
        return best

    @pytest.mark.e2e
    def test_each_finished_stroke_is_reported_in_normalised_coordinates(run):
        strokes = run["strokes"]
        assert len(strokes) == len(STROKES)
        assert run["stroke_events"] == len(STROKES)
        for got, aimed in zip(strokes, STROKES):
            assert len(got) >= 2
            # every reported point lies on the line the finger followed (within 1 % of the box)
            assert max(_dist_to_polyline(p, aimed) for p in got) < 0.01, (got[:3], aimed)
            assert _dist_to_polyline(got[0], [aimed[0]]) < 0.01 and _dist_to_polyline(got[-1], [aimed[-1]]) < 0.01

    @pytest.mark.e2e
    def test_touches_outside_the_box_and_a_second_finger_draw_nothing(run):
        assert run["after_outside"] == 0
        assert run["second_finger_ignored"]

    @pytest.mark.e2e
    def test_a_finger_sliding_out_of_the_box_is_clamped(run):
        slid = run["slid_out"]
        assert all(0.0 <= v <= 1.0 for p in slid for v in p)
        assert max(p[0] for p in slid) == 1.0

    @pytest.mark.e2e
    def test_the_png_of_the_strokes_has_ink_where_the_finger_wrote(run):
        png = SIG_PNG.read_bytes()
        img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
        assert img is not None and img.shape == (200, 600) and img.dtype == np.uint8
        ink = img < 128
        assert ink.sum() > 1000
        assert run["reason"] is None                         # a plausible signature
        # the box (not 3:1 here) keeps its shape in the 600x200 image: full height, centred
        a = run["aspect"]
        assert 1.5 < a < 3
        left, scale = (599 - 199 * a) / 2, 199

        def img_px(x, y):
            return round(left + x * scale * a), round(y * scale)
        for stroke in STROKES:                               # ink at every aimed point
            for x, y in stroke:
                px, py = img_px(x, y)
                assert ink[max(py - 2, 0):py + 3, max(px - 2, 0):px + 3].any(), (x, y)
        assert not ink[:, img_px(0.75, 0)[0]:].any()         # nothing right of 三 (x > 0.75)
        assert not ink[:, :img_px(0.08, 0)[0]].any()         # nor left of 张 (x < 0.08)
        assert len(png) < 8000
        assert Signature(run["strokes"], aspect=run["aspect"]).to_png() == png

    @pytest.mark.e2e
    def test_the_pad_shows_the_ink_live(run):
        shot = cv2.imread(str(PAD_SHOT), cv2.IMREAD_GRAYSCALE)
        empty = cv2.imread(str(OUT / "01-empty.png"), cv2.IMREAD_GRAYSCALE)
        cleared = cv2.imread(str(OUT / "03-cleared.png"), cv2.IMREAD_GRAYSCALE)
        assert shot.shape == (800, 1280)
        bx, by, bw, bh = run["box"]                           # window coordinates, y up
        dark = 0
        for stroke in STROKES:
            for x, y in stroke:
                wx, wy = bx + x * bw, by + (1 - y) * bh
                r, c = round(800 - wy), round(wx)
                dark += shot[r - 2:r + 3, c - 2:c + 3].min() < 80
        assert dark == sum(len(s) for s in STROKES)
        assert (shot < 80).sum() > (empty < 80).sum() + 2000
        assert abs(int((cleared < 80).sum()) - int((empty < 80).sum())) < 50    # 重写 wiped the ink

    @pytest.mark.e2e
    def test_rewrite_button_wipes_and_show_restores(run):
        assert run["after_clear"] == {"strokes": 0, "clear_events": 1}
        assert run["after_show"] == len(STROKES)

    @pytest.mark.e2e
    def test_big_targets_and_no_overflow_in_both_modes(run):
        assert run["hanzi_differ"]
        for mode in ("normal", "elder_en"):
            m = run[mode]
            assert m["problems"] == [], (mode, m["problems"])
            assert m["button_dp"][0] >= 60 and m["button_dp"][1] >= 60, m
        assert run["elder_en"]["button_dp"][1] > run["normal"]["button_dp"][1]     # follows app.scale
        assert run["elder_en"]["button_text"] != run["normal"]["button_text"]      # follows app.lang

    @pytest.mark.e2e
    def test_a_dropped_pad_is_freed(run):
        assert run["dropped_pad_freed"]

    @pytest.mark.e2e
    def test_moves_are_cheap(run):
        ms = sorted(run["move_ms"])
        assert len(ms) > 50
        assert ms[int(len(ms) * 0.95)] < 3, ms[-10:]


# -- the driver (its own process, a real window) --------------------------------------------------
def _driver(out: Path) -> None:
    import threading
    import time
    import traceback

    sys.path.insert(0, str(ROOT))
    from tests.e2e.offscreen import prepare_offscreen
    prepare_offscreen(out)

    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.text import Label as CoreLabel
    from kivy.core.window import Window
    from kivy.metrics import dp
    from kivy.properties import NumericProperty, StringProperty
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label
    from kivy.uix.widget import Widget

    from kiosk.domain.signature import Signature
    from screens.autopilot import call_on_ui
    from screens.screenshot import save_window
    from screens.layout_check import layout_problems
    from screens.widgets import signature_pad as sp_mod
    from screens.widgets.signature_pad import SignaturePad

    class PadApp(App):
        scale = NumericProperty(1.0)       # as KioskApp: the pad follows these
        lang = StringProperty("zh")

        def build(self):
            root = BoxLayout(orientation="vertical", padding=dp(48), spacing=dp(16))
            root.add_widget(Label(text="申请人承诺：以上所填信息真实、有效。请签名确认。", font_size="30sp",
                                  size_hint_y=None, height=dp(56), color=(0.1, 0.12, 0.16, 1)))
            self.events = {"stroke": 0, "clear": 0}
            self.pad = SignaturePad(on_stroke=lambda _p, _s: self._count("stroke"),
                                    on_clear=lambda _p: self._count("clear"))
            root.add_widget(self.pad)
            root.add_widget(Widget(size_hint_y=None, height=dp(8)))
            Window.clearcolor = (0.96, 0.97, 0.99, 1)
            return root

        def _count(self, name):
            self.events[name] += 1

        def on_start(self):
            threading.Thread(target=self.script, daemon=True).start()

        # -- primitives (worker thread) --------------------------------------------------------
        def on_ui(self, fn):
            return call_on_ui(fn, 20)

        def box_px(self, x, y):
            b = self.pad.ids.box
            return b.x + x * b.width, b.y + (1 - y) * b.height

        def write(self, stroke, step_px=10.0, other=None):
            """A finger along the polyline `stroke` (normalised), a move every ~step_px."""
            pts = [self.box_px(*p) for p in stroke]
            path = [pts[0]]
            for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
                n = max(1, int(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 / step_px))
                path += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
            t = self.on_ui(lambda: self._down(*path[0]))
            for i, (x, y) in enumerate(path[1:]):
                self.on_ui(lambda x=x, y=y: t.touch_move(x, y))
                if other is not None and i == len(path) // 2:
                    other()
            self.on_ui(t.touch_up)
            time.sleep(0.05)

        def _down(self, x, y):
            t = UnitTestTouch(x, y)
            t.touch_down()
            return t

        def tap(self, widget_of):
            def down():
                w = widget_of()
                return self._down(*w.to_window(*w.center))
            t = self.on_ui(down)
            time.sleep(0.05)
            self.on_ui(t.touch_up)
            time.sleep(0.1)

        def shot(self, target: Path) -> str:
            time.sleep(0.2)
            return str(save_window(target))

        def measure(self):
            def run():
                btn = self.pad.ids.btn_rewrite
                return {"problems": layout_problems(self.pad),
                        "button_dp": [round(btn.width / dp(1)), round(btn.height / dp(1))],
                        "button_text": btn.text}
            return self.on_ui(run)

        def hanzi_differ(self):
            def run():
                pix = []
                for ch in "签名":
                    lab = CoreLabel(text=ch, font_size=40)
                    lab.refresh()
                    pix.append(bytes(lab.texture.pixels))
                return pix[0] != pix[1]
            return self.on_ui(run)

        # -- the script --------------------------------------------------------------------------
        def script(self):
            res: dict = {}
            try:
                time.sleep(0.6)
                res["hanzi_differ"] = self.hanzi_differ()
                res["normal"] = self.measure()
                self.shot(out / "01-empty.png")

                # a finger that starts outside the box (on the title) and slides in draws nothing
                title_y = self.on_ui(lambda: self.root.children[-1].center_y)
                t = self.on_ui(lambda: self._down(640, title_y))
                for k in range(10):
                    self.on_ui(lambda k=k: t.touch_move(640, title_y - 40 * k))
                self.on_ui(t.touch_up)
                res["after_outside"] = self.on_ui(lambda: len(self.pad.strokes))

                # time each move's handling (what a finger's move costs on the Kivy thread)
                timings = []
                box = self.pad.ids.box
                orig = box._add_point

                def timed(*a, **kw):
                    t0 = time.perf_counter()
                    orig(*a, **kw)
                    timings.append(round((time.perf_counter() - t0) * 1000, 3))
                box._add_point = timed

                second = {}

                def palm():
                    # a second finger inside the box while the first one writes: ignored
                    p = self.on_ui(lambda: self._down(*self.box_px(0.9, 0.9)))
                    self.on_ui(lambda: p.touch_move(*self.box_px(0.95, 0.5)))
                    self.on_ui(p.touch_up)
                    second["n"] = self.on_ui(lambda: len(self.pad.strokes))

                for i, stroke in enumerate(STROKES):
                    self.write(stroke, other=palm if i == 1 else None)
                res["second_finger_ignored"] = second.get("n") == 1
                res["move_ms"] = timings
                box._add_point = orig
                res["stroke_events"] = self.events["stroke"]
                res["strokes"] = self.on_ui(lambda: [list(map(list, s)) for s in self.pad.strokes])
                res["aspect"] = self.on_ui(lambda: self.pad.aspect)
                res["box"] = self.on_ui(lambda: [box.x, box.y, box.width, box.height])
                sig = self.on_ui(self.pad.signature)
                res["reason"] = sig.reason()
                SIG_PNG.write_bytes(sig.to_png())
                self.shot(PAD_SHOT)

                # 重写: by touch, as a person would
                self.tap(lambda: self.pad.ids.btn_rewrite)
                res["after_clear"] = {"strokes": self.on_ui(lambda: len(self.pad.strokes)),
                                      "clear_events": self.events["clear"]}
                self.shot(out / "03-cleared.png")

                # a finger sliding out of the right edge: clamped, still one stroke
                self.write([(0.80, 0.5), (1.30, 0.5)])
                res["slid_out"] = self.on_ui(lambda: [list(p) for p in self.pad.strokes[-1]])

                # the session shows a kept signature again (back from review)
                self.on_ui(lambda: self.pad.show(Signature(STROKES, aspect=res["aspect"])))
                res["after_show"] = self.on_ui(lambda: len(self.pad.strokes))

                # a pad made per visit and dropped is freed (the app holds no strong reference)
                def dropped_pad_is_freed():
                    import gc
                    import weakref
                    ref = weakref.ref(SignaturePad())
                    gc.collect()
                    return ref() is None
                res["dropped_pad_freed"] = self.on_ui(dropped_pad_is_freed)

                # 长者模式 + English: bigger button, English labels, nothing overflowing
                self.on_ui(lambda: (setattr(self, "scale", 1.25), setattr(self, "lang", "en")))
                time.sleep(0.3)
                res["elder_en"] = self.measure()
                self.shot(out / "04-elder-english.png")
                res["chunk"] = sp_mod.CHUNK
            except Exception:
                res["error"] = traceback.format_exc()
            (out / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), "utf-8")
            Clock.schedule_once(lambda _dt: self.stop())

    PadApp().run()


if __name__ == "__main__":
    _driver(Path(sys.argv[1]).resolve())
