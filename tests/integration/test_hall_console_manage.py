"""The manager's console pages over real HTTP: accounts (/console/users) and the credit data
upload (/console/credit-import) — roles, CSRF, audit, strength checks, size limit, and that
the rejected rows come back with their line numbers."""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import func, select

from hall import db as hall_db
from tests.integration.conftest import MANAGER, PASSWORD, STAFF, TECH, Console, add_console_users, console_as

SAMPLE = __import__("tests.integration.test_hall_credit", fromlist=["SAMPLE"]).SAMPLE
TIMEOUT = 10


@pytest.fixture
def chall(sqlite_hall):
    add_console_users(sqlite_hall)
    return sqlite_hall


def database(hall) -> hall_db.Database:
    return hall_db.Database(hall.server.database_url)


def audit(hall) -> list[tuple[str, str, str, str]]:
    d = database(hall)
    with d.session() as s:
        rows = [(a.actor, a.action, a.target, a.detail) for a in s.scalars(select(hall_db.AuditEntry).order_by(hall_db.AuditEntry.id))]
    d.dispose()
    return rows


def user_id(hall, username: str) -> int:
    d = database(hall)
    with d.session() as s:
        uid = s.scalar(select(hall_db.User.id).where(hall_db.User.username == username))
    d.dispose()
    return uid


def shown_password(html: str) -> str:
    m = re.search(r'id="new-password">([^<]+)<', html)
    return m.group(1) if m else ""


# ---- accounts --------------------------------------------------------------------------------------

def test_only_the_manager_opens_the_users_page(chall):
    for who in (STAFF, TECH):
        c = console_as(chall, who)
        r = c.get("/console/users")
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
        assert "无权访问" in r.text and "账户管理" in r.text
        assert 'href="/console/users"' not in r.text                       # not in their navigation either
        assert c.post("/console/users", {"username": "x1", "role": "manager"}).status_code == 403
        assert c.post(f"/console/users/{user_id(chall, MANAGER)}/reset", {"mode": "generate"}).status_code == 403
    m = console_as(chall, MANAGER)
    page = m.get("/console/users")
    assert page.status_code == 200 and 'href="/console/users"' in page.text
    assert all(f'data-user="{u}"' in page.text for u in (MANAGER, STAFF, TECH))


def test_add_a_user_with_a_generated_password_shown_once(chall):
    m = console_as(chall, MANAGER)
    r = m.post("/console/users", {"username": "wang.li", "name": "王丽", "role": "staff", "mode": "generate"})
    assert r.status_code == 200 and "已创建账户 wang.li" in r.text
    password = shown_password(r.text)
    assert len(password) == 19 and re.search(r"\d", password)
    assert password not in m.get("/console/users").text                # once only
    assert Console(chall.base_url).login("wang.li", password).status_code == 303
    assert ("manager1", "user_add", "wang.li", "role=staff") in audit(chall)
    assert not any(password in a[3] for a in audit(chall))


def test_add_a_user_with_a_password_the_manager_sets(chall):
    m = console_as(chall, MANAGER)
    base = {"username": "zhao", "name": "赵", "role": "technician", "mode": "set"}
    for pw, pw2, words in [("short1", "short1", "密码太短"), ("onlyletters-here", "onlyletters-here", "字母和数字"),
                           ("zhao-2026-abcdef", "zhao-2026-abcdef", "不能包含用户名"),
                           ("Good-pass-2026", "Good-pass-2027", "不一致")]:
        r = m.post("/console/users", {**base, "password": pw, "password2": pw2})
        assert r.status_code == 422 and words in r.text, words
        assert 'value="zhao"' in r.text and pw not in r.text                # the form is kept, the password not
    r = m.post("/console/users", {**base, "password": "Good-pass-2026", "password2": "Good-pass-2026"})
    assert r.status_code == 200 and not shown_password(r.text)
    assert Console(chall.base_url).login("zhao", "Good-pass-2026").status_code == 303
    assert m.post("/console/users", {**base, "password": "Good-pass-2026", "password2": "Good-pass-2026"}).status_code == 422
    assert m.post("/console/users", {**base, "username": "Bad Name!"}).status_code == 422
    assert m.post("/console/users", {**base, "role": "root", "password": "Good-pass-2026",
                                     "password2": "Good-pass-2026", "username": "x2"}).status_code == 422


