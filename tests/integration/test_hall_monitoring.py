"""Terminal monitoring over HTTP: assessment in words, offline after 3 missed intervals, status
history, command states (queued → delivered → acked), and /metrics."""
from __future__ import annotations

import time

import pytest
import requests

from tests.integration.conftest import MANAGER, TECH, add_console_users, console_as

TIMEOUT = 10
HEALTHY = {"app_version": "0.2.0", "uptime_s": 60, "screen": "attract", "interval_s": 1, "outbox_pending": 0,
           "devices": {"printer": {"state": "ok"}, "idcard": {"state": "ok"}, "scanner": {"state": "ok"}},
           "today": {"sessions": 12, "applications": 3, "prints": 4}, "last_error": ""}


def beat(hall, body=None, token_headers=None):
    r = requests.post(f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/heartbeat", json=body or HEALTHY,
                      headers=token_headers or hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["commands"]


def view(console, tid):
    return console.get(f"/console/api/terminals/{tid}").json()


def wait_for(predicate, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("devices, extra, level, words", [
    ({"printer": {"state": "paper_near_end"}}, {}, "amber", "打印机纸将用尽"),
    ({"printer": {"state": "paper_out"}}, {}, "red", "打印机缺纸"),
    ({"idcard": {"state": "fault", "code": "sam_selftest", "detail": "安全模块自检失败"}}, {}, "red",
     "身份证阅读器故障（安全模块自检失败）"),
    ({"scanner": {"state": "absent"}}, {}, "red", "扫码器未连接"),
    ({}, {"outbox_pending": 12}, "amber", "待上传 12 件"),
    ({}, {"screen": "maintenance"}, "amber", "维护模式"),
    ({"hall": {"state": "absent"}}, {}, "green", "正常"),
])
def test_assessment_in_words(sqlite_hall, devices, extra, level, words):
    add_console_users(sqlite_hall)
    beat(sqlite_hall, {**HEALTHY, "devices": {**HEALTHY["devices"], **devices}, **extra})
    v = view(console_as(sqlite_hall, MANAGER), sqlite_hall.terminal_id)
    assert (v["level"], v["reason"]) == (level, words)


def test_offline_after_three_missed_intervals_and_back(hall):
    add_console_users(hall)
    c = console_as(hall, MANAGER)
    assert view(c, hall.terminal_id)["reason"] == "从未连接"
    beat(hall)
    v = view(c, hall.terminal_id)
    assert v["online"] and v["level"] == "green" and v["screen"] == "attract" and v["today"]["sessions"] == 12
    t0 = time.monotonic()
    v = wait_for(lambda: (lambda x: x if not x["online"] else None)(view(c, hall.terminal_id)))
    assert 2.5 <= time.monotonic() - t0 <= 6 and v["level"] == "red" and v["reason"].startswith("离线")
    # The sweeper records it once in the history.
    wait_for(lambda: any(e["kind"] == "offline" for e in view(c, hall.terminal_id)["events"]))
    beat(hall)
    v = view(c, hall.terminal_id)
    assert v["online"] and v["level"] == "green"
    kinds = [e["kind"] for e in v["events"]][::-1]
    assert kinds == ["online", "offline", "online"]
    assert v["events"][0]["text"].startswith("恢复在线")
    tiles = c.get("/console/api/terminals").json()
    assert tiles["summary"] == {"green": 1, "amber": 0, "red": 0}


def test_commands_queued_delivered_acked(hall):
    add_console_users(hall)
    tech, manager = console_as(hall, TECH), console_as(hall, MANAGER)
    assert tech.post(f"/console/terminals/{hall.terminal_id}/commands",
                     {"kind": "notice", "text": "今天 16:00 后暂停受理"}).status_code == 303
    tech.post(f"/console/terminals/{hall.terminal_id}/commands", {"kind": "maintenance_on"})
    states = lambda: [(c["kind"], c["state"]) for c in view(manager, hall.terminal_id)["commands"]][::-1]  # noqa: E731
    assert states() == [("notice", "queued"), ("maintenance_on", "queued")]
    cmds = beat(hall)
    assert [c["kind"] for c in cmds] == ["notice", "maintenance_on"] and cmds[0]["payload"] == {"text": "今天 16:00 后暂停受理"}
    assert states() == [("notice", "delivered"), ("maintenance_on", "delivered")]
    for c in cmds:
        r = requests.post(f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/commands/{c['id']}/ack",
                          headers=hall.headers, timeout=TIMEOUT)
        assert r.status_code == 204
    assert states() == [("notice", "acked"), ("maintenance_on", "acked")]
    assert beat(hall) == []
    page = manager.get(f"/console/terminals/{hall.terminal_id}")
    assert page.text.count("已确认") >= 2 and "今天 16:00 后暂停受理" in page.text
    assert manager.post(f"/console/terminals/{hall.terminal_id}/commands", {"kind": "format_disk"}).status_code == 400


def test_metrics(hall):
    other = hall.server.enrol_terminal("T-SILENT", "未上线终端", "二楼")
    assert other
    beat(hall, {**HEALTHY, "outbox_pending": 7, "devices": {"printer": {"state": "paper_out"}}})
    requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application().to_json(),
                  headers={**hall.headers, "Idempotency-Key": "metrics-app-1"}, timeout=TIMEOUT)
    requests.post(f"{hall.base_url}/api/v1/evaluations", json={"level": 1, "reasons": ["办理时间长"]},
                  headers={**hall.headers, "Idempotency-Key": "metrics-eval-1"}, timeout=TIMEOUT)
    r = requests.get(f"{hall.base_url}/metrics", timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    for line in ['hall_terminal_up{terminal="T-TEST-1"} 1.0', 'hall_terminal_up{terminal="T-SILENT"} 0.0',
                 'hall_terminal_paper_state{state="out",terminal="T-TEST-1"} 1.0',
                 'hall_terminal_outbox_depth{terminal="T-TEST-1"} 7.0',
                 'hall_terminal_devices{device="printer",state="paper_out"} 1.0',
                 'hall_terminals{level="red"} 2.0', 'hall_terminals{level="green"} 0.0',
                 'hall_applications_total{matter="320102-XK-CG-001"} 1.0',
                 'hall_evaluations_total{level="1",matter=""} 1.0', "hall_evaluation_follow_ups_open 1.0",
                 "hall_database_up 1.0"]:
        assert line in text, line
    assert "张三" not in text
