"""Puts deliberately good and bad widgets in a real offscreen Kivy window and writes what
screens/layout_check.py says about each to OUT_DIR/results.json (plus a screenshot). Run by
tests/e2e/test_layout_check.py in its own process: Kivy opens one window per process.

    SDL_VIDEODRIVER=offscreen .venv/bin/python tests/e2e/layout_check_driver.py test-out/layout-check
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
from kivy.core.window import Window  # noqa: E402
from kivy.graphics import Color, Rectangle  # noqa: E402
from kivy.metrics import dp  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.button import Button  # noqa: E402
from kivy.uix.gridlayout import GridLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.textinput import TextInput  # noqa: E402

from screens import theme  # noqa: E402
from screens.layout_check import contrast_ratio, layout_problems  # noqa: E402
from screens.screenshot import save_window  # noqa: E402


def panel(rgba, *children, name=""):
    """A box that paints its background in canvas.before, as the .kv screens do."""
    box = BoxLayout(padding=dp(6))
    with box.canvas.before:
        Color(*rgba)
        rect = Rectangle(pos=box.pos, size=box.size)
    box.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))
    for c in children:
        box.add_widget(c)
    return box


def label(text, color, size_dp=26, bold=False):
    return Label(text=text, color=color, font_size=dp(size_dp), bold=bold)


# name -> (widget factory, expected: True = a contrast problem must be reported)
CASES = {
    "text_on_bg": (lambda: panel(theme.BG, label("正文 ok", theme.TEXT)), False),
    "grey_on_bg": (lambda: panel(theme.BG, label("浅灰字 low", (0.62, 0.64, 0.68, 1))), True),
    "white_on_header": (lambda: panel(theme.PRIMARY, label("白字蓝底", (1, 1, 1, 1))), False),
    "white_on_bg": (lambda: panel(theme.BG, label("白字白底", (1, 1, 1, 1))), True),
    "nested_nearest_wins": (lambda: panel(theme.BG, panel(theme.PRIMARY_DARK, label("内层深蓝", (1, 1, 1, 1)))),
                            False),
    "translucent_veil": (lambda: panel((1, 1, 1, 1), panel((0, 0, 0, 0.55), label("半透明黑上黑字", theme.TEXT))),
                         True),
    "own_canvas_before": (lambda: panel(theme.BG, _own_bg_label()), False),
    "flat_button_ok": (lambda: panel(theme.BG, Button(text="按钮", background_normal="",
                                                      background_color=theme.PRIMARY, color=(1, 1, 1, 1))), False),
    "flat_button_low": (lambda: panel(theme.BG, Button(text="浅按钮", background_normal="",
                                                       background_color=(0.55, 0.70, 0.95, 1),
                                                       color=(1, 1, 1, 1))), True),
    "disabled_button_exempt": (lambda: panel(theme.BG, Button(text="停用", background_normal="",
                                                              background_disabled_normal="", disabled=True,
                                                              background_color=theme.DISABLED,
                                                              disabled_color=(1, 1, 1, 1))), False),
    "large_3_to_1": (lambda: panel(theme.BG, label("大字 3.5:1", (0.47, 0.50, 0.55, 1), size_dp=32)), False),
    "large_bold_3_to_1": (lambda: panel(theme.BG, label("粗体 3.5:1", (0.47, 0.50, 0.55, 1), 24, True)), False),
    "small_3_to_1": (lambda: panel(theme.BG, label("小字 3.5:1", (0.47, 0.50, 0.55, 1), size_dp=26)), True),
    "hint_default_grey": (lambda: panel(theme.BG, TextInput(hint_text="例如 13912345678", font_size=dp(28),
                                                            background_normal="", background_active="")), True),
    "hint_muted": (lambda: panel(theme.BG, TextInput(hint_text="例如 13912345678", font_size=dp(28),
                                                     background_normal="", background_active="",
                                                     hint_text_color=theme.MUTED)), False),
}


def _own_bg_label():
    lab = label("自带底色", (1, 1, 1, 1))
    with lab.canvas.before:
        Color(*theme.ACCENT)
        rect = Rectangle(pos=lab.pos, size=lab.size)
    lab.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))
    return lab


def scrollview_observers() -> dict:
    """bar_color observers of a ScrollView after 50 scroll updates, with and without the fix."""
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget
    from screens import kivy_fixes

    def after_updates():
        sv = ScrollView(size=(200, 200))
        sv.add_widget(Widget(size_hint_y=None, height=1000))
        for i in range(50):
            sv.scroll_y = (i % 10) / 10
            sv.update_from_scroll()
        return len(sv.get_property_observers("bar_color"))
    out = {"kivy": after_updates()}
    kivy_fixes.apply()
    out["fixed"] = after_updates()
    return out


class CheckApp(App):
    def build(self):
        Window.clearcolor = theme.BG
        self.grid = GridLayout(cols=3, padding=dp(12), spacing=dp(12))
        self.cases = {}
        for name, (make, _bad) in CASES.items():
            w = make()
            self.cases[name] = w
            self.grid.add_widget(w)
        return self.grid

    def on_start(self):
        threading.Thread(target=self.run_script, daemon=True).start()

    def on_ui(self, fn):
        from screens.autopilot import call_on_ui
        return call_on_ui(fn, 20)

    def run_script(self):
        res = {}
        try:
            time.sleep(0.6)                      # first frames: layout done
            res["standard"] = self.on_ui(lambda: {n: layout_problems(w, elder=False) for n, w in self.cases.items()})
            res["elder"] = self.on_ui(lambda: {n: layout_problems(w, elder=True) for n, w in self.cases.items()})
            res["ratios"] = {"text_on_bg": contrast_ratio(theme.TEXT, theme.BG),
                             "black_white": contrast_ratio((0, 0, 0, 1), (1, 1, 1, 1))}
            res["expected"] = {n: bad for n, (_m, bad) in CASES.items()}
            res["shot"] = self.shot()
            res["scrollview_bar_observers"] = self.on_ui(scrollview_observers)
        except Exception:
            res["error"] = traceback.format_exc()
        (OUT / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=2), "utf-8")
        from kivy.clock import Clock
        Clock.schedule_once(lambda _dt: self.stop())

    def shot(self) -> str:
        return str(save_window(OUT / "contrast-cases.png"))


if __name__ == "__main__":
    CheckApp().run()
