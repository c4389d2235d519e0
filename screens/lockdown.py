"""Kivy settings that keep a person inside the kiosk. Kivy reads them when the window is created,
so `configure()` runs before the first `kivy.core.window` import (terminal/cli.py `_prepare_kivy`).

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



def desktop_size() -> tuple[int, int] | None:
    """The first display's size as SDL sees it (SDL_GetDesktopDisplayMode; Kivy does not expose
    it), before any window exists, or None. SDL_Init is reference-counted: Kivy's own init later
    finds the video subsystem up."""
    import ctypes
    import glob
    import os

    import kivy
    libs = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(kivy.__file__)), "Kivy.libs", "libSDL2-2*.so*")))
    try:   # the copy Kivy links to (same soname: the loader hands Kivy this one), else the system's
        sdl = ctypes.CDLL(libs[0] if libs else "libSDL2-2.0.so.0")
    except OSError:
        return None

    class DisplayMode(ctypes.Structure):
        _fields_ = [("format", ctypes.c_uint32), ("w", ctypes.c_int), ("h", ctypes.c_int),
                    ("refresh_rate", ctypes.c_int), ("driverdata", ctypes.c_void_p)]
    SDL_INIT_VIDEO = 0x20
    mode = DisplayMode()
    if sdl.SDL_InitSubSystem(SDL_INIT_VIDEO) != 0:
        return None
    if sdl.SDL_GetDesktopDisplayMode(0, ctypes.byref(mode)) != 0 or mode.w <= 0 or mode.h <= 0:
        return None
    return mode.w, mode.h


def cover_display(config) -> tuple[int, int] | None:
    """Full-screen with no window manager: a borderless window at 0,0 the display's size.
    SDL's full-screen asks a window manager (_NET_WM_STATE_FULLSCREEN); the kiosk session runs
    none, so on a 1920x1080 screen the window stayed 1280x800 in the middle of a black screen
    while Kivy believed it was full-screen (measured under Xvfb, and under cage). Call before the
    window exists, after the configured width/height are set. Returns the size, or None (unknown
    display size: SDL's full-screen is left to try)."""
    size = desktop_size()
    if size is None:
        config.set("graphics", "fullscreen", "auto")
        return None
    config.set("graphics", "fullscreen", "0")
    config.set("graphics", "borderless", "1")
    config.set("graphics", "position", "custom")
    config.set("graphics", "left", "0")
    config.set("graphics", "top", "0")
    config.set("graphics", "width", str(size[0]))
    config.set("graphics", "height", str(size[1]))
    return size
