"""ScanHintBar: one large sentence telling the person how to hold the code the camera sees but
cannot read (请把二维码拿近一些 ...). White on the dark 政务蓝 (about 10:1), bold, wrapped to the
bar's width, and gone -- no height, nothing drawn -- when there is nothing to say, so the screen
does not jump about for the hint's sake more than once. The kv sets `font_size` (sp(n) *
app.scale: 长者模式 makes it bigger like every other text) and `color: 1, 1, 1, 1` (common.kv's
<Label> rule, applied after a kv child's __init__, would make it dark on dark)."""
from __future__ import annotations

from kivy.graphics import Color, RoundedRectangle
from kivy.metrics import dp
from kivy.uix.label import Label

from screens import theme


class ScanHintBar(Label):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.bold = True
        self.halign, self.valign = "center", "middle"
        self.size_hint_y, self.height, self.opacity = None, 0, 0
        with self.canvas.before:
            Color(*theme.PRIMARY_DARK)
            self._bg = RoundedRectangle(radius=[dp(12)])
        self.bind(width=self._wrap, text=self._fit, texture_size=self._fit,
                  pos=self._draw, size=self._draw)

    def _wrap(self, *_):
        self.text_size = (max(1, self.width - dp(32)), None)

    def _fit(self, *_):
        shown = bool(self.text)
        self.opacity = 1 if shown else 0
        self.height = self.texture_size[1] + dp(28) if shown else 0

    def _draw(self, *_):
        self._bg.pos, self._bg.size = self.pos, self.size