def test_users_changes_need_csrf_and_our_origin(chall):
    m = console_as(chall, MANAGER)
    assert m.post("/console/users", {"username": "x3", "role": "staff"}, csrf=False).status_code == 403
    assert m.post("/console/users", {"username": "x3", "role": "staff"},
                  headers={"Origin": "http://evil.example"}).status_code == 403
    assert m.post(f"/console/users/{user_id(chall, STAFF)}/disable", {"csrf": "wrong"}).status_code == 403
    assert user_id(chall, "x3") is None


def test_disable_logs_out_at_once_and_enable_restores(chall):
    staff = console_as(chall, STAFF)
    m = console_as(chall, MANAGER)
    sid = user_id(chall, STAFF)
    r = m.post(f"/console/users/{sid}/disable")
    assert r.status_code == 200 and "已停用" in r.text
    assert staff.get("/console/applications", allow_redirects=False).status_code == 303     # session gone
    assert Console(chall.base_url).login(STAFF).status_code == 401
    assert m.post(f"/console/users/{sid}/enable").status_code == 200
    assert Console(chall.base_url).login(STAFF).status_code == 303
    # Not oneself, not the last manager.
    mid = user_id(chall, MANAGER)
    r = m.post(f"/console/users/{mid}/disable")
    assert r.status_code == 409 and "不能停用自己" in r.text
    actions = [a[1] for a in audit(chall) if a[0] == MANAGER]
    assert "user_disable" in actions and "user_enable" in actions
    assert m.post("/console/users/999999/disable").status_code == 404


def test_reset_password_and_unlock(chall):
    m = console_as(chall, MANAGER)
    sid = user_id(chall, STAFF)
    for _ in range(5):
        Console(chall.base_url).login(STAFF, "wrong-password-1")
    assert "已锁定" in m.get("/console/users").text
    assert Console(chall.base_url).login(STAFF).status_code == 401                        # locked
    r = m.post(f"/console/users/{sid}/unlock")
    assert r.status_code == 200 and "解除" in r.text
    staff = console_as(chall, STAFF)
    r = m.post(f"/console/users/{sid}/reset", {"mode": "generate"})
    new = shown_password(r.text)
    assert r.status_code == 200 and new
    assert staff.get("/console/applications", allow_redirects=False).status_code == 303   # logged out
    assert Console(chall.base_url).login(STAFF).status_code == 401                        # old password gone
    assert Console(chall.base_url).login(STAFF, new).status_code == 303
    r = m.post(f"/console/users/{sid}/reset", {"mode": "set", "password": "abc", "password2": "abc"})
    assert r.status_code == 422 and "密码太短" in r.text
    # The manager resetting their own password stays logged in.
    r = m.post(f"/console/users/{user_id(chall, MANAGER)}/reset",
               {"mode": "set", "password": "Another-pass-77", "password2": "Another-pass-77"})
    assert r.status_code == 200 and m.get("/console/users").status_code == 200
    actions = [(a[1], a[2]) for a in audit(chall) if a[0] == MANAGER]
    assert ("user_unlock", STAFF) in actions and ("user_reset", STAFF) in actions


def test_a_manager_may_disable_another_manager_but_not_themself(chall):
    chall.server.add_user("boss2", PASSWORD, "manager", "副主任")
    m = console_as(chall, MANAGER)
    b = console_as(chall, "boss2")
    assert b.post(f"/console/users/{user_id(chall, 'boss2')}/disable").status_code == 409
    assert m.post(f"/console/users/{user_id(chall, 'boss2')}/disable").status_code == 200
    assert b.get("/console/users", allow_redirects=False).status_code == 303
    page = m.get("/console/users").text
    assert re.search(r'data-user="boss2" class="user-disabled"', page)


# ---- credit data import ----------------------------------------------------------------------------

def upload(c: Console, name: str, content: bytes, **fields):
    return c.http.post(f"{c.base_url}/console/credit-import", data={"csrf": c.csrf, **fields},
                       files={"file": (name, content)}, timeout=TIMEOUT, allow_redirects=False)


