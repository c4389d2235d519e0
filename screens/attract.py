"""Attract / idle screen: invites the user to place the ID card."""
from kivy.animation import Animation

from kiosk.ports import DeviceState
from kiosk.session import BrowseAsGuest
from screens.base import KioskScreen, app, tr
from screens.widgets.scan_hint import ScanHintBar  # noqa: F401  (used by attract.kv)


PREVIEW_SIZE = (320, 180)      # the camera's picture, 16:9, at most this big


class AttractScreen(KioskScreen):
    _preview = None

    def on_enter(self, *_):
        if self._preview is None and app().frame_source is not None:
            from screens.widgets.preview import CameraPreview
            self._preview = CameraPreview(app().frame_source, size_hint=(None, None), size=PREVIEW_SIZE)
            self.ids.preview_box.add_widget(self._preview)
            self.ids.preview_box.bind(size=self._fit_preview)
            self._fit_preview(self.ids.preview_box, self.ids.preview_box.size)
        if self._preview is not None:
            self._preview.start()
        # A slow pulse on the prompt draws the eye from across the hall.
        self._pulse = Animation(opacity=0.45, duration=1.2) + Animation(opacity=1, duration=1.2)
        self._pulse.repeat = True
        self._pulse.start(self.ids.prompt)

    def _fit_preview(self, box, size):
        # The picture gives way (never grows) when the hint, 长者模式 or a message take the room.
        w, h = PREVIEW_SIZE
        scale = max(0.0, min(1.0, size[1] / h, size[0] / w))
        self._preview.size = (w * scale, h * scale)

    def on_leave(self, *_):
        if self._preview is not None:
            self._preview.stop()
        Animation.cancel_all(self.ids.prompt)
        self.ids.prompt.opacity = 1

    def render(self, snap):
        super().render(snap)
        reader = snap.devices.get("idcard")
        if snap.session.message:
            self.ids.device_hint.text = tr(snap.session.message)   # a card or code we could not use
        elif reader is not None and reader.state is not DeviceState.OK:
            self.ids.device_hint.text = tr("身份证阅读器暂不可用，请联系工作人员")
        else:
            self.ids.device_hint.text = ""
        # How to hold a code the camera sees but cannot read, next to the camera's picture.
        hint = snap.session.scan_hint
        self.ids.scan_hint.text = tr(hint.text) if hint is not None else ""

    def browse_as_guest(self):
        self.post(BrowseAsGuest())
