"""Processing by staff, seen by the kiosk's progress query: 受理 / 不予受理 / 补正 / 办结, time limits
and overdue flags, material images, an applicant's list."""
from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path

import requests
from PIL import Image
from sqlalchemy import update

from hall import db as hall_db
from hall.holidays import load_calendar
from tests.integration.conftest import SAMPLE_ID_NUMBER, STAFF, add_console_users, console_as

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10


def submit(hall, **overrides) -> str:
    r = requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application(**overrides).to_json(),
                      headers={**hall.headers, "Idempotency-Key": uuid.uuid4().hex}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    return r.json()["application_no"]


def progress(hall, no, id_number=SAMPLE_ID_NUMBER) -> dict:
    r = requests.get(f"{hall.base_url}/api/v1/applications/{no}", params={"id_number": id_number},
                     headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def image(fmt="JPEG", size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def put_material(hall, no, mid, data, ctype="image/jpeg", headers=None):
    return requests.put(f"{hall.base_url}/api/v1/applications/{no}/materials/{mid}", data=data, timeout=TIMEOUT,
                        headers={**(hall.headers if headers is None else headers), "Content-Type": ctype})


def test_staff_processing_is_visible_to_the_kiosk(hall):
    add_console_users(hall)
    no = submit(hall)
    p = progress(hall, no)
    assert p["status"] == "submitted" and p["promised_due"] and p["overdue"] == ""
    assert [e["status"] for e in p["timeline"]] == ["submitted"]

    staff = console_as(hall, STAFF)
    act = f"/console/applications/{no}/action"
    r = staff.post(act, {"action": "correction", "note": ""})
    assert r.status_code == 409 and "补正" in r.text and progress(hall, no)["status"] == "submitted"  # refused: no note
    assert staff.post(act, {"action": "correction", "note": "请补充户外广告设计效果图"}).status_code == 303
    p = progress(hall, no)
    assert (p["status"], p["status_text"], p["note"]) == ("correction", "待补正", "请补充户外广告设计效果图")

    assert staff.post(act, {"action": "complete"}).status_code == 409           # not from 待补正
    assert staff.post(act, {"action": "accept"}).status_code == 303
    assert staff.post(act, {"action": "complete", "note": "准予许可"}).status_code == 303
    p = progress(hall, no)
    assert p["status"] == "completed" and p["status_text"] == "已办结"
    assert [e["status"] for e in p["timeline"]] == ["submitted", "correction", "accepted", "completed"]
    assert staff.post(act, {"action": "reject", "note": "x"}).status_code == 409   # final
    page = staff.get(f"/console/applications/{no}")
    assert "已办结" in page.text and "请补充户外广告设计效果图" in page.text


def test_reject_needs_a_reason(sqlite_hall):
    hall = sqlite_hall
    add_console_users(hall)
    no = submit(hall)
    staff = console_as(hall, STAFF)
    assert "理由" in staff.post(f"/console/applications/{no}/action", {"action": "reject"}).text
    staff.post(f"/console/applications/{no}/action", {"action": "reject", "note": "不属于本事项受理范围"})
    p = progress(hall, no)
    assert p["status"] == "rejected" and p["note"] == "不属于本事项受理范围"


def test_overdue_is_flagged(sqlite_hall):
    hall = sqlite_hall
    add_console_users(hall)
    late, very_late, fine = submit(hall), submit(hall), submit(hall)
    today = dt.date.today()
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        R = hall_db.ApplicationRecord
        s.execute(update(R).where(R.application_no == late).values(promised_due=today - dt.timedelta(days=1)))
        s.execute(update(R).where(R.application_no == very_late).values(
            promised_due=today - dt.timedelta(days=30), legal_due=today - dt.timedelta(days=2)))
        s.commit()
    d.dispose()
    assert progress(hall, late)["overdue"] == "promised"
    assert progress(hall, very_late)["overdue"] == "legal"
    assert progress(hall, fine)["overdue"] == ""
    page = console_as(hall, STAFF).get("/console/applications")
    assert "超承诺时限" in page.text and "超法定时限" in page.text and page.text.count('class="overdue"') == 2


def test_due_dates_count_working_days(sqlite_hall):
    p = progress(sqlite_hall, submit(sqlite_hall))     # 户外广告: 承诺 5, 法定 20 working days
    received = dt.date.fromisoformat(p["received_at"][:10])
    promised = dt.date.fromisoformat(p["promised_due"])
    legal = dt.date.fromisoformat(p["legal_due"])
    # counted with the shipped holiday calendar (its own dates are checked in tests/unit/test_holidays.py):
    # a fixed span of calendar days would fail when a run falls shortly before 国庆 or 春节
    calendar = load_calendar(ROOT / "config" / "holidays")
    assert calendar.is_working_day(promised) and calendar.is_working_day(legal)
    assert promised == calendar.add_working_days(received, 5) and legal == calendar.add_working_days(received, 20)
    assert (promised - received).days >= 5 and (legal - received).days >= 20


def test_materials_are_stored_and_shown_to_staff(hall):
    add_console_users(hall)
    no = submit(hall)
    jpeg, png = image(), image("PNG")
    r = put_material(hall, no, "design", jpeg)
    assert r.status_code == 200 and r.json()["size"] == len(jpeg)
    assert put_material(hall, no, "signature", png, "image/png").status_code == 200
    assert put_material(hall, no, "design", jpeg).status_code == 200                 # a retry replaces
    assert progress(hall, no)["materials"] == ["design", "signature"]
    staff = console_as(hall, STAFF)
    page = staff.get(f"/console/applications/{no}")
    assert f"/console/applications/{no}/materials/design" in page.text
    got = staff.http.get(f"{hall.base_url}/console/applications/{no}/materials/signature", timeout=TIMEOUT)
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    # Once accepted, no more materials from the kiosk.
    staff.post(f"/console/applications/{no}/action", {"action": "accept"})
    assert put_material(hall, no, "late", jpeg).status_code == 409


def test_material_uploads_are_checked(sqlite_hall):
    hall = sqlite_hall
    no = submit(hall)
    jpeg = image()
    assert put_material(hall, no, "x", b"GIF89a....", "image/gif").status_code == 415
    assert put_material(hall, no, "x", b"not an image at all", "image/jpeg").status_code == 415
    assert put_material(hall, no, "x", jpeg, "application/json").status_code == 415
    assert put_material(hall, no, "x", b"\xff\xd8\xff" + b"\0" * (3 * 1024 * 1024 + 10)).status_code == 413
    assert put_material(hall, no, "bad/id", jpeg).status_code in (404, 422)
    assert put_material(hall, no, "x" * 65, jpeg).status_code == 422
    assert put_material(hall, "QY2026112899999X", "x", jpeg).status_code == 404
    other = hall.server.enrol_terminal("T-OTHER", "另一台", "二楼")
    assert put_material(hall, no, "x", jpeg, headers={"Authorization": f"Bearer {other}"}).status_code == 404
    assert put_material(hall, no, "x", jpeg, headers={}).status_code == 401


def test_an_applicants_list(sqlite_hall):
    hall = sqlite_hall
    mine = [submit(hall), submit(hall)]
    url = f"{hall.base_url}/api/v1/applications"
    r = requests.get(url, params={"applicant": SAMPLE_ID_NUMBER.lower()}, headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200
    assert [a["application_no"] for a in r.json()["applications"]] == mine[::-1]       # newest first
    for other in ("320102199003071234", "张三", ""):
        r = requests.get(url, params={"applicant": other}, headers=hall.headers, timeout=TIMEOUT)
        assert r.status_code in (200, 422) and (r.status_code == 422 or r.json() == {"applications": []})
    assert requests.get(url, params={"applicant": SAMPLE_ID_NUMBER}, timeout=TIMEOUT).status_code == 401
