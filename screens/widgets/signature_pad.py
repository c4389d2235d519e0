"""Signature pad for the 申请人承诺: a white box with a baseline and a hint (请在此处签名) where the
applicant writes with a finger, and a big 重写 button that wipes it.

    pad = SignaturePad(on_stroke=lambda pad, sig: ..., on_clear=lambda pad: ...)
    pad.signature()          # kiosk.domain.signature.Signature of the strokes so far
    pad.strokes              # the same strokes: tuples of (x, y) in 0..1 of the box, y downwards
    pad.show(signature)      # draw a signature kept by the session (e.g. back from review)
    pad.reset()              # session wipe: no ink, no strokes, no event

`on_stroke(pad, signature)` fires when a finger is lifted (each finished stroke), `on_clear(pad)`
when 重写 is pressed. `scale` (长者模式) and `lang` follow the running app's `scale` and `lang`
when it has them (screens/app.py KioskApp), or can be set/bound by hand.

Touches: a touch that starts in the box is grabbed (it keeps drawing even if the finger slides
out; points are clamped to the box); touches that start outside are left to other widgets; while
one finger writes, a second one (a resting palm) is ignored. Ink is drawn live with
kivy.graphics Line, in chunks of CHUNK points so that a move only re-tessellates the last chunk.
The box should be about as wide as three times its height (the PNG is 600x200).
"""
from __future__ import annotations

import math
from pathlib import Path

from kivy.app import App
from kivy.graphics import Color, InstructionGroup, Line
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout

from kiosk.domain.signature import MAX_POINTS, MAX_STROKES, Signature
from screens.i18n import tr

INK = (0.05, 0.07, 0.12, 1)
PEN_DP = 2.0            # Line width (Kivy draws about twice this across)
MIN_STEP_DP = 1.5       # finer finger movement adds no point
CHUNK = 48              # points per Line: a move re-tessellates at most this many


class SignatureClearButton(Button):
    scale = NumericProperty(1.0)


class SignatureBox(FloatLayout):
    """The writing surface. Reports finished strokes to `pad` (a SignaturePad)."""

    pad = ObjectProperty(None, allownone=True)
    scale = NumericProperty(1.0)
    hint = StringProperty("")
    has_ink = NumericProperty(0)         # number of finished strokes (for the hint's fade)

    def __init__(self, **kw):
        super().__init__(**kw)
        self._ink = InstructionGroup()           # Lines only; their colour is set once here
        self.canvas.after.add(Color(*INK))
        self.canvas.after.add(self._ink)
        self._touch = None               # the touch now writing, if any
        self._points: list[tuple[float, float]] = []     # its normalised points
        self._lines: list[Line] = []     # its Line chunks (the last one grows)
        self._last_px: tuple[float, float] | None = None
        self._strokes: list[tuple] = []  # finished strokes, normalised
        self.bind(pos=self._redraw, size=self._redraw)

    # -- coordinates ----------------------------------------------------------------------
    def _clamped(self, x: float, y: float) -> tuple[float, float]:
        return (min(max(x, self.x), self.right), min(max(y, self.y), self.top))

    def _norm(self, x: float, y: float) -> tuple[float, float]:
        w, h = max(self.width, 1.0), max(self.height, 1.0)
        return (min(max((x - self.x) / w, 0.0), 1.0), min(max((self.top - y) / h, 0.0), 1.0))

    def _px(self, p: tuple[float, float]) -> tuple[float, float]:
        return (self.x + p[0] * self.width, self.top - p[1] * self.height)

    # -- touches ----------------------------------------------------------------------------
    def on_touch_down(self, touch):
        if self.disabled or not self.collide_point(*touch.pos) or touch.is_mouse_scrolling:
            return super().on_touch_down(touch)
        if self._touch is not None or len(self._strokes) >= MAX_STROKES:
            return True                  # a second finger or palm, or the pad is full: ignore
        touch.grab(self)
        self._touch = touch
        self._points = []
        self._lines = []
        self._last_px = None
        self._add_point(touch.x, touch.y, force=True)
        return True

    def on_touch_move(self, touch):
        if touch.grab_current is self:
            if touch is self._touch:
                self._add_point(touch.x, touch.y)
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch):
        if touch.grab_current is self:
            touch.ungrab(self)
            if touch is self._touch:
                self._add_point(touch.x, touch.y)
                self._finish_stroke()
            return True
        return super().on_touch_up(touch)

    def _add_point(self, x: float, y: float, force: bool = False) -> None:
        if len(self._points) >= MAX_POINTS:
            return
        x, y = self._clamped(x, y)
        if not force and self._last_px is not None and \
                math.hypot(x - self._last_px[0], y - self._last_px[1]) < dp(MIN_STEP_DP):
            return
        self._last_px = (x, y)
        self._points.append(self._norm(x, y))
        if not self._lines or len(self._lines[-1].points) >= 2 * CHUNK:
            # a new chunk starts where the last one ended, so the ink has no gap
            start = list(self._lines[-1].points[-2:]) if self._lines else []
            line = Line(points=start + [x, y], width=dp(PEN_DP), cap="round", joint="round")
            self._ink.add(line)
            self._lines.append(line)
        else:
            self._lines[-1].points += [x, y]

    def _finish_stroke(self) -> None:
        stroke = tuple(self._points)
        self._touch, self._points, self._lines, self._last_px = None, [], [], None
        if not stroke:
            return
        if len(stroke) == 1:              # a tap: draw it as a dot (a Line of one point is nothing)
            self._ink.add(Line(points=list(self._px(stroke[0])) * 2, width=dp(PEN_DP), cap="round"))
        self._strokes.append(stroke)
        self.has_ink = len(self._strokes)
        if self.pad is not None:
            self.pad._stroke_done(tuple(self._strokes))

    # -- whole-ink operations (rare: clear, show, resize) -----------------------------------
    def set_strokes(self, strokes) -> None:
        if self._touch is not None:
            self._touch.ungrab(self)
        self._touch, self._points, self._lines, self._last_px = None, [], [], None
        self._strokes = [tuple(s) for s in strokes][:MAX_STROKES]
        self.has_ink = len(self._strokes)
        self._redraw()

    def _redraw(self, *_a) -> None:
        self._ink.clear()
        for stroke in self._strokes:
            self._draw(stroke)
        if self._points:              # the finger is still down: its last chunk goes on growing
            self._lines = self._draw(self._points)[-1:]
            self._last_px = self._px(self._points[-1])

    def _draw(self, stroke) -> list[Line]:
        pts = [c for p in stroke for c in self._px(p)]
        if len(pts) == 2:
            pts *= 2                  # a dot
        lines = []
        for i in range(0, len(pts) - 2, 2 * CHUNK - 2):
            lines.append(Line(points=pts[i:i + 2 * CHUNK], width=dp(PEN_DP), cap="round", joint="round"))
            self._ink.add(lines[-1])
        return lines


