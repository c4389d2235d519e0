"""The systemd notify protocol over a real NOTIFY_SOCKET (an AF_UNIX datagram socket, as systemd
binds one; abstract '@' names too), from the real kiosk process:

- `kiosk run` on a real X server: READY=1 arrives once the attract screen is on the glass (a
  screenshot taken when READY arrives already shows it), WATCHDOG=1 every WatchdogSec/2, STOPPING=1
  and a clean exit on SIGTERM (what `systemctl stop` sends).
- the same runtime and app with a thread hung for real (tests/integration/watchdog_driver.py): the
  Kivy thread stuck in a frame, or the controller stuck in a hall call: the pings stop within one
  ping interval after the stall limit, and STATUS names the hung thread.
systemd itself is not PID 1 here, so nothing restarts the process: docs/reliability.md says what
was measured instead.
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.watchdog import Liveness, Supervisor, Notifier
from tests.e2e.x11_kiosk import (ROOT, NotifyListener, Screen, Xvfb, difference, kiosk_config, save_png,
                                 start_kiosk)

OUT = ROOT / "test-out" / "watchdog"


def _pings(listener: NotifyListener, after: float = 0.0, before: float = float("inf")) -> list[float]:
    return [n.t for n in listener.lines("WATCHDOG=1") if after <= n.t <= before]


# ---- the Supervisor with real threads, real socket (fast) ---------------------------------------

@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_pings_follow_live_threads_and_stop_for_a_hung_one(tmp_path, monkeypatch, abstract):
    name = f"@bianmin-test-{os.getpid()}-{abstract}" if abstract else str(tmp_path / "notify")
    listener = NotifyListener(name)
    monkeypatch.setenv("NOTIFY_SOCKET", name)
    live = Liveness()
    live.watch("ui", 0.3)
    live.watch("controller", 0.3)
    sup = Supervisor(Notifier(), live, interval_s=0.2)
    stop = {"ui": threading.Event(), "controller": threading.Event()}

    def worker(n):
        while not stop[n].wait(0.05):
            live.beat(n)
    for n in stop:
        threading.Thread(target=worker, args=(n,), daemon=True).start()
    try:
        sup.ready()
        ready = listener.wait_for("READY=1", 2)
        time.sleep(1.5)
        alive_pings = _pings(listener)
        stop["ui"].set()                 # the "UI thread" hangs
        hung_at = time.monotonic()
        time.sleep(1.5)
        after = _pings(listener, after=hung_at)
        status = listener.wait_for("STATUS=hung", 1)
    finally:
        sup.stopping()
        for e in stop.values():
            e.set()
        listener.close()
    gaps = [b - a for a, b in zip(alive_pings, alive_pings[1:])]
    assert len(alive_pings) >= 5 and alive_pings[0] >= ready.t
    assert 0.15 < statistics.median(gaps) < 0.3, gaps
    # the last ping comes at most stall (0.3) + one interval (0.2) after the hang
    assert not after or after[-1] - hung_at <= 0.3 + 0.2 + 0.1, (hung_at, after)
    assert "ui silent" in status.text and "controller" not in status.text


# ---- the real kiosk process ---------------------------------------------------------------------

def test_kiosk_run_sends_ready_after_the_attract_screen_then_pings_then_stopping(tmp_path):
    """`kiosk run` (full-screen, simulated devices, embedded hall) on Xvfb with a test socket."""
    x = Xvfb()
    listener = NotifyListener(f"@bianmin-kiosk-{os.getpid()}")
    proc = start_kiosk(kiosk_config(tmp_path), x.display, tmp_path / "kiosk.log",
                       {"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "1000000"})   # WatchdogSec=1s
    screen = Screen(x.display)
    started = time.monotonic()
    try:
        ready = listener.wait_for("READY=1", 90)
        at_ready = screen.shot()                        # what the glass shows when systemd hears READY
        time.sleep(3)
        later = screen.shot()
        OUT.mkdir(parents=True, exist_ok=True)
        save_png(at_ready, OUT / "at-ready.png")
        pings = _pings(listener)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        stopping = listener.wait_for("STOPPING=1", 2)
    finally:
        if proc.poll() is None:
            proc.kill()
        screen.close()
        listener.close()
        x.stop()
    statuses = listener.lines("STATUS=")
    assert statuses[0].text == "STATUS=starting: devices and hall" and statuses[0].t < ready.t
    assert len(listener.lines("READY=1")) == 1
    assert "STATUS=serving: attract screen shown" in ready.text
    # the attract screen was already drawn: the screen at READY is the screen 3 s later, not black
    assert at_ready.std() > 10 and difference(at_ready, later) < 0.01
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert pings and pings[0] > ready.t and len(pings) >= 4, pings
    assert 0.4 < statistics.median(gaps) < 0.65, gaps            # WATCHDOG_USEC / 2 = 0.5 s
    assert stopping.t > pings[-1] and code == 0
    print(f"READY {ready.t - started:.2f} s after start; median ping gap {statistics.median(gaps):.3f} s")


@pytest.mark.parametrize("hang", ["ui", "controller"])
def test_a_hung_thread_stops_the_pings(tmp_path, hang):
    stall_s, interval_s = 1.5, 0.5
    cfg = kiosk_config(tmp_path, fullscreen=False)
    listener = NotifyListener(str(tmp_path / "notify"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_VIDEODRIVER="offscreen", NOTIFY_SOCKET=listener.name, WATCHDOG_USEC=str(int(interval_s * 2e6)))
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "integration" / "watchdog_driver.py"), str(cfg),
                             hang, "3", str(stall_s)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=(tmp_path / "driver.log").open("wb"), text=True)
    try:
        listener.wait_for("READY=1", 90)
        line = proc.stdout.readline()                    # "HANG <name> <monotonic>"
        assert line.startswith(f"HANG {hang} "), line + (tmp_path / "driver.log").read_text()
        hung_at = float(line.split()[2])
        time.sleep(stall_s + interval_s + 3)
        status = listener.wait_for("STATUS=hung", 1)
        assert proc.poll() is None                       # alive but hung: only the pings tell
    finally:
        proc.kill()
        proc.wait(10)
        listener.close()
    before, after = _pings(listener, before=hung_at), _pings(listener, after=hung_at)
    assert len(before) >= 4, "no pings while everything was alive"
    last = (after or before)[-1]
    assert last - hung_at <= stall_s + interval_s + 0.3, f"pinged {last - hung_at:.2f} s after the hang"
    assert f"{hang} silent" in status.text
    print(f"{hang} hung: last ping {last - hung_at:+.2f} s after the hang, STATUS {status.text!r}")
