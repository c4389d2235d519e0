"""A screenshot of the Kivy window exactly as drawn, taken from a worker thread (the autopilot,
the e2e drivers). Grabbing inside on_flip is reliable; between frames it returned black
(NOTES.md)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window


def save_window(target: Path, timeout_s: float = 20.0) -> Path:
    """Ask for a frame, grab it as it is flipped, and save it as `target` (PNG). Call it from a
    thread other than Kivy's: it waits for the frame. Raises TimeoutError if none is drawn."""
    done, result = threading.Event(), {}

    def on_flip(*_):
        Window.unbind(on_flip=on_flip)
        result["path"] = Window.screenshot(name=str(target))
        done.set()

    def arm(_dt):
        Window.bind(on_flip=on_flip)
        Window.canvas.ask_update()
    Clock.schedule_once(arm)
    if not done.wait(timeout_s):
        raise TimeoutError(f"no frame drawn for the screenshot {target.name}")
    os.replace(result["path"], target)      # Kivy appends a counter to the name; we want ours
    return Path(target)
