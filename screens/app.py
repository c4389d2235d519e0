"""The Kivy application: one ScreenManager, one screen per state, the snapshot drives it.

Controller snapshots arrive on the controller thread; `_on_snapshot` hops to the Kivy thread
with Clock.schedule_once — the only way widgets are touched (ARCHITECTURE §5, threads).
"""
from __future__ import annotations

import collections
import logging
import signal
import threading
import time
from pathlib import Path
from typing import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from screens.attract import AttractScreen
from screens.done import DoneScreen
from screens.evaluate import EvaluateScreen
from screens.countdown import CountdownOverlay
from screens.credit import CreditReportScreen, CreditScreen
from screens.form import FormScreen
from screens.guide import GuideScreen
from screens.home import HomeScreen
from screens.i18n import tr
from screens import kivy_fixes
from screens.maintenance import MaintenanceScreen
from screens.materials import MaterialsScreen
from screens.matters import MattersScreen
from screens.review import ReviewScreen
from screens.sign import SignScreen
from screens.progress import ProgressDetailScreen, ProgressScreen
from screens.submitting import SubmittingScreen
from screens.tech import TechPinScreen, TechScreen
from screens.thanks import ThanksScreen
from screens.widgets.scrolling import after_next_frame

from kiosk import memory
from kiosk.session import Finish, KeepAlive

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SCREENS = {
    "attract": AttractScreen, "home": HomeScreen, "matters": MattersScreen, "guide": GuideScreen,
    "form": FormScreen, "materials": MaterialsScreen,
    "review": ReviewScreen, "sign": SignScreen, "submitting": SubmittingScreen, "done": DoneScreen,
    "evaluate": EvaluateScreen, "thanks": ThanksScreen,
    "progress": ProgressScreen, "progress_detail": ProgressDetailScreen,
    "credit": CreditScreen, "credit_report": CreditReportScreen,
    "tech_pin": TechPinScreen, "tech": TechScreen,
    "maintenance": MaintenanceScreen,
}
ESCAPE = 27
UI_TICK_S = 1.0         # the Kivy thread's liveness beat for the systemd watchdog (kiosk/watchdog.py)
# While a person fills in the form, the material list is built (#15: form->materials was among
# the slowest touches, ~45 ms of building and more to lay out). Tried and dropped (decisions 45,
# 47): the form built while the guide is read (it opened its error list scrolled past the first
# error in 2 of 5 soak visits, for ~50-100 ms saved); the matter tiles built on the attract screen
# (+8 MB of idle memory, for the first visit's home->matters only).
PREPARE_NEXT = {"form": "materials"}
PREPARE_DELAY_S = 0.4     # after the screen is drawn, before a person's next touch
TRIM_DELAY_S = 0.5      # after the wipe: the last visit's widgets are gone, their textures deleted a frame later


