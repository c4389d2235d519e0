"""The console in headless Chromium: each terminal's program version on its tile (changing live
when a terminal is upgraded) and a terminal whose clock is 12 minutes fast flagged on its tile and
page. Two terminals heartbeat through the kiosk's own client over real HTTP; one has an injected
clock. Screenshots in test-out/console/ (10-versions-dashboard, 11-terminal-clock-off)."""
from __future__ import annotations

from importlib import metadata

import pytest

from kiosk.clock import HallTime
from kiosk.platform import HallHttpClient
from tests.e2e.test_console import CHROMIUM, page, shot  # noqa: F401  (page is a fixture)
from tests.integration.conftest import MANAGER, PASSWORD, add_console_users, start_hall
from tests.integration.test_clock_skew_hall import SkewedClock

pytestmark = [pytest.mark.e2e]

VERSION = metadata.version("bianmin-kiosk")


def heartbeat(client, version: str) -> None:
    client.heartbeat({"app_version": version, "screen": "attract", "interval_s": 60, "outbox_pending": 0,
                      "devices": {"printer": {"state": "ok"}, "idcard": {"state": "ok"}}})


def test_versions_and_clock_on_the_console(tmp_path, page):  # noqa: F811
    from playwright.sync_api import expect

    server, hall = start_hall(tmp_path, None, "sqlite")
    try:
        add_console_users(hall)
        old_token = server.enrol_terminal("T-TEST-2", "二楼终端", "二楼")
        fast = HallHttpClient(hall.base_url, hall.token, hall.terminal_id, tmp_path / "k1",
                              hall_time=HallTime(SkewedClock(12 * 60)))
        old = HallHttpClient(hall.base_url, old_token, "T-TEST-2", tmp_path / "k2",
                             hall_time=HallTime(SkewedClock(0)))
        for _ in range(2):                         # the first reply measures, the second reports
            heartbeat(fast, VERSION)
            heartbeat(old, "0.0.9")

        page.goto(f"{hall.base_url}/console/")
        page.fill('input[name="username"]', MANAGER)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        expect(page.locator("h1")).to_have_text("终端监控")
        tile1, tile2 = (page.locator(f'[data-terminal="{t}"]') for t in (hall.terminal_id, "T-TEST-2"))
        expect(tile1.locator(".version")).to_have_text(f"版本 {VERSION}")
        expect(tile2.locator(".version")).to_have_text("版本 0.0.9")
        expect(tile1).to_have_class("tile amber")
        expect(tile1.locator(".reason")).to_have_text("本机时钟快 12 分钟")
        expect(tile2).to_have_class("tile green")
        shot(page, "10-versions-dashboard")

        # T-TEST-2 is upgraded: its next heartbeat carries the new version; the tile follows live.
        page.evaluate("window.__sameDocument = true")
        heartbeat(old, VERSION)
        expect(tile2.locator(".version")).to_have_text(f"版本 {VERSION}", timeout=8_000)
        assert page.evaluate("window.__sameDocument") is True

        tile1.click()
        expect(page.locator("#clock")).to_have_text("本机时钟快 12 分钟")
        expect(page.locator("#clock")).to_have_class("flag")
        expect(page.locator("#version")).to_have_text(VERSION)
        box = page.locator("#clock").bounding_box()
        assert box and box["width"] < 400          # a badge, not a bar across the page
        shot(page, "11-terminal-clock-off")
    finally:
        server.stop()
