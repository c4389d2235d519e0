"""The console's forced password change and session expiry as a person meets them, in headless
Chromium (Debian's `chromium` through Playwright's `executable_path`), against a real hall on
127.0.0.1; and the audit page an administrator reads. Time is moved on by ageing the session
rows (no sleeping). Screenshots go to test-out/console-security/ for a person to look at."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import requests

from tests.integration.conftest import MANAGER, PASSWORD, STAFF, add_console_users, start_hall
from tests.integration.test_console_security import age_sessions, new_staff_account

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = Path(__file__).resolve().parents[2] / "test-out" / "console-security"
pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
                                 reason="Debian's chromium is not installed")]
NEW_PASSWORD = "Wangli-own-2026"


@pytest.fixture
def hall(tmp_path):
    server, running = start_hall(tmp_path, None, "sqlite")
    add_console_users(running)
    try:
        yield running
    finally:
        server.stop()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--lang=zh-CN"])
        pg = b.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
        pg.set_default_timeout(15_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        yield pg
        b.close()
        assert not errors, errors


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click("#login button[type=submit]")


def test_first_login_forces_a_new_password(hall, page):
    from playwright.sync_api import expect

    password = new_staff_account(hall)                  # generated, shown to the manager
    page.goto(f"{hall.base_url}/console/applications")
    log_in(page, hall.base_url, "wang.li", password)
    expect(page.locator("h1")).to_have_text("修改密码")
    expect(page.locator("#forced")).to_be_visible()
    expect(page.locator("header nav")).to_have_count(0)     # no way around it in the header
    shot(page, "01-forced-change")
    page.goto(f"{hall.base_url}/console/evaluations")        # typed into the address bar: back here
    expect(page.locator("h1")).to_have_text("修改密码")
    page.fill('input[name="current"]', password)
    page.fill('input[name="password"]', password)
    page.fill('input[name="password2"]', password)
    page.click("#password button[type=submit]")
    expect(page.locator("#password .error")).to_have_text("新密码不能与当前密码相同")
    shot(page, "02-forced-change-same-password")
    page.fill('input[name="current"]', password)
    page.fill('input[name="password"]', NEW_PASSWORD)
    page.fill('input[name="password2"]', NEW_PASSWORD)
    page.click("#password button[type=submit]")
    expect(page.locator("h1")).to_contain_text("好差评")        # where they last tried to go
    expect(page.locator("header nav")).to_contain_text("办件处理")
    shot(page, "03-after-change")


def test_an_idle_session_ends_at_the_login_page_and_comes_back_where_it_was(hall, page):
    from playwright.sync_api import expect

    page.goto(f"{hall.base_url}/console/")
    log_in(page, hall.base_url, STAFF, PASSWORD)
    expect(page.locator("h1")).to_have_text("终端监控")
    page.click("header nav >> text=办件处理")
    expect(page.locator("h1")).to_contain_text("办件")
    age_sessions(hall, STAFF, idle=dt.timedelta(minutes=31))      # away from the desk for 31 minutes
    page.click("header nav >> text=好差评")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#expired")).to_have_text("长时间未操作，登录已超时，请重新登录")
    shot(page, "04-idle-expired")
    log_in(page, hall.base_url, STAFF, PASSWORD)
    expect(page.locator("h1")).to_contain_text("好差评")


def test_the_dashboard_left_open_ends_at_the_session_lifetime(hall, page):
    from playwright.sync_api import expect

    page.goto(f"{hall.base_url}/console/")
    log_in(page, hall.base_url, MANAGER, PASSWORD)
    expect(page.locator("h1")).to_have_text("终端监控")
    # The dashboard polls every 2 s, so it is never idle; 12 h after the login it still ends.
    age_sessions(hall, MANAGER, age=dt.timedelta(hours=12, minutes=1))
    expect(page.locator("#login")).to_be_visible(timeout=10_000)     # the poll got a 401 and left
    expect(page.locator("#expired")).to_have_text("登录已到最长时限，请重新登录")   # …saying why
    shot(page, "05-lifetime-expired-dashboard")
    page.goto(f"{hall.base_url}/console/")
    log_in(page, hall.base_url, MANAGER, PASSWORD)
    age_sessions(hall, MANAGER, age=dt.timedelta(hours=12, minutes=1))
    page.goto(f"{hall.base_url}/console/audit")
    expect(page.locator("#expired")).to_have_text("登录已到最长时限，请重新登录")
    shot(page, "06-lifetime-expired")


def test_the_administrator_reads_who_saw_a_persons_data(hall, page):
    from playwright.sync_api import expect

    r = requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application().to_json(),
                      headers={**hall.headers, "Idempotency-Key": "browser-audit-0001"}, timeout=10)
    no = r.json()["application_no"]
    applicant = hall.sample_application().applicant.id_number
    page.goto(f"{hall.base_url}/console/applications/{no}")
    log_in(page, hall.base_url, STAFF, PASSWORD)
    expect(page.locator("h1")).to_contain_text("户外广告设施设置审批")
    requests.post(f"{hall.base_url}/api/v1/applications/{no}/progress", json={"id_number": applicant},
                  headers=hall.headers, timeout=10).raise_for_status()
    page.context.clear_cookies()
    page.goto(f"{hall.base_url}/console/audit")
    log_in(page, hall.base_url, MANAGER, PASSWORD)
    expect(page.locator("h1")).to_have_text("审计日志")
    page.fill('#audit-filter input[name="person"]', applicant)
    page.click("#audit-filter button[type=submit]")
    expect(page.locator("h1")).to_contain_text("1101**********002X")
    rows = page.locator("#audit tbody tr")
    expect(rows).to_have_count(3)                     # the search itself, the terminal's query, the page view
    expect(rows.nth(1)).to_contain_text("终端查询办件进度")
    expect(rows.nth(2)).to_contain_text("查看办件")
    expect(rows.nth(2)).to_contain_text(STAFF)
    assert applicant not in page.content() and applicant not in page.url
    shot(page, "07-audit-by-person")
