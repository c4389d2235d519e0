"""Attract / idle screen: invites the user to place the ID card."""
from kivy.animation import Animation

from kiosk.ports import DeviceState
from kiosk.session import BrowseAsGuest
from screens.base import KioskScreen, app, tr


class AttractScreen(KioskScreen):
    _preview = None

    def on_enter(self, *_):
        if self._preview is None and app().frame_source is not None:
            from screens.widgets.preview import CameraPreview
            self._preview = CameraPreview(app().frame_source, size_hint=(None, None), size=(320, 180))
            self.ids.preview_box.add_widget(self._preview)
        if self._preview is not None:
            self._preview.start()
        # A slow pulse on the prompt draws the eye from across the hall.
        self._pulse = Animation(opacity=0.45, duration=1.2) + Animation(opacity=1, duration=1.2)
        self._pulse.repeat = True
        self._pulse.start(self.ids.prompt)

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

    def browse_as_guest(self):
        self.post(BrowseAsGuest())
