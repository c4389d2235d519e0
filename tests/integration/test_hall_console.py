"""The console over real HTTP with requests: accounts, sessions, CSRF, lock-out, roles, audit,
and that nothing a browser (or an attacker) posts produces a 500."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from sqlalchemy import select, update

from hall import db as hall_db
from tests.integration.conftest import (MANAGER, PASSWORD, SAMPLE_ID_NUMBER, SAMPLE_NAME, STAFF, TECH, Console,
                                        add_console_users, console_as)

TIMEOUT = 10


@pytest.fixture
def chall(sqlite_hall):
    add_console_users(sqlite_hall)
    return sqlite_hall


def audit_rows(hall) -> list[hall_db.AuditEntry]:
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        rows = list(s.scalars(select(hall_db.AuditEntry).order_by(hall_db.AuditEntry.id)))
    d.dispose()
    return rows


def submit(hall) -> str:
    r = requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application().to_json(),
                      headers={**hall.headers, "Idempotency-Key": "console-test-0001"}, timeout=TIMEOUT)
    assert r.status_code == 201
    return r.json()["application_no"]


def test_login_sets_a_strict_httponly_session_cookie(chall):
    c = Console(chall.base_url)
    r = c.login(MANAGER)
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    cookie = r.headers["set-cookie"]
    assert "hall_console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/console" in cookie
    page = c.get("/console/")
    assert page.status_code == 200 and "终端监控" in page.text and "测试终端" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_pages_need_a_session(chall):
    r = requests.get(f"{chall.base_url}/console/", allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    r = requests.get(f"{chall.base_url}/console/api/terminals", timeout=TIMEOUT)
    assert r.status_code == 401
    forged = requests.get(f"{chall.base_url}/console/", cookies={"hall_console": "forged"}, allow_redirects=False,
                          timeout=TIMEOUT)
    assert forged.status_code == 303


def test_wrong_password_then_lock_out_then_unlock(chall):
    c = Console(chall.base_url)
    for i in range(5):
        r = c.login(STAFF, "wrong-password-1")
        assert r.status_code == 401 and "用户名或密码错误" in r.text, i
    r = c.login(STAFF)                                      # right password, but locked now
    assert r.status_code == 401 and "锁定" in r.text
    other = Console(chall.base_url).login(MANAGER)          # other accounts are not affected
    assert other.status_code == 303
    actions = [(a.actor, a.action) for a in audit_rows(chall)]
    assert actions.count((STAFF, "login_failed")) == 5
    assert (STAFF, "account_locked") in actions and (STAFF, "login_refused_locked") in actions
    # The lock runs out (moved into the past here rather than waiting 15 minutes).
    d = hall_db.Database(chall.server.database_url)
    with d.session() as s:
        s.execute(update(hall_db.User).where(hall_db.User.username == STAFF)
                  .values(locked_until=hall_db.utcnow() - dt.timedelta(seconds=1)))
        s.commit()
    d.dispose()
    assert c.login(STAFF).status_code == 303


def test_unknown_user_looks_like_a_wrong_password(chall):
    r = Console(chall.base_url).login("nobody", "whatever-123")
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_login_form_needs_its_csrf_token(chall):
    r = requests.post(f"{chall.base_url}/console/login", data={"username": MANAGER, "password": PASSWORD},
                      allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 403 and "hall_console" not in r.headers.get("set-cookie", "")


def test_state_changes_need_the_csrf_token_and_our_origin(chall):
    c = console_as(chall, TECH)
    path = f"/console/terminals/{chall.terminal_id}/commands"
    assert c.post(path, {"kind": "restart"}, csrf=False).status_code == 403
    assert c.post(path, {"kind": "restart", "csrf": "wrong"}).status_code == 403
    assert c.post(path, {"kind": "restart"}, headers={"Origin": "http://evil.example"}).status_code == 403
    ok = c.post(path, {"kind": "restart"}, headers={"Origin": chall.base_url})
    assert ok.status_code == 303
    # The CSRF token of one session is useless in another.
    other = console_as(chall, MANAGER)
    assert other.post(path, {"kind": "restart", "csrf": c.csrf}).status_code == 403


def test_roles(chall):
    no = submit(chall)
    staff, tech, manager = console_as(chall, STAFF), console_as(chall, TECH), console_as(chall, MANAGER)
    assert staff.post(f"/console/terminals/{chall.terminal_id}/commands", {"kind": "restart"}).status_code == 403
    assert tech.get(f"/console/applications/{no}").status_code == 403
    assert tech.get("/console/applications").status_code == 403
    assert staff.get("/console/audit").status_code == 403
    assert staff.post("/console/catalog/reload").status_code == 403
    assert staff.get(f"/console/applications/{no}").status_code == 200
    assert tech.post(f"/console/terminals/{chall.terminal_id}/commands", {"kind": "maintenance_on"}).status_code == 303
    for path in ("/console/audit", "/console/credit", f"/console/applications/{no}", "/console/evaluations"):
        assert manager.get(path).status_code == 200, path
    assert "导航" not in manager.get("/console/").text
    assert 'href="/console/audit"' not in staff.get("/console/").text      # no link to what the role cannot open


def test_logout_ends_the_session(chall):
    c = console_as(chall, MANAGER)
    assert c.post("/console/logout").status_code == 303
    r = c.http.get(f"{chall.base_url}/console/", allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 303
    stolen = requests.get(f"{chall.base_url}/console/", cookies=c.http.cookies, allow_redirects=False, timeout=TIMEOUT)
    assert stolen.status_code == 303


def test_idle_session_expires(chall):
    c = console_as(chall, MANAGER)
    d = hall_db.Database(chall.server.database_url)
    with d.session() as s:
        s.execute(update(hall_db.ConsoleSession).values(last_seen_at=hall_db.utcnow() - dt.timedelta(minutes=31)))
        s.commit()
    d.dispose()
    assert c.http.get(f"{chall.base_url}/console/", allow_redirects=False, timeout=TIMEOUT).status_code == 303


def test_every_action_is_audited_without_personal_data(chall):
    no = submit(chall)
    staff = console_as(chall, STAFF)
    staff.get(f"/console/applications/{no}")
    staff.post(f"/console/applications/{no}/action", {"action": "accept"})
    tech = console_as(chall, TECH)
    tech.post(f"/console/terminals/{chall.terminal_id}/commands", {"kind": "notice", "text": "午休暂停"})
    manager = console_as(chall, MANAGER)
    manager.post("/console/catalog/reload")
    staff.post("/console/logout")
    rows = audit_rows(chall)
    seen = {(a.actor, a.action) for a in rows}
    assert {(STAFF, "login"), (STAFF, "view_application"), (STAFF, "application_accept"), (TECH, "terminal_command"),
            (MANAGER, "catalog_reload"), (STAFF, "logout"), ("cli", "user_add")} <= seen
    assert all(a.client == "127.0.0.1" for a in rows if a.actor != "cli")
    text = " ".join(f"{a.target} {a.detail}" for a in rows)
    assert SAMPLE_NAME not in text and SAMPLE_ID_NUMBER[:-1] not in text
    page = manager.get("/console/audit")
    assert "application_accept" in page.text and no in page.text


def test_catalog_reload_from_the_console(chall):
    c = console_as(chall, MANAGER)
    r = c.post("/console/catalog/reload")
    assert r.status_code == 200 and "已加载 31 个事项" in r.text


HOSTILE_FORMS = [
    {}, {"kind": "x" * 5000}, {"kind": "notice", "text": "a\x00b"}, {"kind": "notice", "text": "长" * 300},
    {"action": "nonsense"}, {"action": "reject"}, {"note": "\ud800"}, {"csrf": "\x00"},
]


def test_hostile_console_requests_never_500(chall):
    no = submit(chall)
    c = console_as(chall, MANAGER)
    posts = [f"/console/terminals/{chall.terminal_id}/commands", "/console/terminals/NOPE/commands",
             f"/console/applications/{no}/action", "/console/applications/QY0000/action",
             "/console/evaluations/1/handle", "/console/evaluations/99999999999999999999/revisit",
             "/console/evaluations/1/explode", "/console/logout", "/console/login", "/console/catalog/reload"]
    for path in posts:
        for form in HOSTILE_FORMS:
            r = c.post(path, {k: v.encode("utf-8", "surrogatepass") for k, v in form.items()})
            assert r.status_code < 500, (path, form, r.status_code, r.text[:300])
        for raw, ctype in [(b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
                           (b"--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nzz\r\n--x--\r\n",
                            "multipart/form-data; boundary=x"), (b"--broken", "multipart/form-data"),
                           (b"a=" + b"b" * 70000, "application/x-www-form-urlencoded"),
                           (b"&".join(b"k%d=v" % i for i in range(100)), "application/x-www-form-urlencoded")]:
            r = c.http.post(chall.base_url + path, data=raw, headers={"Content-Type": ctype}, timeout=TIMEOUT,
                            allow_redirects=False)
            assert r.status_code < 500, (path, raw[:30], r.status_code, r.text[:300])
    for path in ["/console/terminals/" + "x" * 500, "/console/applications/" + "%00", "/console/applications/../../etc/passwd",
                 f"/console/applications/{no}/materials/nope", "/console/static/../app.py", "/console/static/x.css",
                 "/console/applications?status=" + "z" * 100, "/console/evaluations?show=%ff", "/console/api/terminals/none"]:
        r = c.http.get(chall.base_url + path, timeout=TIMEOUT, allow_redirects=False)
        assert r.status_code < 500, (path, r.status_code)
    # (the loop logged itself out on the way) and the console still works
    assert re.search(r"已提交|已受理", console_as(chall, MANAGER).get(f"/console/applications/{no}").text)
