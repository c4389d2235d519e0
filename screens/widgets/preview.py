"""The camera preview: the newest frame from the scanner, at most 10 per second, with a target
frame and a hint. Reading the frame is a non-blocking memory read (CodeScanner.latest_frame);
decoding happens on the scanner's own threads, never here."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.graphics.texture import Texture
from kivy.uix.image import Image

PREVIEW_FPS = 10


class CameraPreview(Image):
    def __init__(self, frame_source, **kw):
        super().__init__(fit_mode="contain", **kw)
        self._source = frame_source
        self._seq = -1
        self._event = None
        with self.canvas.after:                   # the target frame users aim the code at
            Color(1, 1, 1, 0.9)
            self._target = Line(width=3)
        self.bind(pos=self._place_target, size=self._place_target)

    def start(self) -> None:
        if self._event is None and self._source is not None:
            self._event = Clock.schedule_interval(self._update, 1 / PREVIEW_FPS)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _update(self, _dt) -> None:
        frame = self._source()
        if frame is None or frame.seq == self._seq:
            return                                # nothing new: no redraw
        self._seq = frame.seq
        img = frame.image
        h, w = img.shape[:2]
        tex = self.texture
        if tex is None or tex.size != (w, h):
            tex = Texture.create(size=(w, h), colorfmt="bgr")
            tex.flip_vertical()                   # OpenCV rows run top-down, GL bottom-up
        tex.blit_buffer(img.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.texture = tex
        self.canvas.ask_update()

    def _place_target(self, *_) -> None:
        side = min(self.width, self.height) * 0.6
        x, y = self.center_x - side / 2, self.center_y - side / 2
        self._target.rectangle = (x, y, side, side)
