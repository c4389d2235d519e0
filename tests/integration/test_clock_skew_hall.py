"""A terminal whose clock is wrong (no NTP), against a real hall on 127.0.0.1: the kiosk's
clock is injected (12 minutes fast), everything else is real — the heartbeat over HTTP, the
hall's X-Hall-Time, the console's pages. The offset is measured with the round trip accounted
for, reported in the next heartbeat, flagged on the console (tile and page), and the receipt is
stamped with the hall's time. The version shown is the installed package's."""
from __future__ import annotations

import datetime as dt
import re
import time
from importlib import metadata

import pytest

from kiosk import session as S
from kiosk.clock import HallTime, china_time
from kiosk.controller import Controller, ControllerSettings
from kiosk.health import APP_VERSION
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.platform import HallHttpClient
from tests.integration.conftest import TECH, add_console_users, console_as
from tests.unit.conftest import MATTER, SIGNED, make_card
from tests.unit.test_controller import FakeHall, FakePrinter, walk_to_review, watch

FAST_S = 12 * 60           # the terminal's clock runs 12 minutes ahead of the hall's


class SkewedClock:
    """The terminal's system clock, off by `skew_s`; its monotonic clock is the real one."""

    def __init__(self, skew_s: float):
        self.skew_s = skew_s

    def now(self) -> float:
        return time.time() + self.skew_s

    def monotonic(self) -> float:
        return time.monotonic()


def kiosk_client(hall, tmp_path, skew_s: float):
    hall_time = HallTime(SkewedClock(skew_s))
    client = HallHttpClient(hall.base_url, hall.token, hall.terminal_id, cache_dir=tmp_path,
                            connect_timeout_s=2, read_timeout_s=5, hall_time=hall_time)
    return client, hall_time


def beat(client):
    return client.heartbeat({"app_version": APP_VERSION, "screen": "attract", "outbox_pending": 0})


def test_fast_clock_is_measured_reported_and_flagged(sqlite_hall, tmp_path):
    hall = sqlite_hall
    client, hall_time = kiosk_client(hall, tmp_path, FAST_S)
    beat(client)                                   # the first reply measures
    offset, rtt = hall_time.offset_s(), hall_time.rtt_s()
    # hall minus terminal = -12 min, within half the round trip (+ the header's millisecond)
    assert 0 < rtt < 2
    assert abs(offset + FAST_S) <= rtt / 2 + 0.01, (offset, rtt)
    assert hall_time.is_off()
    assert abs(hall_time.now() - time.time()) <= rtt / 2 + 0.01   # the hall's time, not the terminal's
    beat(client)                                   # the second heartbeat reports it

    add_console_users(hall)
    console = console_as(hall, TECH)
    tile = next(t for t in console.get("/console/api/terminals").json()["terminals"] if t["id"] == hall.terminal_id)
    assert tile["level"] == "amber" and "本机时钟快 12 分钟" in tile["reason"]
    assert tile["app_version"] == metadata.version("bianmin-kiosk")
    page = console.get(f"/console/terminals/{hall.terminal_id}").text
    assert re.search(r'<dd id="clock" class="flag">本机时钟快 12 分钟</dd>', page), page[:3000]
    dashboard = console.get("/console/").text
    assert f'<span class="version">版本 {metadata.version("bianmin-kiosk")}</span>' in dashboard


def test_right_clock_is_not_flagged(sqlite_hall, tmp_path):
    hall = sqlite_hall
    client, hall_time = kiosk_client(hall, tmp_path, 0.0)
    beat(client)
    beat(client)
    assert abs(hall_time.offset_s()) < 0.5 and not hall_time.is_off()
    add_console_users(hall)
    console = console_as(hall, TECH)
    page = console.get(f"/console/terminals/{hall.terminal_id}").text
    assert re.search(r'<dd id="clock">准确（相差 0\.\d 秒）</dd>', page)
    tile = next(t for t in console.get("/console/api/terminals").json()["terminals"] if t["id"] == hall.terminal_id)
    assert (tile["level"], tile["reason"]) == ("green", "正常")


@pytest.fixture
def matter():
    from kiosk.domain.catalogue import Matter
    return Matter.from_dict(MATTER)


def test_receipt_carries_the_halls_time_when_the_clock_is_off(sqlite_hall, tmp_path, matter):
    client, hall_time = kiosk_client(sqlite_hall, tmp_path, FAST_S)
    beat(client)                                   # measured against the real hall
    fake = FakeHall(matter)                        # the visit itself needs no hall
    outbox = SqliteOutbox(tmp_path / "outbox.sqlite3", hall_time)
    from kiosk.delivery import send_outbox_item
    sender = OutboxSender(outbox, lambda item: send_outbox_item(fake, outbox, item))
    printer = FakePrinter()
    c = Controller(ControllerSettings("T-1", "测试服务中心", S.Timeouts(60, 15, 30), tick_s=0.05),
                   fake, outbox, sender, printer, hall_time)
    wait = watch(c)
    c.start()
    try:
        walk_to_review(c, wait, matter, make_card())
        before = china_time(time.time())
        c.post(S.Confirm())
        c.post(S.Sign(SIGNED))
        wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None)
        after = china_time(time.time())
    finally:
        c.stop()
        outbox.close()
    text = printer.docs[0].plain_text()
    stamped = re.search(r"提交时间[：:\s]*(\d{4}-\d\d-\d\d \d\d:\d\d)", text).group(1)
    hall_minutes = {f"{t:%Y-%m-%d %H:%M}" for t in (before, after)}
    terminal_minute = f"{before + dt.timedelta(seconds=FAST_S):%Y-%m-%d %H:%M}"
    assert stamped in hall_minutes and stamped != terminal_minute, (stamped, hall_minutes, terminal_minute)
