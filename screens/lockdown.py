"""Kivy settings that keep a person inside the kiosk. Kivy reads them when the window is created,
so `configure()` runs before the first `kivy.core.window` import (kiosk/cli.py `_prepare_kivy`).

What each one stops (tested by tests/e2e/test_escape_kiosk.py under a real X server):
- exit_on_escape = 0: Kivy's default quits on Escape.
- input mouse = mouse,disable_multitouch: without it a right click leaves a red dot that a second
  click turns into a two-finger gesture (Kivy's multitouch emulation).
- no [modules]: the inspector (Ctrl+E), keybinding (F11 rotate, F12 screenshot to the working
  directory — a picture of a citizen's form on disk), monitor, touchring and screen are only
  active when listed there, from a config.ini that a technician (or an old KIVY_HOME) left.
The Escape key, window close and F1 are handled in screens/app.py (KioskApp).
"""
from __future__ import annotations


def configure(config, fullscreen: bool) -> None:
    """config: kivy.config.Config, before the window exists."""
    config.set("kivy", "exit_on_escape", "0")
    config.set("kivy", "pause_on_minimize", "0")
    config.set("input", "mouse", "mouse,disable_multitouch")
    for name in list(config.options("modules")):
        config.remove_option("modules", name)
    if fullscreen:
        # A touchscreen terminal shows no pointer (the X server runs with -nocursor as well).
        config.set("graphics", "show_cursor", "0")