def test_upload_the_sample_file(chall):
    m = console_as(chall, MANAGER)
    assert m.get("/console/credit-import").status_code == 200
    r = upload(m, "credit_sample.json", SAMPLE.read_bytes())
    assert r.status_code == 200, r.text[:2000]
    assert "已导入 24 行" in r.text and 'data-category="penalties"><b>4</b>' in r.text
    assert (MANAGER, "credit_import", "credit_sample.json",
            "subjects=12, licences=5, penalties=4, dishonest=1, abnormal=2") in audit(chall)
    # The data is there: a person gets their report at the kiosk.
    report = requests.post(f"{chall.base_url}/api/v1/credit-reports", headers=chall.headers, timeout=TIMEOUT, json={
        "subject": {"kind": "enterprise", "code": "91320102MA0079192H"},
        "requester": {"name": "王演示", "id_number": "320102198001011019"}})
    assert report.status_code == 201


BAD_CSV = ("行政处罚决定书文号,行政相对人代码,处罚类别,违法行为类型,处罚依据,处罚内容,处罚决定日期,状态,处罚机关\n"
           "玄市监罚〔2026〕1号,91320102MA0079192H,罚款,x,y,z,2026-01-05,已生效,玄武区市场监督管理局\n"
           "玄市监罚〔2026〕2号,91320102MA0079192X,罚款,x,y,z,2026-01-05,已生效,玄武区市场监督管理局\n"
           "玄市监罚〔2026〕3号,91320102MA0079192H,罚款,x,y,z,2026/01/05,已生效,玄武区市场监督管理局\n"
           "玄市监罚〔2026〕4号,91320102MA0079192H,罚款,x,y,z,2026-01-06,已生效,玄武区市场监督管理局\n")


def test_a_file_with_bad_rows_lists_them_by_line_and_imports_nothing(chall):
    m = console_as(chall, MANAGER)
    r = upload(m, "penalties.csv", BAD_CSV.encode("utf-8"))
    assert r.status_code == 422 and "未导入任何数据" in r.text
    lines = re.findall(r'<tr data-line="(\d+)">', r.text)
    assert lines == ["3", "4"]
    assert "行政相对人代码" in r.text and "校验位" in r.text and "日期格式应为 YYYY-MM-DD" in r.text
    d = database(chall)
    with d.session() as s:
        assert s.scalar(select(func.count()).select_from(hall_db.CreditRecord)) == 0
    d.dispose()
    assert any(a[:3] == (MANAGER, "credit_import_refused", "penalties.csv") for a in audit(chall))
    # …or the good rows only, when the manager asks for it.
    r = upload(m, "penalties.csv", BAD_CSV.encode("utf-8"), skip_bad_rows="1")
    assert r.status_code == 200 and "已导入 2 行" in r.text and re.findall(r'<tr data-line="(\d+)">', r.text) == ["3", "4"]


def test_bad_files_are_refused_in_words(chall):
    m = console_as(chall, MANAGER)
    r = upload(m, "penalties.csv", BAD_CSV.encode("gbk"))
    assert r.status_code == 422 and "UTF-8" in r.text
    r = upload(m, "x.json", b'{"subjects": [')
    assert r.status_code == 422 and "不是有效的 JSON" in r.text
    r = upload(m, "data.csv", b"a,b\n1,2\n")
    assert r.status_code == 422 and "数据类别" in r.text
    r = upload(m, "data.csv", b"record_no\n1\n", kind="licences")                   # chosen category
    assert r.status_code == 422 and 'data-line="2"' in r.text
    r = upload(m, "x.xlsx", b"PK\x03\x04")
    assert r.status_code == 422 and ".csv 或 .json" in r.text
    r = upload(m, "big.csv", b"x" * (4 * 1024 * 1024 + 1))
    assert r.status_code == 413
    r = upload(m, "p.csv", b"a\n", kind="nonsense")
    assert r.status_code == 400
    r = m.http.post(f"{m.base_url}/console/credit-import", data={"csrf": m.csrf}, timeout=TIMEOUT)
    assert r.status_code in (400, 422) and r.status_code != 500


def test_credit_import_is_manager_only_and_csrf_checked(chall):
    staff = console_as(chall, STAFF)
    assert staff.get("/console/credit-import").status_code == 403
    assert upload(staff, "credit_sample.json", SAMPLE.read_bytes()).status_code == 403
    m = console_as(chall, MANAGER)
    r = m.http.post(f"{m.base_url}/console/credit-import", files={"file": ("credit_sample.json", SAMPLE.read_bytes())},
                    timeout=TIMEOUT)
    assert r.status_code == 403
    d = database(chall)
    with d.session() as s:
        assert s.scalar(select(func.count()).select_from(hall_db.CreditSubject)) == 0
    d.dispose()
