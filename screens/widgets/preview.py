"""The camera preview: the newest frame from the scanner, at most 10 per second, with a target
frame and a hint. Reading the frame is a non-blocking memory read (CodeScanner.latest_frame);
decoding happens on the scanner's own threads, never here.

Two textures take turns: writing into the texture the frame being drawn still uses makes the GL
driver wait for that frame to finish, and the whole UI waits with it. (Seen at its worst under
SDL's offscreen driver, which does not flush at a swap: 30-900 ms per upload for 2 ms of work;
under X with the same Mesa llvmpipe 1-9 ms.) The frame is also shrunk to the size it is shown at
(320x180 on the attract screen instead of the camera's 1280x720): less to upload, and two small
textures instead of one 3.6 MB one.
"""
from __future__ import annotations

import cv2
from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.graphics.texture import Texture
from kivy.uix.image import Image

PREVIEW_FPS = 10


class CameraPreview(Image):
    """`target`: "square" (a code: the middle of the frame) or "page" (a document: an A4 page,
    portrait, as tall as the picture) — where the user is asked to hold what the camera reads."""

    def __init__(self, frame_source, target: str = "square", **kw):
        super().__init__(fit_mode="contain", **kw)
        self._source = frame_source
        self._target_kind = target
        self._seq = -1
        self._event = None
        self._textures: list = [None, None]       # taking turns (see above)
        self._turn = 0
        with self.canvas.after:                   # the target frame users aim the code at
            # a page: amber, since white would vanish along the paper's own edge
            Color(*((1, 0.72, 0.1, 0.95) if target == "page" else (1, 1, 1, 0.9)))
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
        img = _shown_size(frame.image, self.width, self.height)
        h, w = img.shape[:2]
        self._turn ^= 1
        tex = self._textures[self._turn]
        if tex is None or tex.size != (w, h):
            tex = Texture.create(size=(w, h), colorfmt="bgr")
            tex.flip_vertical()                   # OpenCV rows run top-down, GL bottom-up
            self._textures[self._turn] = tex
        tex.blit_buffer(img.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.texture = tex
        if self._target_kind == "page":
            self._place_target()
        self.canvas.ask_update()

    def _place_target(self, *_) -> None:
        if self._target_kind == "page":
            # the picture as drawn (contain): a 16:9 frame inside this widget
            fw, fh = self.norm_image_size if self.texture is not None else (self.width, self.height)
            h = fh * 0.94
            w = min(h / 1.414, fw * 0.94)
            self._target.rectangle = (self.center_x - w / 2, self.center_y - h / 2, w, h)
            return
        side = min(self.width, self.height) * 0.6
        x, y = self.center_x - side / 2, self.center_y - side / 2
        self._target.rectangle = (x, y, side, side)


def _shown_size(img, width: float, height: float):
    """The frame shrunk to fit width x height (as drawn, "contain"), never enlarged: pixels the
    screen cannot show are not worth uploading. Unlaid-out (tiny) widgets get the frame as is."""
    h, w = img.shape[:2]
    if width < 32 or height < 32:
        return img
    scale = min(width / w, height / h)
    if scale >= 1:
        return img
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
