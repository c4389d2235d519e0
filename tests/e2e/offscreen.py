"""The e2e drivers that run a Kivy window in a process of their own: `run_driver` starts one
from a test and reads its results; `prepare_offscreen` is the driver's set-up (SDL's offscreen
driver, a private KIVY_HOME, a 1280x800 window and the shipped CJK font), called before
anything imports kivy.app or kivy.core.window."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_driver(script: str, out: Path, timeout_s: float = 90) -> dict:
    """Run tests/e2e/<script> with `out` as its output folder (emptied first); its results.json."""
    if out.exists():
        shutil.rmtree(out)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(out / ".kivy"), KIVY_NO_ARGS="1")
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "e2e" / script), str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    res = json.loads((out / "results.json").read_text("utf-8"))
    assert "error" not in res, res.get("error")
    return res


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
