"""The kiosk session we ship (deploy/session/, deploy/install-session.sh), checked for what can run
here: the units verify, the install lays every file down, and the session's own X launcher —
with Xvfb standing in for Xorg, which needs a GPU and a VT — gives a display that tells systemd
it is ready, refuses clients without the cookie, never blanks, shows no cursor; the real kiosk on
it survives the same keys, window closes and gestures as tests/e2e/test_escape_kiosk.py.

Not run here: Xorg itself on tty1, logind's session for the kiosk user (PAMName=login), the
DontZap/DontVTSwitch server flags (Xorg only: Xvfb has no VTs to switch to), cage.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e import test_escape_kiosk as esc
from tests.e2e.x11_kiosk import (ROOT, NotifyListener, Screen, free_display_number, kiosk_config, save_png,
                                 start_kiosk, wait_display)

SESSION = ROOT / "deploy" / "session"


def _verify(units: list[Path], unit_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze missing: install the Debian package systemd")
    proc = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True,
                          env={**os.environ, "SYSTEMD_UNIT_PATH": f"{unit_path}:"})
    out = proc.stdout + proc.stderr
    complaints = [l for l in out.splitlines() if any(u.name in l for u in units) or "Unknown" in l
                  or "10-session.conf" in l]
    assert proc.returncode == 0 and not complaints, out


def test_session_units_verify(tmp_path):
    """bianmin-x.service, and kiosk.service with the session drop-in, as installed."""
    (tmp_path / "kiosk.service.d").mkdir()
    for src, dst in [(SESSION / "bianmin-x.service", "bianmin-x.service"),
                     (ROOT / "systemd" / "kiosk.service", "kiosk.service"),
                     (SESSION / "kiosk-session.conf", "kiosk.service.d/10-session.conf")]:
        (tmp_path / dst).write_text(src.read_text("utf-8").replace("/opt/bianmin", str(ROOT)), "utf-8")
    _verify([tmp_path / "bianmin-x.service", tmp_path / "kiosk.service"], tmp_path)
    # a typo in the drop-in is caught too (the check can fail)
    bad = tmp_path / "kiosk.service.d" / "10-session.conf"
    bad.write_text(bad.read_text() + "BindReadOnlyPath=/tmp\n")
    with pytest.raises(AssertionError):
        _verify([tmp_path / "kiosk.service"], tmp_path)


def test_install_session_lays_every_file_down(tmp_path):
    app = tmp_path / "opt" / "bianmin"
    app.mkdir(parents=True)
    shutil.copytree(ROOT / "deploy", app / "deploy")
    (tmp_path / "etc" / "systemd" / "system").mkdir(parents=True)
    env = {**os.environ, "ROOT": str(tmp_path), "APP": "/opt/bianmin"}
    for _ in range(2):                                  # a second run (an upgrade) changes nothing
        proc = subprocess.run(["bash", str(ROOT / "deploy" / "install-session.sh")], env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    etc = tmp_path / "etc"
    system = etc / "systemd" / "system"
    for path, source in [(system / "bianmin-x.service", "bianmin-x.service"),
                         (system / "kiosk.service.d" / "10-session.conf", "kiosk-session.conf"),
                         (etc / "X11" / "xorg.conf.d" / "10-bianmin-kiosk.conf", "10-bianmin-kiosk.conf"),
                         (etc / "systemd" / "logind.conf.d" / "bianmin-kiosk.conf", "logind-bianmin-kiosk.conf"),
                         (etc / "sysctl.d" / "90-bianmin-kiosk.conf", "sysctl-bianmin-kiosk.conf")]:
        assert path.read_text() == (SESSION / source).read_text(), path
        assert path.stat().st_mode & 0o777 == 0o644
    assert os.readlink(system / "getty@tty1.service") == "/dev/null"
    assert os.readlink(system / "ctrl-alt-del.target") == "/dev/null"
    assert (system / "graphical.target.wants" / "bianmin-x.service").is_symlink()
    assert os.access(app / "deploy" / "session" / "bianmin-x", os.X_OK)


@pytest.fixture
def session_display(tmp_path, monkeypatch):
    """deploy/session/bianmin-x as bianmin-x.service runs it, with Xvfb in place of Xorg."""
    cookie = tmp_path / "Xauthority"
    listener = NotifyListener(str(tmp_path / "notify"))
    number = free_display_number()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WATCHDOG_USEC")}
    env.update(XAUTHORITY=str(cookie), BIANMIN_DISPLAY=f":{number}", BIANMIN_X_SERVER="Xvfb",
               BIANMIN_X_ARGS="-screen 0 1280x800x24", NOTIFY_SOCKET=listener.name)
    t = time.monotonic()
    server = subprocess.Popen([str(SESSION / "bianmin-x")], env=env, stdout=subprocess.DEVNULL,
                              stderr=(tmp_path / "x.log").open("wb"))
    try:
        ready = listener.wait_for("READY=1", 30)       # what makes bianmin-x.service "started"
        monkeypatch.setenv("XAUTHORITY", str(cookie))
        assert wait_display(f":{number}", server, 10)
        yield {"display": f":{number}", "cookie": cookie, "ready_s": ready.t - t, "server": server,
               "tmp": tmp_path}
    finally:
        listener.close()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_session_display_is_locked_down(session_display, monkeypatch):
    from Xlib import X, display as xdisplay
    from Xlib.error import DisplayError
    dpy = session_display["display"]
    assert session_display["cookie"].stat().st_mode & 0o777 == 0o600
    d = xdisplay.Display(dpy)
    try:
        assert d.get_screen_saver().timeout == 0                 # -s 0: never blanks (Xvfb's default: 600 s)
        if d.has_extension("DPMS"):                              # Xorg has it, Xvfb does not
            assert not d.dpms_info().state                       # -dpms: never powers the screen down
    finally:
        d.close()
    # What the server was started with (a cursor cannot be read back reliably through python-xlib)
    args = Path(f"/proc/{session_display['server'].pid}/cmdline").read_bytes().split(b"\0")
    for flag in (b"-nocursor", b"-dpms", b"-noreset", b"-auth"):
        assert flag in args, args
    assert args[args.index(b"-nolisten") + 1] == b"tcp" and args[args.index(b"-s") + 1] == b"0"
    monkeypatch.setenv("XAUTHORITY", str(session_display["tmp"] / "no-cookie"))
    with pytest.raises(DisplayError):                            # no cookie, no screen
        xdisplay.Display(dpy).close()


def test_escape_in_the_shipped_session(session_display, tmp_path):
    """The kiosk as kiosk.service + the session drop-in start it (DISPLAY, XAUTHORITY), then the
    escape tries; screenshots in test-out/escape/session-*.png."""
    dpy = session_display["display"]
    proc = start_kiosk(kiosk_config(tmp_path), dpy, tmp_path / "kiosk.log",
                       {"XAUTHORITY": str(session_display["cookie"])})
    screen = Screen(dpy)
    ctx = {"x": type("X", (), {"display": dpy}), "proc": proc, "screen": screen, "log": tmp_path / "kiosk.log",
           "results": []}
    try:
        ctx["window"] = screen.wait_window(90)
        ctx["baseline"] = esc._settled(screen)
        save_png(ctx["baseline"], esc.OUT / "session-00-attract.png")
        esc.xdo(dpy, "mousemove", "640", "400")
        for key in esc.KEYS:
            for _ in range(esc.PRESSES_PER_KEY):
                esc.xdo(dpy, "key", key)
            esc.assert_still_kiosk(ctx, "session-key-" + key.replace("+", "-"), f"session: key {key}")
        screen.delete_window(ctx["window"])
        esc.assert_still_kiosk(ctx, "session-wm-delete-window", "session: WM_DELETE_WINDOW")
        (x1, y1), (x2, y2) = esc.EMPTY_SPOTS
        esc.xdo(dpy, "mousemove", str(x1), str(y1), "click", "3", "mousemove", str(x2), str(y2), "click", "1")
        esc.assert_still_kiosk(ctx, "session-right-left-click", "session: right then left click")
        esc.xdo(dpy, "mousedown", "1")
        time.sleep(2.5)
        esc.xdo(dpy, "mouseup", "1")
        esc.assert_still_kiosk(ctx, "session-long-press", "session: long press")
        assert not [r for r in ctx["results"] if r["escaped"]]
    finally:
        screen.close()
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
