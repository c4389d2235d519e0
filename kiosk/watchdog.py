"""systemd supervision: READY when the attract screen is drawn, WATCHDOG pings while the app lives.

kiosk.service is `Type=notify` with `WatchdogSec=`: systemd restarts the app when the pings stop.
A ping proves only that *some* thread of the process runs, so the pings come from one small
thread that sends them only while every watched thread (the Kivy thread, the controller thread)
has beaten recently. A hung UI thread or a controller stuck in a loop stops the pings; systemd
then kills and restarts the app (the terminal comes back to the attract screen).

The datagram protocol is sd_notify(3): `KEY=VALUE` lines to the AF_UNIX socket in $NOTIFY_SOCKET
(a leading '@' names an abstract socket). The sdnotify library does the sending. Outside systemd
(no NOTIFY_SOCKET: `kiosk demo`, tests) every call is a no-op.
UI-independent: no Kivy here; the UI hands in its beats through `Liveness.beat`.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping

log = logging.getLogger(__name__)

# How long a watched thread may stay silent before it counts as hung. The Kivy thread never does
# I/O (a frame is ~16 ms; the longest build of a screen measured well under a second). The
# controller thread does block on the hall: a GET with urllib3's retries is at most
# 3 x (3 s connect + 10 s read) plus backoff, so it gets a minute.
UI_STALL_S = 10.0
CONTROLLER_STALL_S = 60.0


class Notifier:
    """sd_notify over $NOTIFY_SOCKET, or nothing when the app is not run by systemd."""

    def __init__(self):
        self.socket_name = os.environ.get("NOTIFY_SOCKET", "")
        self._lock = threading.Lock()
        self._failed_once = False
        self._sd = None
        if self.socket_name:
            import sdnotify
            try:      # it reads $NOTIFY_SOCKET itself and turns a leading '@' into the abstract NUL
                self._sd = sdnotify.SystemdNotifier(debug=True)
                # READY is sent from the Kivy thread: a full socket queue must fail, never block it
                self._sd.socket.setblocking(False)
            except OSError as e:
                log.error("NOTIFY_SOCKET %s unusable (%s): systemd will not see READY", self.socket_name, e)

    @property
    def active(self) -> bool:
        return self._sd is not None

    def send(self, *lines: str) -> bool:
        if self._sd is None:
            return False
        with self._lock:
            try:
                self._sd.notify("\n".join(lines))
                self._failed_once = False
                return True
            except (OSError, UnicodeError) as e:   # sdnotify encodes latin-1: keep STATUS ASCII
                # systemd gone or restarting: say so once, keep trying (it may come back)
                if not self._failed_once:
                    log.warning("sd_notify failed: %s", e)
                    self._failed_once = True
                return False


def watchdog_interval_s(environ: Mapping[str, str] | None = None) -> float | None:
    """Half of WatchdogSec= (sd_watchdog_enabled(3) recommends pinging at half the timeout), or
    None when systemd did not ask for pings (or asked another process: WATCHDOG_PID)."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1e6 / 2


@dataclass
class _Watched:
    stall_s: float
    last: float


class Liveness:
    """When each watched thread last showed progress. `beat` is a dict store: cheap enough for
    every controller loop and every UI tick, safe from any thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._watched: dict[str, _Watched] = {}

    def watch(self, name: str, stall_s: float) -> None:
        """From now on `name` must beat at least every stall_s seconds (it counts as just beaten)."""
        with self._lock:
            self._watched[name] = _Watched(stall_s, self._clock())

    def beat(self, name: str) -> None:
        with self._lock:
            w = self._watched.get(name)
            if w is not None:
                w.last = self._clock()

    def hung(self) -> dict[str, float]:
        """Watched threads silent for longer than their stall_s: name -> seconds silent."""
        now = self._clock()
        with self._lock:
            return {n: now - w.last for n, w in self._watched.items() if now - w.last > w.stall_s}


class Supervisor:
    """READY / STATUS / STOPPING for systemd, and the watchdog thread that pings only while every
    watched thread is alive. Nothing happens without NOTIFY_SOCKET (and no pings without
    WATCHDOG_USEC) — the same code runs in the demo and the tests."""

    def __init__(self, notifier: Notifier, liveness: Liveness, interval_s: float | None,
                 clock: Callable[[], float] = time.monotonic):
        self.notifier = notifier
        self.liveness = liveness
        self.interval_s = interval_s
        self._clock = clock
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.pings = 0                 # sent so far (the technician menu / tests read it)
        self.withheld = 0              # intervals skipped because a thread was hung
        self.ready_at: float | None = None

    @classmethod
    def from_environment(cls, liveness: Liveness) -> "Supervisor":
        """$NOTIFY_SOCKET and $WATCHDOG_USEC as systemd set them."""
        return cls(Notifier(), liveness, watchdog_interval_s())

    def status(self, text: str) -> None:
        self.notifier.send(f"STATUS={text}")

    def ready(self, text: str = "serving: attract screen shown") -> None:
        """Start-up is complete (the attract screen is on the glass). Idempotent: the first call
        counts. systemd arms the watchdog only from here, so the pings start here too."""
        if self._ready.is_set():
            return
        self._ready.set()
        self.ready_at = self._clock()
        self.notifier.send("READY=1", f"STATUS={text}")
        log.info("supervision: ready%s", f", watchdog ping every {self.interval_s:.1f} s" if self.interval_s else "")
        if self.interval_s and self.notifier.active:
            self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
            self._thread.start()

    def stopping(self, text: str = "stopping") -> None:
        self._stop.set()
        self.notifier.send("STOPPING=1", f"STATUS={text}")

    def check_once(self) -> bool:
        """One watchdog round: ping if every watched thread is alive. True when pinged."""
        hung = self.liveness.hung()
        if hung:
            self.withheld += 1
            if self.withheld == 1:       # once per episode: the journal and `systemctl status` say which
                names = ", ".join(f"{n} silent {s:.0f} s" for n, s in sorted(hung.items()))
                log.error("watchdog: not pinging, hung thread(s): %s — systemd will restart the app", names)
                self.status(f"hung: {names}")
            return False
        if self.withheld:
            log.warning("watchdog: threads alive again after %d withheld ping(s)", self.withheld)
            self.withheld = 0
        if self.notifier.send("WATCHDOG=1"):
            self.pings += 1
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.check_once()
