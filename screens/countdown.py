"""The idle countdown over any screen: "您还在办理吗？" with 继续办理; at zero the controller wipes
the session. Shown and hidden from the snapshot's seconds_left."""
from kivy.properties import StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.session import KeepAlive
from screens.base import tr


class CountdownOverlay(FloatLayout):
    text = StringProperty("")

    def __init__(self, post, **kw):
        super().__init__(**kw)
        self.post = post
        self.show(None)

    active = False

    def show(self, seconds_left):
        self.active = seconds_left is not None
        self.opacity = 1 if self.active else 0
        if self.active:
            self.text = tr("{n} 秒后将自动退出，并清除您的信息").format(n=seconds_left)

    # Hidden: let every touch through to the screen. Shown: modal, the screen below gets none.
    def on_touch_down(self, touch):
        return super().on_touch_down(touch) or True if self.active else False

    def on_touch_move(self, touch):
        return super().on_touch_move(touch) or True if self.active else False

    def on_touch_up(self, touch):
        return super().on_touch_up(touch) or True if self.active else False

    def keep(self):
        self.post(KeepAlive())