class KioskApp(App):
    title = "便民服务自助终端"
    lang = StringProperty("zh")          # kv texts are app.tr('中文', app.lang): they follow it
    scale = NumericProperty(1.0)         # kv sizes are sp(n) * app.scale: 长者模式 enlarges them
    ELDER_SCALE = 1.25                   # 26 sp body text becomes 32.5 sp (issue #7: >= 30 dp)

    def tr(self, text: str, lang: str | None = None) -> str:
        return tr(text, lang or self.lang)

    use_kivy_settings = False            # lock-down: no Kivy settings panel (F1 would open it)

    def __init__(self, controller, dock_actions=None, on_started: Callable[["KioskApp"], None] | None = None,
                 frame_source=None, on_alive: Callable[[], None] | None = None,
                 on_attract_drawn: Callable[[], None] | None = None, **kw):
        """on_alive: called every UI_TICK_S on the Kivy thread (the watchdog's UI beat);
        on_attract_drawn: once, after the first frame showing the attract screen (systemd READY)."""
        super().__init__(**kw)
        self._on_alive = on_alive
        self._on_attract_drawn = on_attract_drawn
        self.controller = controller
        self.frame_source = frame_source     # the scanner's latest_frame (None: no camera)
        self.dock_actions = dock_actions
        self._on_started = on_started
        self.rendered_seq = 0          # the last snapshot shown: the autopilot waits on it
        self.screen_log = collections.deque(maxlen=500)   # (monotonic, wall, screen): for make bench
        self.current_snapshot = None

    def build(self):
        kivy_fixes.apply()          # Kivy bugs worked around before any widget exists
        # one .kv beside each screen's .py (a module may hold two related screens)
        modules = dict.fromkeys(cls.__module__.rsplit(".", 1)[-1] for cls in SCREENS.values())
        for name in ("common", "countdown", *modules):
            Builder.load_file(str(HERE / f"{name}.kv"))
        self.sm = ScreenManager(transition=NoTransition())
        for name, cls in SCREENS.items():
            self.sm.add_widget(cls(post=self.controller.post, name=name))
        Window.bind(on_keyboard=self._on_keyboard, on_request_close=self._on_request_close)
        # Any touch anywhere means the user is still there (before widgets see it).
        Window.bind(on_touch_down=lambda *_: self.controller.post(KeepAlive()) and False)
        self.countdown = CountdownOverlay(self.controller.post)
        stage = FloatLayout()               # the screens, with the countdown drawn over them
        stage.add_widget(self.sm)
        stage.add_widget(self.countdown)
        if self.dock_actions is None:
            return stage
        from screens.devdock import DevDock
        root = BoxLayout()
        root.add_widget(stage)
        root.add_widget(DevDock(self.dock_actions))
        return root

    def on_start(self):
        # Load the pinyin index off the Kivy thread now, so the first keyboard opens without a hitch.
        from kiosk.domain.pinyin_ime import default_ime
        threading.Thread(target=default_ime, name="pinyin-index", daemon=True).start()
        self.controller.subscribe(self._on_snapshot)
        if self.controller.latest is not None:
            self._on_snapshot(self.controller.latest)
        if self._on_alive is not None:
            Clock.schedule_interval(lambda _dt: self._on_alive(), UI_TICK_S)
        if self._on_started:
            self._on_started(self)

    # -- lock-down: nothing a person can press or do leaves the kiosk (docs/reliability.md) ------
    def _on_keyboard(self, _window, key, *_args):
        # Kivy quits on Escape by default; on a kiosk no key may leave the user at a desktop.
        return key == ESCAPE

    def _on_request_close(self, *_args, **kwargs):
        # A window close (WM_DELETE_WINDOW, Alt+F4 through a window manager, Escape) is refused:
        # only app.stop() — the hall's restart command, SIGTERM from systemd — ends the app.
        log.info("window close refused (%s)", kwargs.get("source", "window manager"))
        return True

    def stop_on_signals(self, *signums) -> None:
        """SIGTERM (systemctl stop/restart) ends the app cleanly. SDL turns SIGTERM and SIGINT into a
        quit event, i.e. a window close, which the kiosk refuses: systemd would wait out
        TimeoutStopSec and SIGKILL it. Call after the window exists (SDL installs its handlers
        then; Python's replace them). The handler runs on this (the Kivy) thread."""
        def stop(signum, _frame):
            log.info("signal %d: stopping", signum)
            Clock.schedule_once(lambda _dt: self.stop())
        for signum in signums:
            signal.signal(signum, stop)

    def _install_settings_keys(self, window):
        # Kivy binds F1 to its settings panel here (App._on_keyboard_settings): not on a kiosk.
        pass

    def open_settings(self, *_args):
        return False            # the settings panel never opens (a second guard besides the key)

    def _prepare(self, name: str, snap) -> None:
        """Build the next screen ahead, unless the session has moved on meanwhile."""
        if snap.seq != self.rendered_seq:
            return
        try:
            self.sm.get_screen(name).prepare(snap)
        except Exception:   # building ahead is an optimisation: the screen builds itself when shown
            log.exception("preparing %s failed", name)

    def _attract_shown(self):
        """The attract screen was just rendered: once its frame has been drawn and swapped, say so
        (systemd READY). on_flip fires after the draw; the next clock tick is after the swap."""
        callback, self._on_attract_drawn = self._on_attract_drawn, None
        after_next_frame(lambda: Clock.schedule_once(lambda _dt: callback()))

    def _on_snapshot(self, snap):
        Clock.schedule_once(lambda _dt: self._render(snap))

    def _render(self, snap):
        if snap.seq < self.rendered_seq:
            return                      # an older snapshot scheduled late: never go backwards
        if snap.screen == "attract":
            for screen in self.sm.screens:   # privacy: nothing of the last user stays in a widget
                wipe = getattr(screen, "wipe", None)
                if wipe:
                    wipe()
            if self.current_snapshot is None or self.current_snapshot.screen != "attract":
                # At start and once per visit, off this thread, while nobody is using the terminal:
                # a full garbage collection whose survivors are frozen (so the collections during
                # the next visit skip them, and stay off its touches: decision 47), then glibc's
                # malloc_trim hands freed native heap back (issue #7 soak: RSS grew in glibc's
                # arenas -- llvmpipe, SDL text surfaces, camera frames; 50 visits: 840 -> 664 MB).
                memory.tidy_soon(TRIM_DELAY_S)
        lang, scale = snap.session.lang, self.ELDER_SCALE if snap.session.elder else 1.0
        if (lang, scale) != (self.lang, self.scale):
            self.lang, self.scale = lang, scale
            for screen in self.sm.screens:
                screen.invalidate()         # widgets built in Python are rebuilt in the new size/language
        self.sm.current = snap.screen
        self.countdown.show(snap.seconds_left)
        try:
            self.sm.current_screen.render(snap)
        except Exception:   # a rendering bug must not freeze the terminal: log, reset the session
            log.exception("render of %s failed", snap.screen)
            self.controller.post(Finish())
        self.current_snapshot = snap
        self.rendered_seq = snap.seq
        following = PREPARE_NEXT.get(snap.screen)
        if following is not None:
            Clock.schedule_once(lambda _dt: self._prepare(following, snap), PREPARE_DELAY_S)
        self.screen_log.append((time.monotonic(), time.time(), snap.screen))
        if snap.screen == "attract" and self._on_attract_drawn is not None:
            self._attract_shown()
