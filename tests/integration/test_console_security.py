"""The console's accounts and sessions against misuse, over real HTTP (issue #12, privacy):
a password someone else chose or saw must be changed before anything else; sessions end after
the idle timeout and the absolute lifetime (hall.toml); every read of a person's application or
credit report is an audit row (who, whose — masked —, when, from where) that an administrator
can find by the person's ID number. The browser side: test_console_security_browser.py."""
from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import requests
from sqlalchemy import select, update

from hall import db as hall_db
from hall.config import ConfigError, settings_from_dict
from hall.console import auth
from tests.integration.conftest import (CATALOG_DIR, MANAGER, PASSWORD, SAMPLE_ID_NUMBER, SAMPLE_NAME, STAFF,
                                        Console, add_console_users, console_as, start_hall)

TIMEOUT = 10
REPO_SAMPLE = CATALOG_DIR.parent.parent / "hall" / "sample_data" / "credit_sample.json"
# Every console page a staff member could open (the API poll separately): all must wait for the change.
PAGES = ["/console/", "/console/applications", "/console/evaluations", "/console/terminals/T-TEST-1"]
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")


@pytest.fixture
def chall(sqlite_hall):
    add_console_users(sqlite_hall)
    return sqlite_hall


def database(hall) -> hall_db.Database:
    return hall_db.Database(hall.server.database_url)


def audit_rows(hall) -> list:
    d = database(hall)
    with d.session() as s:
        rows = [(a.actor, a.action, a.target, a.subject, a.subject_hash, a.detail, a.client)
                for a in s.scalars(select(hall_db.AuditEntry).order_by(hall_db.AuditEntry.id))]
    d.dispose()
    return rows


def age_sessions(hall, username: str, idle: dt.timedelta = dt.timedelta(0), age: dt.timedelta = dt.timedelta(0)):
    """Move the user's sessions back in time, as if the clock had run on (no sleeping in tests)."""
    d = database(hall)
    with d.session() as s:
        uid = s.scalar(select(hall_db.User.id).where(hall_db.User.username == username))
        now = hall_db.utcnow()
        s.execute(update(hall_db.ConsoleSession).where(hall_db.ConsoleSession.user_id == uid)
                  .values(last_seen_at=now - idle, created_at=now - max(age, idle)))
        s.commit()
    d.dispose()


def new_staff_account(hall) -> str:
    """The manager adds wang.li with a generated password; returns it (shown to the manager once)."""
    m = console_as(hall, MANAGER)
    m.get("/console/users")
    r = m.post("/console/users", {"username": "wang.li", "name": "王丽", "role": "staff", "mode": "generate"})
    return re.search(r'id="new-password">([^<]+)<', r.text).group(1)


def test_a_new_account_must_change_its_password_before_anything_else(chall):
    password = new_staff_account(chall)
    c = Console(chall.base_url)
    r = c.login("wang.li", password)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/password")
    for path in PAGES:
        r = c.http.get(chall.base_url + path, allow_redirects=False, timeout=TIMEOUT)
        assert r.status_code == 303 and r.headers["location"] == f"/console/password?next={path}", path
    assert c.http.get(f"{chall.base_url}/console/api/terminals", timeout=TIMEOUT).status_code == 403
    page = c.get("/console/password")
    assert page.status_code == 200 and 'id="forced"' in page.text and "<nav>" not in page.text
    # Wrong current password, the same password again, a weak one, a mismatch: refused, said why.
    for data, says in [({"current": "not-it-123456", "password": "Wangli-own-2026", "password2": "Wangli-own-2026"},
                        "当前密码不正确"),
                       ({"current": password, "password": password, "password2": password}, "不能与当前密码相同"),
                       ({"current": password, "password": "short1", "password2": "short1"}, "密码太短"),
                       ({"current": password, "password": "Wangli-own-2026", "password2": "Wangli-own-2027"},
                        "不一致")]:
        r = c.post("/console/password", data)
        assert r.status_code == 422 and says in r.text, says
    # Another browser logged in with the same password meanwhile: ended by the change.
    other = Console(chall.base_url)
    other.login("wang.li", password)
    r = c.post("/console/password", {"current": password, "password": "Wangli-own-2026",
                                      "password2": "Wangli-own-2026", "next": "/console/applications"})
    assert r.status_code == 303 and r.headers["location"] == "/console/applications"
    assert c.get("/console/applications").status_code == 200
    assert other.http.get(f"{chall.base_url}/console/", allow_redirects=False, timeout=TIMEOUT).status_code == 303
    assert Console(chall.base_url).login("wang.li", password).status_code == 401          # the old one is gone
    fresh = Console(chall.base_url)
    assert fresh.login("wang.li", "Wangli-own-2026").headers["location"] == "/console/"  # no second change
    rows = audit_rows(chall)
    assert ("wang.li", "password_changed") in [(r[0], r[1]) for r in rows]
    assert not any(password in "".join(r) or "Wangli-own-2026" in "".join(r) for r in rows)