class SignaturePad(BoxLayout):
    strokes = ListProperty([])           # finished strokes, each a tuple of (x, y), 0..1, y down
    scale = NumericProperty(1.0)         # 长者模式: app.scale
    lang = StringProperty("zh")
    __events__ = ("on_stroke", "on_clear")

    def __init__(self, follow_app: bool = True, **kw):
        super().__init__(**kw)
        app = App.get_running_app()
        if follow_app and app is not None:
            # bind() keeps weak references to bound methods (fbind() strong ones), so a dropped pad is not kept
            # alive by the app (a pad per visit must not grow memory)
            for name, handler in (("scale", self._app_scale), ("lang", self._app_lang)):
                if app.property(name, quiet=True) is not None:
                    setattr(self, name, getattr(app, name))
                    app.bind(**{name: handler})
        self.ids.box.pad = self

    def _app_scale(self, _app, value) -> None:
        self.scale = value

    def _app_lang(self, _app, value) -> None:
        self.lang = value

    def tr(self, text: str, lang: str) -> str:
        return tr(text, lang)

    @property
    def aspect(self) -> float:
        box = self.ids.box
        return box.width / box.height if box.width > 0 and box.height > 0 else 3.0

    def signature(self) -> Signature:
        return Signature(self.strokes, aspect=self.aspect)

    def show(self, signature: Signature | None) -> None:
        """Draw `signature` (or nothing) without firing events."""
        strokes = signature.strokes if signature is not None else ()
        self.ids.box.set_strokes(strokes)
        self.strokes = list(strokes)

    def reset(self) -> None:
        """Session wipe: the ink and the strokes go, no event fires."""
        self.show(None)

    def clear(self) -> None:
        """重写: wipe and tell the listener."""
        self.reset()
        self.dispatch("on_clear")

    def _stroke_done(self, strokes: tuple) -> None:
        self.strokes = list(strokes)
        self.dispatch("on_stroke", self.signature())

    def on_stroke(self, signature: Signature) -> None:
        pass

    def on_clear(self) -> None:
        pass


KV = Path(__file__).with_suffix(".kv")
if str(KV) not in Builder.files:
    Builder.load_file(str(KV))
