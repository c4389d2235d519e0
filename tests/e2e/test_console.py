"""The hall manager's console in headless Chromium (Debian's `chromium`, driven by Playwright with
`executable_path`; no browser download): log in, watch a simulated terminal go offline and come
back without reloading, put it into maintenance and see the command acknowledged, process an
application and see the kiosk's progress query change. Screenshots stay in test-out/console/
for a person to look at."""
from __future__ import annotations

import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest
import requests

from kiosk.domain.application import Applicant, Application
from kiosk.platform import HallHttpClient
from kiosk.ports import HallUnavailable
from tests.integration.conftest import (HWGG, MANAGER, PASSWORD, SAMPLE_ID_NUMBER, SAMPLE_NAME, SAMPLE_PHONE,
                                        add_console_users, start_hall)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = Path(__file__).resolve().parents[2] / "test-out" / "console"
pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                 reason="Debian's chromium is not installed")]


class SimulatedTerminal:
    """Heartbeats every second through the kiosk's own client and acts on commands the way
    kiosk/controller.py does (maintenance shows as its screen), acking each one."""

    def __init__(self, base_url: str, token: str, terminal_id: str, cache_dir: Path):
        self.client = HallHttpClient(base_url, token, terminal_id, cache_dir, connect_timeout_s=1, read_timeout_s=3)
        self.screen, self.notice = "attract", ""
        self.running = threading.Event()
        self.running.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.acked: list[str] = []

    def snapshot(self) -> dict:
        return {"app_version": "0.2.0", "uptime_s": 30, "screen": self.screen, "interval_s": 1, "outbox_pending": 0,
                "devices": {"printer": {"state": "ok"}, "idcard": {"state": "ok"}, "scanner": {"state": "ok"}},
                "today": {"sessions": 3}}

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            if not self.running.is_set():
                continue
            try:
                for cmd in self.client.heartbeat(self.snapshot()):
                    if cmd.kind == "maintenance_on":
                        self.screen = "maintenance"
                    elif cmd.kind == "maintenance_off":
                        self.screen = "attract"
                    self.client.ack(cmd.id)
                    self.acked.append(cmd.kind)
            except HallUnavailable:
                continue            # the hall is stopping at the end of the test; a kiosk retries too

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def console_world(tmp_path):
    server, hall = start_hall(tmp_path, None, "sqlite")
    add_console_users(hall)
    terminal = SimulatedTerminal(hall.base_url, hall.token, hall.terminal_id, tmp_path / "kiosk")
    terminal.start()
    try:
        yield hall, terminal
    finally:
        terminal.stop()
        server.stop()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        yield pg
        browser.close()
        assert not errors, errors            # no JavaScript error on any page


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_console_end_to_end(console_world, page):
    from playwright.sync_api import expect

    hall, terminal = console_world
    tile = f'[data-terminal="{hall.terminal_id}"]'

    # Log in (a wrong password first: the form says so).
    page.goto(f"{hall.base_url}/console/")
    expect(page.locator("#login")).to_be_visible()
    page.fill('input[name="username"]', MANAGER)
    page.fill('input[name="password"]', "not-the-password-1")
    page.click('button[type="submit"]')
    expect(page.locator(".error")).to_contain_text("用户名或密码错误")
    shot(page, "01-login-error")
    page.fill('input[name="username"]', MANAGER)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    expect(page.locator("h1")).to_have_text("终端监控")

    # The tile goes green once heartbeats flow; the page is never reloaded from here on.
    expect(page.locator(tile)).to_have_class("tile green")
    page.evaluate("window.__sameDocument = true")
    shot(page, "02-dashboard-green")

    terminal.running.clear()                                   # the terminal stops heartbeating
    expect(page.locator(tile)).to_have_class("tile red", timeout=12_000)
    expect(page.locator(f"{tile} .reason")).to_contain_text("离线")
    shot(page, "03-dashboard-offline")
    terminal.running.set()                                     # …and comes back
    expect(page.locator(tile)).to_have_class("tile green", timeout=8_000)
    assert page.evaluate("window.__sameDocument") is True     # live updates, not reloads

    # Maintenance: queued as a command, delivered in the next heartbeat reply, acknowledged.
    page.click(tile)
    expect(page.locator("#reason")).to_have_text("正常")
    page.click('button[data-kind="maintenance_on"]')
    row = page.locator("#commands tbody tr").first
    expect(row).to_contain_text("进入维护模式")
    expect(row.locator(".cmd-state")).to_have_text("已确认", timeout=8_000)
    expect(page.locator("#reason")).to_have_text("维护模式", timeout=8_000)
    expect(page.locator("#status")).to_have_class("status amber")
    assert "maintenance_on" in terminal.acked
    shot(page, "04-terminal-maintenance-acked")

    # A citizen's application arrives; staff ask for a correction, then accept it.
    client = HallHttpClient(hall.base_url, hall.token, hall.terminal_id, Path(hall.data_dir) / "k2")
    app = Application(HWGG, 1, Applicant(SAMPLE_NAME, SAMPLE_ID_NUMBER, SAMPLE_PHONE),
                      {"applicant_name": SAMPLE_NAME, "applicant_id_number": SAMPLE_ID_NUMBER, "phone": SAMPLE_PHONE,
                       "site_address": "玄武区长江路1号沿街外墙", "carrier": "墙面附着式", "size": "6×3", "period": "1年"},
                      hall.terminal_id)
    no = client.submit(app, uuid.uuid4().hex).application_no

    def kiosk_progress() -> dict:
        return requests.get(f"{hall.base_url}/api/v1/applications/{no}", params={"id_number": SAMPLE_ID_NUMBER},
                            headers=hall.headers, timeout=10).json()

    assert kiosk_progress()["status_text"] == "已提交"
    page.click("text=办件处理")
    expect(page.locator(f'tr[data-no="{no}"]')).to_contain_text("已提交")
    shot(page, "05-applications")
    page.click(f"text={no}")
    expect(page.locator("#app-status")).to_have_text("已提交")
    page.fill('textarea[name="note"]', "请补充户外广告设施设计效果图（彩色）")
    page.click('button[value="correction"]')
    expect(page.locator("#app-status")).to_have_text("待补正")
    progress = kiosk_progress()
    assert progress["status_text"] == "待补正" and progress["note"] == "请补充户外广告设施设计效果图（彩色）"
    page.click('button[value="accept"]')
    expect(page.locator("#app-status")).to_have_text("已受理")
    assert kiosk_progress()["status_text"] == "已受理"
    expect(page.locator("#timeline tbody tr")).to_have_count(3)
    shot(page, "06-application-accepted")

    page.click("text=审计日志")
    expect(page.locator("#audit")).to_contain_text("application_accept")
    shot(page, "07-audit")
