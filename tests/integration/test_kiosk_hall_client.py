"""The kiosk's hall client and outbox against a real hall over HTTP on 127.0.0.1."""
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from hall.embedded import EmbeddedHall
from kiosk.clock import SystemClock
from kiosk.domain.application import Applicant, Application
from kiosk.domain.application_no import is_valid_application_no
from kiosk.domain.form import example_value
from kiosk.domain.identity import ric_check_symbol
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.platform import HallHttpClient
from kiosk.ports import HallRejected, HallUnavailable

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = "T-TEST-01"


@pytest.fixture
def hall(tmp_path):
    h = EmbeddedHall(tmp_path / "hall", ROOT / "config" / "catalog")
    h.start()
    h.token = h.enrol_terminal(TERMINAL, "测试终端", "一楼")
    yield h
    h.stop()


def client_for(hall, tmp_path, token=None):
    return HallHttpClient(f"http://127.0.0.1:{hall.port}", token or hall.token, TERMINAL,
                          cache_dir=tmp_path / "kiosk", connect_timeout_s=1, read_timeout_s=5)


def application(client, name="张三") -> Application:
    matter = next(m for m in client.catalog().matters if m.name == "户外广告设施设置审批")
    first17 = "32010219900307123"
    values = {f.name: example_value(f) for f in matter.form if f.required}
    for f in matter.form:
        if f.prefill == "idcard.name":
            values[f.name] = name
        if f.prefill == "idcard.id_number":
            values[f.name] = first17 + ric_check_symbol(first17)
    return Application(matter.code, matter.version, Applicant(name, first17 + ric_check_symbol(first17), "13912345678"),
                       values, TERMINAL)


def hall_rows(hall):
    with sqlite3.connect(hall.data_dir / "hall.db") as con:
        return con.execute("SELECT application_no, idempotency_key FROM applications ORDER BY id").fetchall()


def test_catalog_cached_with_etag_and_offline(hall, tmp_path):
    c = client_for(hall, tmp_path)
    first = c.catalog()
    assert first.etag and any(m.name == "公共场所卫生许可证注销" for m in first.matters)
    assert c.catalog().etag == first.etag            # 304 path: served from the cache
    hall.stop()
    offline = client_for(hall, tmp_path).catalog()   # a fresh client, the hall away: the cache
    assert [m.code for m in offline.matters] == [m.code for m in first.matters]


def test_bad_token_is_rejected_not_retried(hall, tmp_path):
    with pytest.raises(HallRejected) as e:
        client_for(hall, tmp_path, token="wrong").catalog()
    assert e.value.status == 401


def test_submit_is_idempotent(hall, tmp_path):
    c = client_for(hall, tmp_path)
    app, key = application(c), uuid.uuid4().hex
    a = c.submit(app, key)
    b = c.submit(app, key)
    assert a.application_no == b.application_no and is_valid_application_no(a.application_no)
    with pytest.raises(HallRejected) as e:
        c.submit(application(c, name="李四"), key)   # same key, different body
    assert e.value.status == 409


def test_outbox_survives_hall_restart_nothing_lost_nothing_doubled(hall, tmp_path):
    c = client_for(hall, tmp_path)
    apps = [application(c, n) for n in ("张三", "李四", "王五")]
    outbox = SqliteOutbox(tmp_path / "kiosk" / "outbox.sqlite3", SystemClock())
    sender = OutboxSender(outbox, lambda item: {"application_no": c.submit(Application.from_json(item.payload), item.key).application_no})
    # The first one reaches the hall but "the reply is lost": the outbox still holds it.
    key0 = uuid.uuid4().hex
    outbox.enqueue(key0, "application", apps[0].to_json())
    c.submit(apps[0], key0)
    hall.stop()
    keys = [key0]
    for app in apps[1:]:
        keys.append(uuid.uuid4().hex)
        outbox.enqueue(keys[-1], "application", app.to_json())
    assert not sender.drain_once() and outbox.pending_count() == 3
    with pytest.raises(HallUnavailable):
        sender.send_now(outbox.pending()[0])
    # a new outbox object on the same file: what a restarted kiosk sees
    outbox.close()
    outbox = SqliteOutbox(tmp_path / "kiosk" / "outbox.sqlite3", SystemClock())
    sender = OutboxSender(outbox, lambda item: {"application_no": c.submit(Application.from_json(item.payload), item.key).application_no})
    assert outbox.pending_count() == 3
    hall.start()
    sender.start()
    sender.wake()
    deadline = time.monotonic() + 10
    while outbox.pending_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    sender.stop()
    assert outbox.pending_count() == 0
    rows = hall_rows(hall)
    assert sorted(k for _, k in rows) == sorted(keys)      # each exactly once
    assert all(outbox.result(k)["application_no"] in {n for n, _ in rows} for k in keys)
    outbox.close()


def test_heartbeat_carries_commands_and_ack(hall, tmp_path):
    c = client_for(hall, tmp_path)
    cid = hall.queue_command(TERMINAL, "notice", {"text": "今日16:00后暂停服务"})
    snapshot = {"app_version": "0.1.0", "uptime_s": 5, "screen": "attract",
                "devices": {"printer": {"state": "ok", "code": "", "detail": ""}}, "outbox_pending": 0}
    [cmd] = c.heartbeat(snapshot)
    assert cmd.id == cid and cmd.kind == "notice" and cmd.payload["text"] == "今日16:00后暂停服务"
    c.ack(cmd.id)
    assert c.heartbeat(snapshot) == []
