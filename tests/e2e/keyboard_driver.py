"""Drives the on-screen keyboard in a real offscreen Kivy window as a person would: touches at
the keys' window positions, then reads what landed in the TextInput. Writes results.json and
screenshots to OUT_DIR; tests/e2e/test_keyboard.py judges them. It runs as its own process
because Kivy opens one window per process and other e2e tests share pytest's.

    SDL_VIDEODRIVER=offscreen .venv/bin/python tests/e2e/keyboard_driver.py test-out/keyboard
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

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.text import Label as CoreLabel  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.metrics import dp  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.textinput import TextInput  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from screens.screenshot import save_window  # noqa: E402
from screens.widgets.keyboard import KbCandidate, KbKey, Keyboard  # noqa: E402

TAP_S = 0.12


def contrast(fg, bg) -> float:
    """WCAG contrast ratio of two RGB(A) colours."""
    def lum(c):
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


class KeyboardApp(App):
    def build(self):
        root = BoxLayout(orientation="vertical", padding=dp(24), spacing=dp(12))
        root.add_widget(Label(text="键盘测试：请填写地址和电话", font_size="30sp", size_hint_y=None, height=dp(48),
                              color=(0.1, 0.12, 0.16, 1)))
        self.address = TextInput(font_size="28sp", size_hint_y=None, height=dp(64), multiline=False)
        self.phone = TextInput(font_size="28sp", size_hint_y=None, height=dp(64), multiline=False,
                               input_filter="int")
        root.add_widget(self.address)
        root.add_widget(self.phone)
        root.add_widget(Widget())
        self.kb = Keyboard(target=self.address, mode="pinyin")
        self.done_count = 0
        self.kb.bind(on_done=lambda _kb: setattr(self, "done_count", self.done_count + 1))
        root.add_widget(self.kb)
        Window.clearcolor = (0.96, 0.97, 0.99, 1)
        return root

    def on_start(self):
        threading.Thread(target=self.run_script, daemon=True).start()

    # -- primitives (worker thread) ------------------------------------------------------------
    def on_ui(self, fn):
        from screens.autopilot import call_on_ui
        return call_on_ui(fn, 20)

    def touch(self, widget_of) -> None:
        """Touch the centre of the widget `widget_of()` returns, down then up, as a finger does."""
        def down():
            w = widget_of()
            x, y = w.to_window(*w.center)
            t = UnitTestTouch(x, y)
            t.touch_down()
            return t
        t = self.on_ui(down)
        time.sleep(0.04)
        self.on_ui(t.touch_up)
        time.sleep(TAP_S)

    def key(self, key: str) -> None:
        self.touch(lambda: self.kb.keys[key])

    def type(self, letters: str) -> None:
        for ch in letters:
            self.key(ch)

    def candidate(self, text: str) -> None:
        """Tap candidate `text`, paging right through the bar until it shows (as a person would)."""
        for _ in range(10):
            shown = self.on_ui(lambda: [c.text for c in self.kb.shown_candidates])
            if text in shown:
                self.touch(lambda: next(c for c in self.kb.shown_candidates if c.text == text))
                return
            self.touch(lambda: self.kb.ids.page_next)
        raise RuntimeError(f"candidate {text} not found in 10 pages")

    def shot(self, name: str) -> str:
        time.sleep(0.2)
        return str(save_window(OUT / f"{name}.png"))

    def state(self) -> dict:
        return self.on_ui(lambda: {
            "composition": self.kb.composition, "shown": [c.text for c in self.kb.shown_candidates],
            "first": self.kb.candidates[0].text if self.kb.candidates else None,
            "address": self.address.text, "phone": self.phone.text,
            "bar": self.kb.ids.composition.text, "mode": self.kb.mode})

    def measure(self) -> dict:
        """Sizes in dp of every key and candidate, and labels wider than their key."""
        def run():
            # what a person can see: the paging keys are hidden (opacity 0, width 0) outside 拼音
            widgets = [w for w in self.kb.walk() if isinstance(w, (KbKey, KbCandidate)) and w.opacity > 0]
            small = [(w.text, round(w.width / dp(1)), round(w.height / dp(1))) for w in widgets
                     if w.width < dp(60) or w.height < dp(60)]
            overflow = []
            for w in widgets:
                lab = CoreLabel(text=w.text, font_size=w.font_size, bold=w.bold)
                lab.refresh()
                if lab.texture.size[0] > w.width or lab.texture.size[1] > w.height:
                    overflow.append(w.text)
            low_contrast = [(w.text, round(contrast(w.color, w.background_color), 2)) for w in widgets
                            if not w.disabled and contrast(w.color, w.background_color) < 4.5]
            inside = self.kb.x >= 0 and self.kb.right <= Window.width and self.kb.y >= 0 and self.kb.top <= Window.height
            return {"keys": len(widgets), "small": small, "overflow": overflow, "inside_window": inside,
                    "low_contrast": low_contrast,
                    "height_dp": round(self.kb.height / dp(1))}
        return self.on_ui(run)

    def hanzi_differ(self) -> bool:
        """No tofu: with the CJK font two different hanzi render differently."""
        def run():
            pix = []
            for ch in "公司":
                lab = CoreLabel(text=ch, font_size=40)
                lab.refresh()
                pix.append(bytes(lab.texture.pixels))
            return pix[0] != pix[1]
        return self.on_ui(run)

    # -- the script ----------------------------------------------------------------------------
    def run_script(self) -> None:
        res: dict = {"shots": []}
        try:
            time.sleep(0.5)                          # first frames, layout
            res["hanzi_differ"] = self.hanzi_differ()
            timings: list[float] = []
            orig = self.kb.press

            def timed_press(key, _orig=orig):
                t0 = time.perf_counter()
                _orig(key)
                timings.append((round((time.perf_counter() - t0) * 1000, 2), key))
            self.kb.press = timed_press

            self.type("gongsi")
            res["after_gongsi"] = self.state()
            res["shots"].append(self.shot("01-pinyin-gongsi"))
            res["sizes"] = self.measure()
            self.touch(lambda: self.kb.shown_candidates[0])   # the first candidate
            res["after_choose_first"] = self.state()

            self.type("hubeisheng")
            res["after_hubeisheng"] = self.state()
            self.candidate("湖北")                            # uses only "hubei"
            res["after_hubei"] = self.state()
            res["shots"].append(self.shot("02-pinyin-partial-sheng"))
            self.candidate("省")
            res["after_sheng"] = self.state()

            self.type("shi")
            self.key("DEL")                                   # deletes the letter i, not text
            res["after_del_letter"] = self.state()
            self.key("DEL")
            self.key("DEL")
            self.key("DEL")                                   # bar empty: deletes 省 from the field
            res["after_del_text"] = self.state()

            self.type("zh")
            self.touch(lambda: self.kb.ids.page_next)
            res["page2"] = self.state()
            self.touch(lambda: self.kb.ids.page_prev)
            res["page1"] = self.state()
            self.key("CLEAR")
            res["after_clear"] = self.state()

            self.on_ui(lambda: self.kb.attach(self.phone, mode="numeric"))
            res["shots"].append(self.shot("03-numeric"))
            res["sizes_numeric"] = self.measure()
            self.type("139")
            self.key("-")                                     # refused by the field's input_filter
            self.type("0")
            res["after_digits"] = self.state()

            self.key("MODE_letters")
            self.on_ui(lambda: self.kb.attach(self.address))
            self.type("ab1")                                  # 1 from the digit keys in the bar
            res["shots"].append(self.shot("04-letters"))
            res["sizes_letters"] = self.measure()
            self.key("CASE")
            self.type("c")
            res["after_letters"] = self.state()

            self.key("MODE_pinyin")
            self.type("xyz")                                  # no hanzi: 完成 types the letters
            self.key("DONE")
            res["after_done"] = self.state()
            res["done_count"] = self.done_count

            # 长者模式 + English: bigger text, longer labels; nothing may overflow its key.
            self.on_ui(lambda: (setattr(self.kb, "scale", 1.25), setattr(self.kb, "lang", "en")))
            self.type("gongsi")
            res["shots"].append(self.shot("05-pinyin-elder-english"))
            res["sizes_elder_en"] = self.measure()
            self.key("SPACE")                                 # 空格 takes the first candidate
            res["after_space"] = self.state()
            res["press_ms"] = sorted(timings)
        except Exception:
            res["error"] = traceback.format_exc()
        (OUT / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), "utf-8")
        Clock.schedule_once(lambda _dt: self.stop())


if __name__ == "__main__":
    KeyboardApp().run()
