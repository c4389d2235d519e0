"""好差评 over HTTP: five levels, reasons required for the two lowest, linked applications,
idempotency, and the follow-up (处理 then 回访) in the console."""
from __future__ import annotations

import uuid

import requests

from tests.integration.conftest import STAFF, add_console_users, console_as

TIMEOUT = 10


def evaluate(hall, body, key=None):
    return requests.post(f"{hall.base_url}/api/v1/evaluations", json=body, timeout=TIMEOUT,
                         headers={**hall.headers, "Idempotency-Key": key or uuid.uuid4().hex})


def test_levels_and_reasons(hall):
    r = evaluate(hall, {"level": 5})
    assert r.status_code == 201 and r.json()["level_text"] == "非常满意" and not r.json()["follow_up"]
    assert evaluate(hall, {"level": 3}).json()["level_text"] == "基本满意"
    for level in (1, 2):
        r = evaluate(hall, {"level": level})
        assert r.status_code == 422 and "原因" in r.json()["detail"]
        assert evaluate(hall, {"level": level, "reasons": ["  "]}).status_code == 422
        r = evaluate(hall, {"level": level, "reasons": ["办理时间长"]})
        assert r.status_code == 201 and r.json()["follow_up"]
    assert evaluate(hall, {"level": 1, "comment": "排队太久"}).status_code == 201
    for bad in ({"level": 0}, {"level": 6}, {"level": "5"}, {"level": 5.0}, {"level": True}, {},
                {"level": 2, "reasons": ["x" * 51]}, {"level": 2, "reasons": ["a"] * 11}, {"level": 5, "extra": 1},
                {"level": 5, "comment": "\x00"}, {"level": 5, "application_no": 123}):
        assert evaluate(hall, bad).status_code == 422, bad


def test_linked_to_an_application_and_idempotent(sqlite_hall):
    hall = sqlite_hall
    app = requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application().to_json(),
                        headers={**hall.headers, "Idempotency-Key": "eval-link-app"}, timeout=TIMEOUT).json()
    body = {"level": 4, "application_no": app["application_no"]}
    first = evaluate(hall, body, "eval-key-0001")
    assert first.status_code == 201
    again = evaluate(hall, body, "eval-key-0001")
    assert again.status_code == 200 and again.json() == first.json()
    assert evaluate(hall, {**body, "level": 5}, "eval-key-0001").status_code == 409
    assert evaluate(hall, {"level": 4, "application_no": "QY2026010100001X"}).status_code == 422
    assert evaluate(hall, {"level": 4}, key="short").status_code == 400
    metrics = requests.get(f"{hall.base_url}/metrics", timeout=TIMEOUT).text
    assert 'hall_evaluations_total{level="4",matter="320102-XK-CG-001"} 1.0' in metrics


def test_follow_up_in_the_console(sqlite_hall):
    hall = sqlite_hall
    add_console_users(hall)
    eid = evaluate(hall, {"level": 1, "reasons": ["工作人员服务态度差"], "comment": "窗口无人"}).json()["id"]
    evaluate(hall, {"level": 5})
    staff = console_as(hall, STAFF)
    page = staff.get("/console/evaluations")
    assert "非常不满意" in page.text and "工作人员服务态度差" in page.text and "非常满意" not in page.text
    assert staff.post(f"/console/evaluations/{eid}/revisit", {"note": "已回访"}).status_code == 409   # handle first
    assert staff.post(f"/console/evaluations/{eid}/handle", {"note": ""}).status_code == 400
    assert staff.post(f"/console/evaluations/{eid}/handle", {"note": "已约谈窗口负责人，增加午间值守"}).status_code == 303
    assert staff.post(f"/console/evaluations/{eid}/revisit", {"note": "电话回访，群众表示满意"}).status_code == 303
    assert "没有需要跟进的评价" in staff.get("/console/evaluations").text
    full = staff.get("/console/evaluations?show=all").text
    assert "已约谈窗口负责人" in full and "电话回访，群众表示满意" in full and "非常满意" in full
    assert "hall_evaluation_follow_ups_open 0.0" in requests.get(f"{hall.base_url}/metrics", timeout=TIMEOUT).text
