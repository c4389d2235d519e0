"""The crash and outage soak (issue #12): a real hall process, a real kiosk process, a TCP proxy
between them that the driver controls, and SIGKILL at chosen and random points.

    hall:   `python -m hall.cli serve` on 127.0.0.1 (SQLite file), stopped and started at random
    proxy:  in this process; the kiosk's hall URL points at it. It forwards HTTP requests one by
            one and can be armed to kill the kiosk (a) before forwarding an application/material
            request, (b) half-way through its body, or (c) after the hall has answered but before
            the reply is passed on — the hall committed, the kiosk never heard.
    kiosk:  `python -m terminal.soak_runner` (terminal/soak_runner.py): the production runtime with
            simulated devices, walked through visits; it prints what the screen showed.

After the last kill the kiosk is started once more to drain its outbox, then the hall's database
is read: every visit that showed 提交成功 or 待上传 must be there exactly once with its two photos
and the signature; no visit the person never confirmed may be there; nothing may be rejected.
`run_soak()` returns the figures and the list of violations (empty = passed).
"""
from __future__ import annotations

import json
import os
import random
import re
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
TERMINAL = "T-SOAK-01"
EXPECTED_MATERIALS = {"cdqz", "xgt", "signature"}
KILL_MODES = ("random", "sqlite", "http-before", "http-partial", "after-commit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the hall -------------------------------------------------------------------------------

class HallProcess:
    def __init__(self, work: Path):
        self.work = work
        self.port = free_port()
        self.config = work / "hall.toml"
        self.db_path = work / "hall.db"
        self.config.write_text(
            f'host = "127.0.0.1"\nport = {self.port}\ndatabase_url = "sqlite:///{self.db_path}"\n'
            f'catalog_dir = "{REPO / "config" / "catalog"}"\nhall_name = "浸泡测试服务中心"\n'
            f'holidays_dir = "{REPO / "config" / "holidays"}"\nheartbeat_interval_s = 5\n', "utf-8")
        self.proc: subprocess.Popen | None = None
        self.log = open(work / "hall.log", "ab")

    def enrol(self) -> str:
        subprocess.run([PY, "-m", "hall.cli", "db", "upgrade", "--config", str(self.config)], cwd=REPO,
                       capture_output=True, check=True)
        out = subprocess.run([PY, "-m", "hall.cli", "terminal", "add", "--config", str(self.config),
                              "--name", "浸泡测试机", "--location", "测试", "--id", TERMINAL],
                             cwd=REPO, capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self, timeout: float = 60.0) -> float:
        t0 = time.monotonic()
        self.proc = subprocess.Popen([PY, "-m", "hall.cli", "serve", "--config", str(self.config)], cwd=REPO,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                code, self.proc = self.proc.returncode, None
                raise RuntimeError(f"hall exited with {code}; see {self.work / 'hall.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("hall did not answer /healthz")

    def stop(self, crash: bool) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL if crash else signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    @property
    def up(self) -> bool:
        return self.proc is not None


# ---- the proxy --------------------------------------------------------------------------------

def _read_head(sock: socket.socket, buf: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    del buf[:end]
    return head


def _read_body(sock: socket.socket, buf: bytearray, n: int) -> bytes:
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        buf += chunk
    body = bytes(buf[:n])
    del buf[:n]
    return body


def _idle_until_request(client: socket.socket, upstream: socket.socket) -> bool:
    """Wait for the kiosk's next request on a kept-alive connection. If the hall closes its side
    meanwhile (it stopped), say so: the proxy then closes the kiosk's side as the hall would
    have, instead of keeping a connection alive that no longer leads anywhere."""
    while True:
        ready, _, _ = select.select([client, upstream], [], [], 1.0)
        if upstream in ready:
            return False                        # EOF or an unasked-for byte: either way, done
        if client in ready:
            return True


def _length(head: bytes) -> int:
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    return int(m.group(1)) if m else 0


class Proxy:
    """HTTP/1.1 request-by-request forwarder. `arm(mode, on_trap)` makes the next application
    or material request the trap: on_trap() (which kills the kiosk) runs at the chosen point."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._trap: tuple[str, object] | None = None
        self._lock = threading.Lock()
        self.sprung: list[dict] = []          # what each trap hit: mode, request line, hall's status
        self.forwarded = 0
        threading.Thread(target=self._accept, daemon=True, name="proxy").start()

    def arm(self, mode: str, on_trap) -> None:
        with self._lock:
            self._trap = (mode, on_trap)

    def disarm(self) -> None:
        with self._lock:
            self._trap = None

    def _take_trap(self, head: bytes):
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, path = line.split(" ")[:2]
        if not ((method == "POST" and path == "/api/v1/applications") or (method == "PUT" and "/materials/" in path)):
            return None, line
        with self._lock:
            trap, self._trap = self._trap, None
        return trap, line

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True, name="proxy-conn").start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            client.close()                     # the hall is down: the kiosk sees the connection drop
            return
        cbuf, ubuf = bytearray(), bytearray()
        try:
            while True:
                if not _idle_until_request(client, upstream):
                    return                      # the hall went away: drop the kiosk's connection too
                head = _read_head(client, cbuf)
                if head is None:
                    return
                body = _read_body(client, cbuf, _length(head))
                trap, line = self._take_trap(head)
                mode = trap[0] if trap else ""
                if mode == "http-before":
                    trap[1]()
                    self.sprung.append({"mode": mode, "request": line, "hall": None})
                    return
                if mode == "http-partial":
                    upstream.sendall(head + body[: max(1, len(body) // 2)])
                    trap[1]()
                    self.sprung.append({"mode": mode, "request": line, "hall": None})
                    return
                upstream.sendall(head + body)
                rhead = _read_head(upstream, ubuf)
                if rhead is None:
                    return
                rbody = _read_body(upstream, ubuf, _length(rhead))
                if mode == "after-commit":
                    trap[1]()                   # the hall has answered; the kiosk dies unanswered
                    status = int(rhead.split(b" ", 2)[1])
                    self.sprung.append({"mode": mode, "request": line, "hall": status})
                    return
                client.sendall(rhead + rbody)
                self.forwarded += 1
        except OSError:
            return
        finally:
            client.close()
            upstream.close()


# ---- the kiosk --------------------------------------------------------------------------------

class KioskProcess:
    def __init__(self, work: Path, proxy_port: int, token: str):
        self.work = work
        self.config = work / "kiosk.toml"
        self.config.write_text(
            f'[terminal]\nid = "{TERMINAL}"\nhall_name = "浸泡测试服务中心"\nidle_timeout_s = 600\n'
            f'idle_warning_s = 15\ndone_timeout_s = 600\n\n'
            f'[hall]\nurl = "http://127.0.0.1:{proxy_port}"\ntoken = "{token}"\nheartbeat_interval_s = 2\n'
            f'connect_timeout_s = 1\nread_timeout_s = 5\n\n'
            f'[idcard]\ndriver = "sim"\npoll_interval_s = 0.1\n\n[printer]\ndriver = "virtual"\ncolumns = 48\n\n'
            f'[scanner]\ndriver = "images"\nfps = 5\n\n[storage]\ndata_dir = "{work / "kiosk-data"}"\n', "utf-8")
        self.proc: subprocess.Popen | None = None
        self.events: list[dict] = []
        self._cond = threading.Condition()
        self.stderr = open(work / "kiosk.log", "ab")

    def start(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([PY, "-m", "terminal.soak_runner", "--config", str(self.config), *args], cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=self.stderr, env=env, text=True)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def _read(self, proc) -> None:
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self.events.append(ev)
                self._cond.notify_all()

    def wait_event(self, pred, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in reversed(self.events):
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self.proc is None or self.proc.poll() is not None:
                    return None                 # out of time, or the process is gone
                self._cond.wait(min(left, 0.2))

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)

    def reap(self, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        time.sleep(0.05)                       # let the reader thread take the last lines
        self.proc = None
        return code


# ---- the soak ------------------------------------------------------------------------------------

@dataclass
class Figures:
    kills: dict = field(default_factory=lambda: {m: 0 for m in KILL_MODES})
    sqlite_missed: int = 0               # the enqueue finished before the armed kill: killed later
    trap_missed: int = 0                 # no application/material request within 90 s: killed then
    outages: int = 0
    hall_crashes: int = 0
    visits_started: int = 0
    confirmed: int = 0
    shown_submitted: int = 0
    shown_queued: int = 0
    failed_on_screen: int = 0
    confirmed_not_shown_delivered: int = 0
    confirmed_not_shown_absent: int = 0
    in_hall: int = 0
    materials_in_hall: int = 0
    traps: dict = field(default_factory=dict)   # "after-commit PUT material" -> count
    seconds: float = 0.0
    drain_seconds: float = 0.0
    violations: list = field(default_factory=list)

    @property
    def total_kills(self) -> int:
        return sum(self.kills.values())


class Outages:
    """Stops and starts the hall at random moments on its own thread."""

    def __init__(self, hall: HallProcess, rng: random.Random, figures: Figures):
        self.hall, self.rng, self.figures = hall, rng, figures
        self.failed_restarts = 0         # the run then restarts it before draining
        self._thread: threading.Thread | None = None

    def one(self, delay_s: float) -> None:
        def run():
            time.sleep(delay_s)
            crash = self.rng.random() < 0.5
            self.hall.stop(crash=crash)
            self.figures.outages += 1
            self.figures.hall_crashes += crash
            time.sleep(self.rng.uniform(0.5, 4.0))
            for attempt in range(3):     # the port may still be held for a moment (a killed hall)
                try:
                    self.hall.start()
                    return
                except RuntimeError:
                    time.sleep(1.0)
            self.failed_restarts += 1
        self.join()
        self._thread = threading.Thread(target=run, daemon=True, name="outage")
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(120)
            self._thread = None


def run_soak(work: Path, kills: int, outages: int, seed: int = 1, log=print) -> Figures:
    rng = random.Random(seed)
    fig = Figures()
    t0 = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    hall = HallProcess(work)
    token = hall.enrol()
    hall.start()
    proxy = Proxy(hall.port)
    kiosk = KioskProcess(work, proxy.port, token)
    storms = Outages(hall, rng, fig)
    modes = [KILL_MODES[i % len(KILL_MODES)] for i in range(kills)]
    rng.shuffle(modes)
    outage_rounds = set(rng.sample(range(kills), min(outages, kills)))
    next_visit = 1
    ledger: dict[int, dict] = {}      # visit -> what its kiosk said: confirmed, shown, failed
    try:
        for i, mode in enumerate(modes):
            kiosk.events.clear()
            args = ["--first-visit", str(next_visit), "--seed", str(rng.randrange(1 << 30))]
            if mode == "sqlite":
                args.append("--die-in-sqlite")
            kiosk.start(*args)
            if kiosk.wait_event(lambda e: e["ev"] == "ready", 90) is None:
                fig.violations.append(f"round {i}: the kiosk did not start (see kiosk.log)")
                kiosk.kill()
                kiosk.reap()
                break
            if i in outage_rounds:
                storms.one(rng.uniform(0.0, 6.0))
            if mode == "random":
                time.sleep(rng.uniform(0.2, 10.0))
                kiosk.kill()
            elif mode == "sqlite":
                if kiosk.wait_event(lambda e: e["ev"] == "dying", 90) is None:
                    fig.sqlite_missed += 1
                    kiosk.kill()                # counted as a kill all the same, at a random point
            else:
                # the trap springs on a request of a visit (or of one left queued before)
                proxy.arm(mode, kiosk.kill)
                try:
                    kiosk.proc.wait(90)
                except subprocess.TimeoutExpired:
                    fig.trap_missed += 1
                    kiosk.kill()
                proxy.disarm()
            code = kiosk.reap()
            fig.kills[mode] += 1
            if code != -signal.SIGKILL:
                fig.violations.append(f"round {i}: the kiosk exited by itself with {code} (see kiosk.log)")
            for ev in kiosk.events:
                if ev["ev"] == "visit":
                    next_visit = max(next_visit, ev["visit"] + 1)
            _collect(kiosk.events, ledger)
            if (i + 1) % 10 == 0:
                log(f"  {i + 1}/{kills} kills, {fig.outages} outages, visit {next_visit}, "
                    f"{time.monotonic() - t0:.0f} s")
        storms.join()
        if not hall.up:
            hall.start()
        # settle: the kiosk comes back once more and drains its outbox
        t_drain = time.monotonic()
        kiosk.events.clear()
        kiosk.start("--drain", "--drain-timeout", "300")
        done = kiosk.wait_event(lambda e: e["ev"] in ("drained", "drain-timeout"), 400)
        kiosk.reap(60)
        fig.drain_seconds = time.monotonic() - t_drain
        if done is None or done["ev"] != "drained":
            fig.violations.append(f"the outbox did not drain: {done}")
        elif done["rejected"]:
            fig.violations.append(f"{done['rejected']} outbox items rejected by the hall")
    finally:
        storms.join()
        kiosk.kill()
        kiosk.reap()
        hall.stop(crash=False)
    fig.seconds = time.monotonic() - t0
    for t in proxy.sprung:
        what = "material" if "/materials/" in t["request"] else "application"
        name = f"{t['mode']} {what}" + (f" (hall {t['hall']})" if t["hall"] else "")
        fig.traps[name] = fig.traps.get(name, 0) + 1
    _verify(hall.db_path, ledger, fig)
    return fig


def _collect(events: list[dict], ledger: dict[int, dict]) -> None:
    """Fold one kiosk incarnation's lines into the ledger of visits."""
    for ev in events:
        n = ev.get("visit")
        if n is None:
            continue
        v = ledger.setdefault(n, {"confirmed": False, "shown": None, "failed": False})
        if ev["ev"] == "confirm":
            v["confirmed"] = True
        elif ev["ev"] == "shown":
            v["shown"] = ev
        elif ev["ev"] == "failed":
            v["failed"] = True
        elif ev["ev"] == "stuck":
            v["stuck"] = ev.get("screen", "")


def _verify(db_path: Path, ledger: dict[int, dict], fig: Figures) -> None:
    bad = fig.violations
    con = sqlite3.connect(str(db_path))
    apps: dict[int, list] = {}
    for app_id, no, key, fields in con.execute("SELECT id, application_no, idempotency_key, fields FROM applications"):
        m = re.search(r"SOAK-(\d{6})", json.loads(fields).get("site_address", ""))
        if m is None:
            bad.append(f"application {no} carries no visit marker")
            continue
        mats = {mid: (ct, size) for mid, ct, size in con.execute(
            "SELECT material_id, content_type, length(data) FROM application_materials WHERE application_id=?",
            (app_id,))}
        apps.setdefault(int(m.group(1)), []).append({"no": no, "key": key, "materials": mats})
    con.close()
    fig.visits_started = len(ledger)
    fig.in_hall = sum(len(a) for a in apps.values())
    fig.materials_in_hall = sum(len(x["materials"]) for a in apps.values() for x in a)
    for n, found in sorted(apps.items()):
        v = ledger.get(n)
        if len(found) > 1:
            bad.append(f"visit {n}: {len(found)} applications in the hall (duplicate)")
        if v is None or not v["confirmed"]:
            bad.append(f"visit {n}: in the hall but the person never confirmed it")
        elif v["failed"]:
            bad.append(f"visit {n}: the screen said it failed, yet it is in the hall")
        for x in found:
            if set(x["materials"]) != EXPECTED_MATERIALS:
                bad.append(f"visit {n}: materials {sorted(x['materials'])} instead of {sorted(EXPECTED_MATERIALS)}")
            elif any(size < 1000 for _ct, size in x["materials"].values()):
                bad.append(f"visit {n}: an empty material image")
    for n, v in sorted(ledger.items()):
        if v.get("stuck"):
            bad.append(f"visit {n}: stuck ({v['stuck']})")
        fig.confirmed += v["confirmed"]
        fig.failed_on_screen += v["failed"]
        if v["shown"] is not None:
            shown = v["shown"]
            fig.shown_queued += shown["queued"]
            fig.shown_submitted += not shown["queued"]
            found = apps.get(n, [])
            if not found:
                bad.append(f"visit {n}: showed {'待上传' if shown['queued'] else '提交成功'}, not in the hall (lost)")
            elif len(found) > 1:
                pass                            # reported above as a duplicate
            elif found[0]["key"] != shown["key"]:
                bad.append(f"visit {n}: the hall holds key {found[0]['key']}, the screen showed {shown['key']}")
            elif not shown["queued"] and found[0]["no"] != shown["no"]:
                bad.append(f"visit {n}: receipt number {shown['no']} but the hall numbered it {found[0]['no']}")
        elif v["confirmed"]:
            if n in apps:
                fig.confirmed_not_shown_delivered += 1
            else:
                fig.confirmed_not_shown_absent += 1
