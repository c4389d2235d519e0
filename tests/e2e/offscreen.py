"""Set-up shared by the e2e drivers that run a Kivy window in their own process: SDL's
offscreen driver, a private KIVY_HOME, a 1280x800 window and the shipped CJK font. Call it
before anything imports kivy.app or kivy.core.window."""
from __future__ import annotations

import os
from pathlib import Path


def prepare_offscreen(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_HOME", str(out / ".kivy"))
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kivy.config import Config
    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    from screens.theme import register_font
    register_font()
