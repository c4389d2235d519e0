"""kiosk/watchdog.py without sockets: which thread counts as hung, when pings are withheld, what
systemd's environment means. The real datagram socket is in tests/integration/test_watchdog_socket.py."""
import os

import pytest

from kiosk.watchdog import Liveness, Notifier, Supervisor, watchdog_interval_s


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class Recorder:
    """Stands in for the socket: what would have been sent."""
    active = True

    def __init__(self):
        self.sent = []

    def send(self, *lines):
        self.sent.append("\n".join(lines))
        return True


def test_a_thread_is_hung_only_after_its_own_stall_time():
    clock = FakeClock()
    live = Liveness(clock)
    live.watch("ui", 10)
    live.watch("controller", 60)
    clock.t += 9
    assert live.hung() == {}
    clock.t += 2                                  # ui silent 11 s > 10 s; controller 11 s < 60 s
    assert set(live.hung()) == {"ui"}
    live.beat("ui")
    assert live.hung() == {}
    clock.t += 61
    assert set(live.hung()) == {"ui", "controller"}


def test_beats_of_unwatched_names_are_ignored():
    live = Liveness(FakeClock())
    live.beat("nobody")
    assert live.hung() == {}


def test_pings_withheld_while_a_thread_is_hung_and_resume_after():
    clock = FakeClock()
    live = Liveness(clock)
    live.watch("ui", 5)
    live.watch("controller", 5)
    rec = Recorder()
    sup = Supervisor(rec, live, interval_s=2, clock=clock)
    assert sup.check_once() and rec.sent == ["WATCHDOG=1"]
    clock.t += 6
    live.beat("ui")                               # the controller stays silent
    assert not sup.check_once()
    assert not sup.check_once()
    assert rec.sent.count("WATCHDOG=1") == 1
    status = [s for s in rec.sent if s.startswith("STATUS=")]
    assert status == ["STATUS=hung: controller silent 6 s"]      # said once per episode, names it
    live.beat("controller")
    assert sup.check_once() and rec.sent[-1] == "WATCHDOG=1"
    assert sup.withheld == 0 and sup.pings == 2


def test_ready_is_sent_once_with_a_status():
    rec = Recorder()
    sup = Supervisor(rec, Liveness(FakeClock()), interval_s=None)
    sup.ready()
    sup.ready()
    assert rec.sent == ["READY=1\nSTATUS=serving: attract screen shown"]
    sup.stopping()
    assert rec.sent[-1] == "STOPPING=1\nSTATUS=stopping"


@pytest.mark.parametrize("env, expected", [
    ({}, None),
    ({"WATCHDOG_USEC": "20000000"}, 10.0),                       # WatchdogSec=20 -> ping every 10 s
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "garbage"}, None),
    ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}, 1.0),
    ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}, None),   # meant for another process
])
def test_watchdog_interval_is_half_of_watchdog_usec(env, expected):
    assert watchdog_interval_s(env) == expected


def test_without_notify_socket_nothing_is_sent(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = Notifier()
    assert not n.active and n.send("READY=1") is False


def test_a_socket_that_does_not_exist_is_reported_not_raised(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    n = Notifier()
    assert not n.active and n.send("READY=1") is False
    assert "unusable" in caplog.text
