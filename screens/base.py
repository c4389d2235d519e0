"""What every screen shares: it renders a controller snapshot and posts events. Nothing else."""
from __future__ import annotations

import time
from typing import Callable

from kivy.clock import Clock
from kiosk.clock import china_time
from kivy.metrics import sp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen


def app():
    from kivy.app import App
    return App.get_running_app()


def tr(text: str) -> str:
    """The UI string in the current language (screens/i18n.py)."""
    return app().tr(text)


def fs(size_sp: float) -> float:
    """A font size in pixels that follows 长者模式."""
    return sp(size_sp) * app().scale


class Header(BoxLayout):
    hall_name = StringProperty("")
    clock_text = StringProperty("")
    elder = BooleanProperty(False)
    TAPS, WINDOW_S = 5, 3.0              # the technician's hidden gesture: 5 taps on the hall name
    _taps: list = []

    def on_touch_down(self, touch):
        name = self.children[-1]         # the hall name label (first child)
        if name.collide_point(*touch.pos):
            now = time.monotonic()
            self._taps = [t for t in self._taps if now - t < self.WINDOW_S] + [now]
            if len(self._taps) >= self.TAPS:
                self._taps = []
                from kiosk.session import OpenTechnician
                app().controller.post(OpenTechnician())   # only the attract screen accepts it
        return super().on_touch_down(touch)

    def __init__(self, **kw):
        super().__init__(**kw)
        self._tick(0)
        Clock.schedule_interval(self._tick, 1.0)
        if app() is not None:            # the date's format follows a language switch at once
            app().bind(lang=lambda *_: self._tick(0))   # headers live as long as the app

    def _tick(self, _dt) -> None:
        self.clock_text = china_time(time.time()).strftime(tr("%m月%d日 %H:%M"))   # follows the language


class NoticeBar(BoxLayout):
    text = StringProperty("")


class KioskScreen(Screen):
    """Base of every screen. `post` sends an event to the controller (thread-safe)."""

    def __init__(self, post: Callable[[object], None], **kw):
        self.post = post
        self.dynamic = {}   # widgets built at run time (tiles, fields), by a stable name
        super().__init__(**kw)   # after: on_kv_post of a subclass may already use both

    def find(self, name: str):
        """A widget by id or dynamic name: how the autopilot and tests find what to tap."""
        return self.ids.get(name) or self.dynamic.get(name)

    def prepare(self, snap) -> None:
        """Build ahead, off screen, what this screen will show when the session comes here next
        (called a moment after the screen before it was drawn: the next touch then only shows it).
        Nothing by default."""

    def invalidate(self) -> None:
        """Language or 长者模式 changed: forget widgets built in Python so render rebuilds them."""

    def render(self, snap) -> None:
        """Show the snapshot. Called on the Kivy thread, only while this screen is current."""
        if "header" in self.ids:
            self.ids.header.hall_name = snap.hall_name
        if "notice" in self.ids:
            self.ids.notice.text = snap.notice
        if "header" in self.ids:
            self.ids.header.elder = snap.session.elder
