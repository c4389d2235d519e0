"""The real kiosk under a real X server, seen from outside the process as a person (or an X client
of the terminal) would: a Xvfb display of its own, `kiosk run` full-screen on it with simulated
devices and the embedded hall, screenshots of the root window, the window's X state.

Used by tests/e2e/test_escape_kiosk.py and tests/integration/test_watchdog_socket.py.
"""
from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1280, 800


class Xvfb:
    """Xvfb on a display number nobody uses: neither a lock file nor a socket (the abstract one
    included: a server whose /tmp files were cleaned away still listens there)."""

    def __init__(self, *server_args: str, width: int = WIDTH, height: int = HEIGHT):
        # No NOTIFY_SOCKET for the server: Debian's X servers speak sd_notify themselves and would
        # send their own READY=1 to a test's socket.
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        for _attempt in range(5):
            number = free_display_number()
            self.display = f":{number}"
            self.proc = subprocess.Popen(
                ["Xvfb", self.display, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset",
                 *server_args],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if wait_display(self.display, self.proc, 20):
                return
            self.stop()
        raise RuntimeError("Xvfb did not start (is the Debian package xvfb installed?)")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def free_display_number() -> int:
    used = Path("/proc/net/unix").read_text()
    for _ in range(200):
        n = random.randint(200, 2000)
        if not Path(f"/tmp/.X{n}-lock").exists() and f"/tmp/.X11-unix/X{n}\n" not in used:
            return n
    raise RuntimeError("no free X display number")


def wait_display(display: str, proc: subprocess.Popen | None, timeout_s: float) -> bool:
    """True once an X client can connect to display (False if proc died or time ran out)."""
    from Xlib import display as xdisplay
    from Xlib.error import DisplayError
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            xdisplay.Display(display).close()
            return True
        except DisplayError:
            time.sleep(0.1)
    return False


def kiosk_config(tmp: Path, fullscreen: bool = True, hall_url: str = "embedded") -> Path:
    """config/kiosk.toml (simulated devices, embedded hall) with its data in tmp, full-screen.
    hall_url: another hall instead of the embedded one (as a terminal in a hall has: the demo's
    embedded hall adds a web server's start-up to the kiosk's)."""
    text = (ROOT / "config" / "kiosk.toml").read_text("utf-8")
    if hall_url != "embedded":
        text = text.replace('url = "embedded"', f'url = "{hall_url}"\ntoken = "test-token"')
        assert hall_url in text
    text = text.replace('data_dir = "var/kiosk"', f'data_dir = "{tmp / "data"}"')
    text = text.replace("fullscreen = false", f"fullscreen = {'true' if fullscreen else 'false'}")
    assert str(tmp) in text and (not fullscreen or "fullscreen = true" in text)
    path = tmp / "kiosk.toml"
    path.write_text(text, "utf-8")
    return path


def start_kiosk(config: Path, display: str | None, log: Path, extra_env: dict | None = None) -> subprocess.Popen:
    """`kiosk run` exactly as kiosk.service starts it (the console script's module)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                        "KIVY_HOME")}
    if display:
        env["DISPLAY"] = display
    env.update(extra_env or {})
    return subprocess.Popen([sys.executable, "-m", "terminal.cli", "--config", str(config), "run"], cwd=ROOT,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


class Screen:
    """python-xlib view of one X display: the kiosk's window and pictures of the screen."""

    def __init__(self, display: str):
        from Xlib import display as xdisplay
        self.d = xdisplay.Display(display)
        self.root = self.d.screen().root

    def close(self) -> None:
        self.d.close()

    def kiosk_window(self):
        """The top-level window whose WM_NAME is the app's title, or None."""
        for w in self.root.query_tree().children:
            try:
                name = w.get_full_text_property(self.d.intern_atom("_NET_WM_NAME")) or w.get_wm_name()
            except Exception:  # a window that vanished meanwhile (X error): not ours
                continue
            if name and "便民服务自助终端" in str(name):
                return w
        return None

    def wait_window(self, timeout_s: float = 60):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            w = self.kiosk_window()
            if w is not None and w.get_attributes().map_state == 2:   # IsViewable
                return w
            time.sleep(0.2)
        raise AssertionError("the kiosk window never appeared")

    def window_state(self, w) -> dict:
        """Mapped, its geometry relative to the root, whether it covers the whole screen."""
        attrs = w.get_attributes()
        geo = w.get_geometry()
        pos = w.translate_coords(self.root, 0, 0)
        x, y = -pos.x, -pos.y
        sw, sh = self.root.get_geometry().width, self.root.get_geometry().height
        return {"viewable": attrs.map_state == 2, "x": x, "y": y, "width": geo.width, "height": geo.height,
                "fullscreen": (x, y, geo.width, geo.height) == (0, 0, sw, sh)}

    def top_window(self):
        """The top-most viewable child of the root (stacking order: last is on top)."""
        kids = [w for w in self.root.query_tree().children if w.get_attributes().map_state == 2]
        return kids[-1] if kids else None

    def shot(self) -> np.ndarray:
        """The whole screen as an RGB array (what the glass shows)."""
        from Xlib import X
        g = self.root.get_geometry()
        raw = self.root.get_image(0, 0, g.width, g.height, X.ZPixmap, 0xFFFFFFFF)
        a = np.frombuffer(raw.data, dtype=np.uint8).reshape(g.height, g.width, 4)
        return a[:, :, 2::-1].copy()          # BGRX -> RGB

    def delete_window(self, w) -> None:
        """What a window manager sends on a click on ✕ or Alt+F4: WM_PROTOCOLS / WM_DELETE_WINDOW."""
        from Xlib import X
        from Xlib.protocol import event
        protocols = self.d.intern_atom("WM_PROTOCOLS")
        delete = self.d.intern_atom("WM_DELETE_WINDOW")
        ev = event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        w.send_event(ev, event_mask=X.NoEventMask)
        self.d.flush()

    def net_close(self, w) -> None:
        """What `wmctrl -c` asks a window manager for (_NET_CLOSE_WINDOW to the root). With no window
        manager nobody acts on it — which is the point of running none."""
        from Xlib import X
        from Xlib.protocol import event
        ev = event.ClientMessage(window=w, client_type=self.d.intern_atom("_NET_CLOSE_WINDOW"),
                                 data=(32, [X.CurrentTime, 2, 0, 0, 0]))
        self.root.send_event(ev, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)
        self.d.flush()


def difference(a: np.ndarray, b: np.ndarray, threshold: int = 40) -> float:
    """Share of pixels that differ visibly (any channel by more than threshold)."""
    return float((np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > threshold).mean())


def save_png(a: np.ndarray, path: Path) -> None:
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)


@dataclass
class Note:
    t: float              # time.monotonic() on arrival (the same clock across processes)
    text: str


class NotifyListener:
    """A NOTIFY_SOCKET as systemd has one: an AF_UNIX datagram socket, by path or abstract ('@name')."""

    def __init__(self, name: str):
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + name[1:] if name.startswith("@") else name)
        self.sock.settimeout(0.1)
        self.notes: list[Note] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.notes.append(Note(time.monotonic(), data.decode("utf-8", "replace")))

    def lines(self, key: str) -> list[Note]:
        with self._lock:
            return [n for n in self.notes if any(line.startswith(key) for line in n.text.splitlines())]

    def wait_for(self, key: str, timeout_s: float) -> Note:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.lines(key)
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no {key} within {timeout_s} s; got {[n.text for n in self.notes]}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
