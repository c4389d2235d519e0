"""Attract / idle screen: invites the user to place the ID card."""
from kivy.animation import Animation

from kiosk.ports import DeviceState
from kiosk.session import BrowseAsGuest
from screens.base import KioskScreen, tr


class AttractScreen(KioskScreen):
    def on_enter(self, *_):
        # A slow pulse on the prompt draws the eye from across the hall.
        self._pulse = Animation(opacity=0.45, duration=1.2) + Animation(opacity=1, duration=1.2)
        self._pulse.repeat = True
        self._pulse.start(self.ids.prompt)

    def on_leave(self, *_):
        Animation.cancel_all(self.ids.prompt)
        self.ids.prompt.opacity = 1

    def render(self, snap):
        super().render(snap)
        reader = snap.devices.get("idcard")
        if reader is not None and reader.state is not DeviceState.OK:
            self.ids.device_hint.text = tr("身份证阅读器暂不可用，请联系工作人员")
        else:
            self.ids.device_hint.text = ""

    def browse_as_guest(self):
        self.post(BrowseAsGuest())
