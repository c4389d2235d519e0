"""Escaping the kiosk (issue #12): the real `kiosk run`, full-screen on a real X server (Xvfb)
with no window manager — as on a terminal — gets every key, click and gesture a person at the
glass (or a keyboard left plugged in) could try, sent with xdotool through XTEST like real input.
After each: the process is alive, its window is mapped, full-screen and on top, and the screen
still shows the attract screen (a screenshot compared with the one taken before; each is saved
in test-out/escape/ for a person to look at).

The control test runs a stock Kivy app the same way: Escape closes it and F1 opens Kivy's
settings panel, so "nothing happened" to the kiosk means the input arrived and was refused.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.x11_kiosk import (ROOT, Screen, Xvfb, difference, kiosk_config, save_png, start_kiosk)

pytestmark = pytest.mark.e2e
OUT = ROOT / "test-out" / "escape"

# Keys a person could press on a keyboard left at (or plugged into) a terminal.
KEYS = ["Escape", "alt+F4", "ctrl+alt+BackSpace", *[f"F{i}" for i in range(1, 13)],
        "ctrl+e",                   # Kivy's inspector
        "alt+Tab", "super", "Menu", "alt+F2", "ctrl+alt+t", "ctrl+alt+Delete", "ctrl+alt+F1", "ctrl+alt+F2",
        "ctrl+q", "ctrl+w", "ctrl+c", "ctrl+z", "ctrl+backslash", "alt+space"]
PRESSES_PER_KEY = 2
EMPTY_SPOTS = [(150, 520), (1130, 520)]     # on the attract screen: no button there
SAME = 0.01             # at most 1 % of the pixels may differ (the header's clock turns over a minute)


def xdo(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, check=True, timeout=20)


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    if not all(map(_which, ("Xvfb", "xdotool"))):
        pytest.fail("Xvfb and xdotool are needed: make bootstrap installs them (Debian xvfb, xdotool)")
    tmp = tmp_path_factory.mktemp("escape")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    x = Xvfb()
    proc = start_kiosk(kiosk_config(tmp), x.display, tmp / "kiosk.log")
    screen = Screen(x.display)
    ctx = {"x": x, "proc": proc, "screen": screen, "log": tmp / "kiosk.log", "results": []}
    try:
        ctx["window"] = screen.wait_window(90)
        ctx["baseline"] = _settled(screen)
        save_png(ctx["baseline"], OUT / "00-attract.png")
        xdo(x.display, "mousemove", "640", "400")      # focus follows the pointer: no window manager
        yield ctx
    finally:
        (OUT / "results.json").write_text(json.dumps(ctx["results"], ensure_ascii=False, indent=1), "utf-8")
        screen.close()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        x.stop()


def _which(name: str) -> bool:
    from shutil import which
    return which(name) is not None


def _settled(screen: Screen, timeout_s: float = 30):
    """A screenshot once two in a row agree (the attract screen's first frames are drawn)."""
    deadline = time.monotonic() + timeout_s
    prev = screen.shot()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        cur = screen.shot()
        if difference(prev, cur) < 0.001 and cur.std() > 10:     # drawn, not a black window
            return cur
        prev = cur
    raise AssertionError("the kiosk window never settled")


def assert_still_kiosk(ctx, label: str, what: str, same_as_attract: bool = True):
    """The app lives, its window is mapped, full-screen and on top; the picture is the kiosk."""
    time.sleep(0.8)                      # a settings panel or a quit would be on screen by now
    proc, screen, w = ctx["proc"], ctx["screen"], ctx["window"]
    shot = screen.shot()
    n = len(ctx["results"]) + 1
    path = OUT / f"{n:02d}-{label}.png"
    save_png(shot, path)
    state = screen.window_state(w)
    diff = difference(ctx["baseline"], shot)
    top = screen.top_window()
    escaped = (proc.poll() is not None or not state["viewable"] or not state["fullscreen"]
               or top is None or top.id != w.id or (same_as_attract and diff >= SAME))
    ctx["results"].append({"try": what, "alive": proc.poll() is None, **state, "top": top is not None and top.id == w.id,
                           "differs_from_attract": round(diff, 4), "escaped": escaped, "screenshot": path.name})
    assert proc.poll() is None, f"{what}: the kiosk exited ({proc.returncode}); log {ctx['log']}"
    assert state["viewable"] and state["fullscreen"], f"{what}: window {state}"
    assert top is not None and top.id == w.id, f"{what}: another window is on top"
    if same_as_attract:
        assert diff < SAME, f"{what}: the screen changed ({diff:.1%} of pixels), see {path}"


@pytest.mark.parametrize("key", KEYS)
def test_keys_do_not_leave_the_kiosk(kiosk, key):
    for _ in range(PRESSES_PER_KEY):
        xdo(kiosk["x"].display, "key", key)
    assert_still_kiosk(kiosk, "key-" + key.replace("+", "-"), f"key {key} x{PRESSES_PER_KEY}")


def test_window_close_requests_are_refused(kiosk):
    screen, w = kiosk["screen"], kiosk["window"]
    screen.delete_window(w)             # a window manager's ✕ / Alt+F4: WM_DELETE_WINDOW
    assert_still_kiosk(kiosk, "wm-delete-window", "WM_DELETE_WINDOW client message")
    screen.net_close(w)                 # wmctrl -c: _NET_CLOSE_WINDOW (no window manager acts on it)
    assert_still_kiosk(kiosk, "net-close-window", "_NET_CLOSE_WINDOW to the root")
    log = kiosk["log"].read_text("utf-8", "replace")
    assert "window close refused" in log      # the close did reach the app, and was refused


def test_pointer_gestures_on_empty_glass_change_nothing(kiosk):
    d = kiosk["x"].display
    (x1, y1), (x2, y2) = EMPTY_SPOTS
    xdo(d, "mousemove", str(x1), str(y1), "click", "3")          # right click: Kivy would leave a red dot
    assert_still_kiosk(kiosk, "right-click", "right click")
    xdo(d, "mousemove", str(x2), str(y2), "click", "1")          # ...that a left click makes two fingers
    assert_still_kiosk(kiosk, "right-then-left-click", "right click then left click (multitouch emulation)")
    xdo(d, "mousemove", str(x1), str(y1), "mousedown", "3", "mousemove", str(x2), str(y2), "mouseup", "3")
    assert_still_kiosk(kiosk, "right-drag", "right-button drag (emulated two-finger gesture)")
    xdo(d, "mousemove", str(x1), str(y1), "mousedown", "1")
    time.sleep(2.5)                                               # long press
    xdo(d, "mouseup", "1")
    assert_still_kiosk(kiosk, "long-press", "long press 2.5 s")
    xdo(d, "click", "2")
    xdo(d, "click", "--repeat", "3", "4")
    xdo(d, "click", "--repeat", "3", "5")
    assert_still_kiosk(kiosk, "middle-click-scroll", "middle click, scroll up/down")
    xdo(d, "mousemove", str(x1), str(y1), "click", "--repeat", "5", "--delay", "80", "1")
    assert_still_kiosk(kiosk, "five-taps", "five quick taps")


def test_the_kiosk_still_serves_after_all_that(kiosk):
    """A tap on 游客 still opens the matter list: the input path works and the app is not wedged."""
    xdo(kiosk["x"].display, "mousemove", "640", "715", "click", "1")
    time.sleep(1.5)
    assert_still_kiosk(kiosk, "guest-tap", "tap on 游客 (must change the screen)", same_as_attract=False)
    shot = kiosk["screen"].shot()
    assert difference(kiosk["baseline"], shot) > 0.05, "a tap on 游客 did not reach the kiosk"
    assert not [r for r in kiosk["results"] if r["escaped"]]


def test_control_a_stock_kivy_app_does_leave(tmp_path):
    """The same input against Kivy's defaults: Escape quits, F1 shows the settings panel."""
    x = Xvfb()
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER",)}
    env.update(DISPLAY=x.display, KIVY_HOME=str(tmp_path / ".kivy"), KIVY_LOG_MODE="PYTHON")
    try:
        proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "e2e" / "stock_kivy_app.py"), "stock"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        screen = Screen(x.display)
        deadline = time.monotonic() + 90
        while screen.shot().max() == 0 and time.monotonic() < deadline:     # until its label is drawn
            time.sleep(0.3)
        time.sleep(1)
        before = screen.shot()
        xdo(x.display, "mousemove", "400", "300", "key", "F1")
        deadline = time.monotonic() + 20
        while difference(before, settings := screen.shot()) <= 0.03 and time.monotonic() < deadline:
            time.sleep(0.3)
        save_png(settings, OUT / "control-stock-kivy-F1.png")
        assert difference(before, settings) > 0.03, "F1 did not open the stock app's settings panel"
        xdo(x.display, "key", "Escape")       # closes the panel
        time.sleep(0.5)
        xdo(x.display, "key", "Escape")       # quits the app
        assert proc.wait(20) == 0
        screen.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        x.stop()


def test_full_screen_on_a_display_larger_than_the_configured_size(tmp_path):
    """kiosk.toml says 1280x800, the panel is 1920x1080 and no window manager runs: the window
    still covers the whole screen (SDL's full-screen alone left it 1280x800 in the middle)."""
    x = Xvfb(width=1920, height=1080)
    proc = start_kiosk(kiosk_config(tmp_path), x.display, tmp_path / "kiosk.log")
    screen = Screen(x.display)
    try:
        window = screen.wait_window(90)
        shot = _settled(screen)
        save_png(shot, OUT / "fullscreen-1920x1080.png")
        state = screen.window_state(window)
        assert state["fullscreen"] and (state["width"], state["height"]) == (1920, 1080), state
        assert shot[5:1075, 5:1915].std() > 10 and shot[540:, :].std() > 10     # drawn everywhere, not black
    finally:
        screen.close()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        x.stop()
