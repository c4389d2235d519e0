"""What watches the hall stays cheap at 10,000 terminals (docs/decisions.md 21): the dashboard's
poll shares one versioned snapshot and sends only changed tiles, /metrics is collected once per
few seconds, successful heartbeats are not access-logged."""
from __future__ import annotations

import logging
import time

import pytest
import requests

from tests.integration.conftest import MANAGER, add_console_users, console_as, start_hall
from tests.integration.test_hall_monitoring import HEALTHY, beat

TIMEOUT = 10


def _fresh(hall):
    """Make the next poll rebuild the shared snapshot (instead of waiting out its 2 s)."""
    hall.server.app.state.dashboard.max_age_s = 0


def test_dashboard_poll_sends_only_changed_tiles(hall):
    add_console_users(hall)
    c = console_as(hall, MANAGER)
    _fresh(hall)
    first = c.get("/console/api/terminals").json()
    assert first["full"] is True and [t["id"] for t in first["terminals"]] == ["T-TEST-1"]
    assert first["terminals"][0]["reason"] == "从未连接" and first["summary"] == {"green": 0, "amber": 0, "red": 1}
    # Nothing changed: no tiles, the same version.
    same = c.get("/console/api/terminals", params={"since": first["version"]}).json()
    assert same == {"version": first["version"], "full": False, "terminals": [], "summary": first["summary"]}
    # A second terminal appears: the set changed, so everything again (the page must place it).
    hall.server.enrol_terminal("T-TEST-2", "二号机", "二楼")
    grown = c.get("/console/api/terminals", params={"since": first["version"]}).json()
    assert grown["full"] is True and [t["id"] for t in grown["terminals"]] == ["T-TEST-1", "T-TEST-2"]
    # One terminal's status changes: only its tile, with the reason in words.
    beat(hall, {**HEALTHY, "interval_s": 30, "devices": {"printer": {"state": "paper_near_end"}}})
    delta = c.get("/console/api/terminals", params={"since": grown["version"]}).json()
    assert delta["full"] is False and delta["version"] != grown["version"]
    assert [(t["id"], t["level"], t["reason"]) for t in delta["terminals"]] == [("T-TEST-1", "amber", "打印机纸将用尽")]
    assert delta["summary"] == {"green": 0, "amber": 1, "red": 1}
    # Another heartbeat with the same status changes no tile (last_heartbeat is not on the tile).
    beat(hall, {**HEALTHY, "interval_s": 30, "uptime_s": 999, "devices": {"printer": {"state": "paper_near_end"}}})
    assert c.get("/console/api/terminals", params={"since": delta["version"]}).json()["terminals"] == []
    # A version of another process (or a restart), or garbage: everything, never an error.
    for since in ("0000.1", "x" * 64, f"{delta['version'].split('.')[0]}.999", ""):
        r = c.get("/console/api/terminals", params={"since": since})
        assert r.status_code == 200 and r.json()["full"] is True, since
    assert c.get("/console/api/terminals", params={"since": "x" * 65}).status_code == 422


def test_dashboard_snapshot_is_shared_for_two_seconds(sqlite_hall):
    add_console_users(sqlite_hall)
    a, b = console_as(sqlite_hall, MANAGER), console_as(sqlite_hall, MANAGER)
    first = a.get("/console/api/terminals").json()
    beat(sqlite_hall, {**HEALTHY, "interval_s": 30})
    # Within the snapshot's age both consoles see the same version; the page embeds it too.
    assert b.get("/console/api/terminals").json()["version"] == first["version"]
    assert f'data-version="{first["version"]}"' in b.get("/console/").text


def test_metrics_collected_once_per_few_seconds(sqlite_hall):
    url = f"{sqlite_hall.base_url}/metrics"
    first = requests.get(url, timeout=TIMEOUT).text
    beat(sqlite_hall)
    second = requests.get(url, timeout=TIMEOUT).text       # within CACHE_S: the same collection
    assert 'hall_terminal_up{terminal="T-TEST-1"} 0.0' in first and 'hall_terminal_up{terminal="T-TEST-1"} 0.0' in second
    sqlite_hall.server.app.state.metrics.collector.cache_s = 0
    third = requests.get(url, timeout=TIMEOUT).text
    assert 'hall_terminal_up{terminal="T-TEST-1"} 1.0' in third
    # Per terminal only what the alert rules use; levels and devices are counts.
    assert "hall_terminal_status_level" not in third and "hall_terminal_device_status" not in third
    assert 'hall_terminals{level="green"} 1.0' in third
    assert 'hall_terminal_devices{device="printer",state="ok"} 1.0' in third


def test_label_values_are_escaped(sqlite_hall):
    sqlite_hall.server.enrol_terminal('T-"q"\\x', "怪名终端", "一楼")
    sqlite_hall.server.app.state.metrics.collector.cache_s = 0
    text = requests.get(f"{sqlite_hall.base_url}/metrics", timeout=TIMEOUT).text
    assert 'hall_terminal_up{terminal="T-\\"q\\"\\\\x"} 0.0' in text


def _access_lines(caplog):
    return [r for r in caplog.records if r.name in ("hall", "hall.heartbeats") and " -> " in r.getMessage()]


def test_successful_heartbeats_are_not_access_logged(sqlite_hall, caplog):
    caplog.set_level(logging.INFO)
    beat(sqlite_hall)
    bad = requests.post(f"{sqlite_hall.base_url}/api/v1/terminals/{sqlite_hall.terminal_id}/heartbeat",
                        json={"interval_s": 0}, headers=sqlite_hall.headers, timeout=TIMEOUT)
    assert bad.status_code == 422
    requests.get(f"{sqlite_hall.base_url}/healthz", timeout=TIMEOUT)
    # the server logs a request once its response is sent: the client can be back before that
    deadline = time.monotonic() + 5
    while not any("/healthz -> 200" in r.getMessage() for r in _access_lines(caplog)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    lines = [r.getMessage() for r in _access_lines(caplog)]
    assert not any("heartbeat -> 200" in m for m in lines), lines
    assert any("heartbeat -> 422" in m for m in lines) and any("/healthz -> 200" in m for m in lines), lines


@pytest.fixture
def chatty_hall(tmp_path):
    server, running = start_hall(tmp_path, None, "sqlite", log_heartbeats=True)
    try:
        yield running
    finally:
        server.stop()
        logging.getLogger("hall.heartbeats").setLevel(logging.NOTSET)


def test_log_heartbeats_turns_them_back_on(chatty_hall, caplog):
    caplog.set_level(logging.INFO)               # the loggers as `hall serve` has them…
    caplog.handler.setLevel(logging.DEBUG)       # …and a handler that keeps whatever reaches it
    beat(chatty_hall)
    lines = [(r.name, r.levelno, r.getMessage()) for r in _access_lines(caplog)]
    assert ("hall.heartbeats", logging.DEBUG, "POST /api/v1/terminals/T-TEST-1/heartbeat -> 200") in [
        (n, lv, m.rsplit(" (", 1)[0]) for n, lv, m in lines], lines