def test_a_reset_by_the_manager_forces_a_change_but_not_ones_own(chall):
    m = console_as(chall, MANAGER)
    page = m.get("/console/users")
    staff_id = re.search(r'/console/users/(\d+)/reset', page.text.split('data-user="staff1"', 1)[1]).group(1)
    r = m.post(f"/console/users/{staff_id}/reset", {"mode": "generate"})
    shown = re.search(r'id="new-password">([^<]+)<', r.text).group(1)
    r = Console(chall.base_url).login(STAFF, shown)
    assert r.headers["location"].startswith("/console/password")
    d = database(chall)
    with d.session() as s:
        manager = s.scalar(select(hall_db.User).where(hall_db.User.username == MANAGER))
        auth.set_password(s, manager, "Manager-own-2026", must_change=False)   # as the console does for one's own
        s.commit()
        assert auth.create_user(s, "cli.user", "Cli-chosen-2026", "manager").must_change_password   # `hall user add`
    d.dispose()
    assert Console(chall.base_url).login(MANAGER, "Manager-own-2026").headers["location"] == "/console/"


def test_idle_sessions_end_and_the_login_page_says_why(chall):
    c = console_as(chall, STAFF)
    age_sessions(chall, STAFF, idle=dt.timedelta(minutes=29))
    assert c.get("/console/applications").status_code == 200                  # 29 min: still there
    age_sessions(chall, STAFF, idle=dt.timedelta(minutes=31))
    r = c.http.get(f"{chall.base_url}/console/applications", allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=/console/applications&expired=idle"
    assert "长时间未操作" in c.http.get(chall.base_url + r.headers["location"], timeout=TIMEOUT).text
    # Gone for good: the row was deleted, coming back later does not revive it.
    age_sessions(chall, STAFF)
    assert c.http.get(f"{chall.base_url}/console/", allow_redirects=False, timeout=TIMEOUT).status_code == 303
    assert c.http.get(f"{chall.base_url}/console/api/terminals", timeout=TIMEOUT).status_code == 401
    c = console_as(chall, STAFF)                         # the dashboard's poll is told why, once
    age_sessions(chall, STAFF, idle=dt.timedelta(minutes=31))
    r = c.http.get(f"{chall.base_url}/console/api/terminals", timeout=TIMEOUT)
    assert r.status_code == 401 and r.headers["x-session-expired"] == "idle"
    assert "x-session-expired" not in c.http.get(f"{chall.base_url}/console/api/terminals", timeout=TIMEOUT).headers
    assert (STAFF, "session_expired", "idle") in [(r[0], r[1], r[5]) for r in audit_rows(chall)]


def test_a_busy_session_still_ends_at_its_lifetime_from_hall_toml(tmp_path):
    server, hall = start_hall(tmp_path, None, "sqlite", console_session_max_hours=2)
    try:
        add_console_users(hall)
        c = console_as(hall, STAFF)
        age_sessions(hall, STAFF, age=dt.timedelta(hours=1, minutes=55))          # active a moment ago
        assert c.get("/console/").status_code == 200
        age_sessions(hall, STAFF, age=dt.timedelta(hours=2, minutes=1))
        r = c.http.get(f"{hall.base_url}/console/", allow_redirects=False, timeout=TIMEOUT)
        assert r.status_code == 303 and r.headers["location"].endswith("&expired=lifetime")
        assert "最长时限" in c.http.get(hall.base_url + r.headers["location"], timeout=TIMEOUT).text
    finally:
        server.stop()


def test_session_lifetimes_are_checked_in_hall_toml():
    base = {"host": "127.0.0.1", "port": 8700, "database_url": "sqlite:///x.db", "catalog_dir": "c", "hall_name": "h"}
    assert settings_from_dict(base).console_session_max_hours == 12 and settings_from_dict(base).console_idle_minutes == 30
    for key, bad in [("console_session_max_hours", 0), ("console_session_max_hours", 73),
                     ("console_session_max_hours", "12"), ("console_idle_minutes", 0)]:
        with pytest.raises(ConfigError, match=key):
            settings_from_dict({**base, key: bad})


def test_every_read_of_a_persons_data_is_audited_and_found_by_id_number(chall):
    hall = chall
    r = requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application().to_json(),
                      headers={**hall.headers, "Idempotency-Key": "audit-read-0001"}, timeout=TIMEOUT)
    no = r.json()["application_no"]
    requests.put(f"{hall.base_url}/api/v1/applications/{no}/materials/signature", data=PNG, timeout=TIMEOUT,
                 headers={**hall.headers, "Content-Type": "image/png"}).raise_for_status()
    staff = console_as(hall, STAFF)
    assert staff.get("/console/applications").status_code == 200
    assert staff.get(f"/console/applications/{no}").status_code == 200
    assert staff.get(f"/console/applications/{no}/materials/signature").status_code == 200
    requests.post(f"{hall.base_url}/api/v1/applications/{no}/progress", json={"id_number": SAMPLE_ID_NUMBER},
                  headers=hall.headers, timeout=TIMEOUT).raise_for_status()
    hall.server.import_credit(REPO_SAMPLE)
    body = {"subject": {"kind": "person", "code": SAMPLE_ID_NUMBER},
            "requester": {"name": SAMPLE_NAME, "id_number": SAMPLE_ID_NUMBER}}
    report = requests.post(f"{hall.base_url}/api/v1/credit-reports", json=body, headers=hall.headers,
                           timeout=TIMEOUT).json()
    requests.get(f"{hall.base_url}/verify/{report['report_no']}", params={"code": report["verify_code"]},
                 timeout=TIMEOUT).raise_for_status()

    reads = [r for r in audit_rows(hall) if r[4]]
    assert [(r[0], r[1], r[2]) for r in reads] == [
        (STAFF, "view_application", no), (STAFF, "view_material", no),
        (f"terminal:{hall.terminal_id}", "api_read_application", no),
        (f"terminal:{hall.terminal_id}", "credit_report_issued", report["report_no"]),
        ("public", "verify_credit_report", report["report_no"])]
    assert len({r[4] for r in reads}) == 1                       # one person, one keyed hash
    assert all(r[3].endswith("1101**********002X") and r[6] == "127.0.0.1" for r in reads)
    assert (STAFF, "view_application_list") in [(r[0], r[1]) for r in audit_rows(hall)]

    # The administrator answers "who has seen my data?" by the full number (POSTed, hashed).
    m = console_as(hall, MANAGER)
    page = m.get("/console/audit")
    assert page.status_code == 200 and "查看办件" in page.text and "1101**********002X" in page.text
    found = m.post("/console/audit", {"person": SAMPLE_ID_NUMBER.lower()})
    assert found.status_code == 200
    listed = re.findall(r'<tr data-action="([a-z_]+)">', found.text)
    assert listed == ["audit_search", "verify_credit_report", "credit_report_issued", "api_read_application",
                      "view_material", "view_application"]
    assert SAMPLE_ID_NUMBER not in found.text
    other = m.post("/console/audit", {"person": "110105194912310038"})
    assert re.findall(r'<tr data-action="([a-z_]+)">', other.text) == ["audit_search"]
    # Staff cannot read the audit log; nowhere in it is a full ID number or a name.
    assert console_as(hall, STAFF).get("/console/audit").status_code == 403
    for row in audit_rows(hall):
        assert SAMPLE_ID_NUMBER not in "".join(row) and SAMPLE_NAME not in "".join(row), row
