"""The hall API over real HTTP (EmbeddedHall on 127.0.0.1, requests as the client)."""
from __future__ import annotations

import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select, update

from hall import db as hall_db
from hall.embedded import EmbeddedHall
from kiosk.domain.application_no import is_valid_application_no
from kiosk.domain.catalogue import Catalog, CatalogError
from tests.integration.conftest import CATALOG_DIR, GGCS_ZX, HWGG, SAMPLE_ID_NUMBER, SAMPLE_NAME

TIMEOUT = 10


def key() -> str:
    return uuid.uuid4().hex


def submit(hall, body, idem=None, headers=None):
    h = {**hall.headers, "Idempotency-Key": idem or key(), **(headers or {})}
    return requests.post(f"{hall.base_url}/api/v1/applications", json=body, headers=h, timeout=TIMEOUT)


def database(hall) -> hall_db.Database:
    return hall_db.Database(hall.server.database_url)


def test_healthz_needs_no_token(hall):
    r = requests.get(f"{hall.base_url}/healthz", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"ok": True}


def test_catalog_with_etag_and_304(hall):
    url = f"{hall.base_url}/api/v1/catalog"
    r = requests.get(url, headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 66
    catalog = Catalog.from_json(r.json(), etag=etag)           # the kiosk's own parser accepts it
    codes = {m.code for m in catalog.matters}
    assert {HWGG, GGCS_ZX} <= codes
    assert catalog.get(HWGG).name == "户外广告设施设置审批"
    for inm in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r304 = requests.get(url, headers={**hall.headers, "If-None-Match": inm}, timeout=TIMEOUT)
        assert r304.status_code == 304 and r304.content == b"" and r304.headers["ETag"] == etag
    stale = requests.get(url, headers={**hall.headers, "If-None-Match": '"stale"'}, timeout=TIMEOUT)
    assert stale.status_code == 200 and stale.headers["ETag"] == etag


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Bearer ", "Basic dXNlcjpwYXNz", "bearer " + "x" * 5000])
def test_api_needs_a_valid_token(hall, auth):
    headers = {} if auth is None else {"Authorization": auth}
    for method, path, body in [("GET", "/api/v1/catalog", None),
                               ("POST", "/api/v1/applications", "{not json"),
                               ("POST", f"/api/v1/terminals/{hall.terminal_id}/heartbeat", "{}"),
                               ("GET", "/api/v1/applications/QY2026112800001C", None)]:
        r = requests.request(method, hall.base_url + path, data=body, timeout=TIMEOUT,
                             headers={**headers, "Content-Type": "application/json", "Idempotency-Key": key()})
        assert r.status_code == 401, (method, path)
        assert r.json() == {"detail": "unauthorized"}


def test_revoked_token_is_refused(hall):
    d = database(hall)
    with d.session() as s:
        s.execute(update(hall_db.Terminal).where(hall_db.Terminal.id == hall.terminal_id).values(revoked=True))
        s.commit()
    d.dispose()
    # Every hall process re-reads the valid tokens each TerminalTokens.REFRESH_S (1 s): refused by then.
    deadline = time.monotonic() + 2.5
    while (r := requests.get(f"{hall.base_url}/api/v1/catalog", headers=hall.headers, timeout=TIMEOUT)).status_code == 200 \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert r.status_code == 401 and r.json() == {"detail": "unauthorized"}


def test_submit_is_idempotent(hall):
    body = hall.sample_application().to_json()
    k = key()
    first = submit(hall, body, k)
    assert first.status_code == 201, first.text
    out = first.json()
    assert set(out) >= {"application_no", "status", "matter_name", "time_limit_text", "received_at"}
    assert is_valid_application_no(out["application_no"])
    assert out["status"] == "submitted" and out["matter_name"] == "户外广告设施设置审批"
    assert out["time_limit_text"] == "承诺5个工作日（法定20个工作日）"
    assert out["received_at"].endswith("+08:00")

    again = submit(hall, body, k)
    assert again.status_code == 200 and again.json() == out

    changed = dict(body, fields={**body["fields"], "period": "2年"})
    conflict = submit(hall, changed, k)
    assert conflict.status_code == 409

    other = submit(hall, body)                      # a new key is a new application
    assert other.status_code == 201
    n1, n2 = out["application_no"], other.json()["application_no"]
    assert n2[:10] == n1[:10] and int(n2[10:15]) == int(n1[10:15]) + 1


def test_stored_as_given(hall):
    app = hall.sample_application()
    no = submit(hall, app.to_json()).json()["application_no"]
    d = database(hall)
    with d.session() as s:
        rec = s.scalar(select(hall_db.ApplicationRecord).where(hall_db.ApplicationRecord.application_no == no))
        assert (rec.applicant_name, rec.applicant_id_number) == (SAMPLE_NAME, SAMPLE_ID_NUMBER)
        assert rec.fields == app.fields and rec.terminal_id == hall.terminal_id
        assert (rec.matter_code, rec.matter_version, rec.status) == (HWGG, 1, "submitted")
    d.dispose()


@pytest.mark.parametrize("idem", [None, "", "short", "x" * 129, "has space 123", "汉字汉字汉字汉字", "a/b/c/d/e"])
def test_idempotency_key_is_required_and_checked(hall, idem):
    h = dict(hall.headers)
    if idem is not None:
        h["Idempotency-Key"] = idem.encode("utf-8")     # bytes: http.client only encodes latin-1 itself
    r = requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application().to_json(),
                      headers=h, timeout=TIMEOUT)
    assert r.status_code == 400
    assert "Idempotency-Key" in r.json()["detail"]


def test_unknown_matter_and_stale_version_are_422(hall):
    unknown = submit(hall, hall.sample_application(matter_code="NO-SUCH-MATTER").to_json())
    assert unknown.status_code == 422 and "NO-SUCH-MATTER" in unknown.json()["detail"]
    stale = submit(hall, hall.sample_application(matter_version=7).to_json())
    assert stale.status_code == 422 and "version" in stale.json()["detail"]


def test_form_values_are_checked_against_the_schema(hall):
    base = hall.sample_application()
    cases = {
        "missing required": {k: v for k, v in base.fields.items() if k != "site_address"},
        "not a choice": {**base.fields, "period": "100年"},
        "unknown field": {**base.fields, "hack": "1"},
        "bad pattern": {**base.fields, "size": "very big"},
        "bad phone": {**base.fields, "phone": "12345"},
    }
    for what, fields in cases.items():
        r = submit(hall, hall.sample_application(fields=fields).to_json())
        assert r.status_code == 422, what
        assert r.json()["errors"], what


def test_body_terminal_must_be_the_token_terminal(hall):
    r = submit(hall, hall.sample_application(terminal_id="T-SOMEONE-ELSE").to_json())
    assert r.status_code == 403


def _hostile_application_bodies(valid: dict):
    applicant = valid["applicant"]
    yield "not json", b"{oops"
    yield "empty", b""
    yield "array", b"[1,2,3]"
    yield "null", b"null"
    yield "string", b'"hello"'
    yield "number", b"42"
    yield "deep nesting", b"[" * 30_000 + b"]" * 30_000          # under the size limit
    yield "deep nesting, oversized", b"[" * 100_000 + b"]" * 100_000
    yield "lone surrogate", json.dumps({**valid, "applicant": {**applicant, "name": "\ud800"}}).encode()
    yield "NUL in name", json.dumps({**valid, "applicant": {**applicant, "name": "张\u0000三"}}).encode()
    yield "huge name", json.dumps({**valid, "applicant": {**applicant, "name": "张" * 5000}}).encode()
    yield "huge field", json.dumps({**valid, "fields": {**valid["fields"], "site_address": "路" * 1500}}).encode()
    yield "huge body", json.dumps({**valid, "fields": {"x": "y" * 200_000}}).encode()
    yield "many fields", json.dumps({**valid, "fields": {f"f{i}": "v" for i in range(1000)}}).encode()
    yield "version as string", json.dumps({**valid, "matter_version": "1"}).encode()
    yield "version as bool", json.dumps({**valid, "matter_version": True}).encode()
    yield "version as float", json.dumps({**valid, "matter_version": 1.5}).encode()
    yield "version huge", b'{"matter_version": 1e400}'
    yield "version bignum", json.dumps({**valid, "matter_version": 10 ** 400}).encode()
    yield "applicant as string", json.dumps({**valid, "applicant": "张三"}).encode()
    yield "applicant null", json.dumps({**valid, "applicant": None}).encode()
    yield "fields as list", json.dumps({**valid, "fields": ["a", "b"]}).encode()
    yield "field value int", json.dumps({**valid, "fields": {**valid["fields"], "period": 1}}).encode()
    yield "field value object", json.dumps({**valid, "fields": {**valid["fields"], "period": {"a": 1}}}).encode()
    yield "bad id number", json.dumps({**valid, "applicant": {**applicant, "id_number": "110105194912310021"}}).encode()
    yield "full-width id number", json.dumps({**valid, "applicant": {**applicant, "id_number": "１１０１０５１９４９１２３１００２Ｘ"}}).encode()
    yield "full-width digits, valid check", json.dumps({**valid, "applicant": {**applicant, "id_number": "１１０１０５１９４９１２３１００２X"}}).encode()
    yield "extra key", json.dumps({**valid, "admin": True}).encode()
    yield "missing applicant", json.dumps({k: v for k, v in valid.items() if k != "applicant"}).encode()
    yield "matter code huge", json.dumps({**valid, "matter_code": "X" * 10_000}).encode()
    yield "matter code control", json.dumps({**valid, "matter_code": "320102\n-XK"}).encode()
    yield "not utf-8", b'{"matter_code": "\xff\xfe"}'


def test_hostile_application_bodies_never_500(hall):
    valid = hall.sample_application().to_json()
    for what, raw in _hostile_application_bodies(valid):
        for content_type in ("application/json", None):
            h = {**hall.headers, "Idempotency-Key": key()}
            if content_type:
                h["Content-Type"] = content_type
            r = requests.post(f"{hall.base_url}/api/v1/applications", data=raw, headers=h, timeout=TIMEOUT)
            assert r.status_code in (400, 413, 415, 422), (what, content_type, r.status_code, r.text[:300])
            if r.status_code != 413:     # Starlette's size limit answers in plain text
                assert isinstance(r.json()["detail"], str), what
            if content_type is None and raw:
                assert r.status_code in (413, 415), what
    # and the hall still works afterwards
    assert submit(hall, valid).status_code == 201


def test_validation_errors_do_not_echo_personal_data(hall):
    valid = hall.sample_application().to_json()
    bad = {**valid, "applicant": {**valid["applicant"], "phone": 12345}}
    r = submit(hall, bad)
    assert r.status_code == 422
    assert SAMPLE_NAME not in r.text and SAMPLE_ID_NUMBER not in r.text


def test_progress_needs_the_applicants_id_number(hall):
    no = submit(hall, hall.sample_application().to_json()).json()["application_no"]
    url = f"{hall.base_url}/api/v1/applications/{no}"
    ok = requests.get(url, params={"id_number": SAMPLE_ID_NUMBER.lower()}, headers=hall.headers, timeout=TIMEOUT)
    assert ok.status_code == 200
    assert ok.json()["application_no"] == no and ok.json()["status"] == "submitted"
    assert ok.json()["matter_code"] == HWGG
    for params in ({}, {"id_number": ""}, {"id_number": "320102199003071234"},
                   {"id_number": "张三"}, {"id_number": "x" * 500}):
        r = requests.get(url, params=params, headers=hall.headers, timeout=TIMEOUT)
        assert r.status_code in (404, 422), params
    for bad_no in ("QY2026112800001A", "nonsense", "x" * 300, "%00"):
        r = requests.get(f"{hall.base_url}/api/v1/applications/{bad_no}",
                         params={"id_number": SAMPLE_ID_NUMBER}, headers=hall.headers, timeout=TIMEOUT)
        assert r.status_code in (404, 422), bad_no


def test_heartbeat_stores_snapshot_and_delivers_commands(hall):
    url = f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/heartbeat"
    snapshot = {"app_version": "0.1.0", "uptime_s": 120, "screen": "attract",
                "devices": {"printer": {"state": "paper_near_end", "code": "", "detail": "纸将尽"},
                            "idcard": {"state": "fault", "code": "sam_selftest", "detail": "安全模块自检失败"}},
                "outbox_pending": 2}
    r = requests.post(url, json=snapshot, headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"commands": []}

    # A command inserted straight into the database, as the console will.
    d = database(hall)
    with d.session() as s:
        s.add(hall_db.Command(id="cmd-1", terminal_id=hall.terminal_id, kind="notice",
                              payload={"text": "今天16:00停止受理"}))
        s.commit()
        stored = s.get(hall_db.Heartbeat, hall.terminal_id)
        assert stored.snapshot["devices"]["idcard"]["code"] == "sam_selftest"
        assert stored.snapshot["outbox_pending"] == 2

    r = requests.post(url, json=snapshot, headers=hall.headers, timeout=TIMEOUT)
    assert r.json() == {"commands": [{"id": "cmd-1", "kind": "notice", "payload": {"text": "今天16:00停止受理"}}]}
    # Handed out once (hall.monitoring.REDELIVER_S: offered again only if unacknowledged that long).
    assert requests.post(url, json={}, headers=hall.headers, timeout=TIMEOUT).json() == {"commands": []}

    ack = f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/commands/cmd-1/ack"
    r = requests.post(ack, headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 204 and r.content == b""
    assert requests.post(ack, headers=hall.headers, timeout=TIMEOUT).status_code == 204   # idempotent
    assert requests.post(url, json=snapshot, headers=hall.headers, timeout=TIMEOUT).json() == {"commands": []}
    with d.session() as s:
        assert s.get(hall_db.Command, "cmd-1").acked_at is not None
    d.dispose()

    cid = hall.add_command("maintenance_on")
    assert requests.post(url, json={}, headers=hall.headers, timeout=TIMEOUT).json()["commands"] == [
        {"id": cid, "kind": "maintenance_on", "payload": {}}]


def test_terminal_acts_only_for_itself(hall):
    other_token = hall.server.enrol_terminal("T-OTHER", "另一台", "二楼")
    other = {"Authorization": f"Bearer {other_token}"}
    cid = hall.add_command("restart")
    r = requests.post(f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/heartbeat", json={},
                      headers=other, timeout=TIMEOUT)
    assert r.status_code == 403
    r = requests.post(f"{hall.base_url}/api/v1/terminals/T-OTHER/commands/{cid}/ack", headers=other, timeout=TIMEOUT)
    assert r.status_code == 404
    r = requests.post(f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/commands/nope/ack",
                      headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 404


def test_hostile_heartbeats_never_500(hall):
    url = f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/heartbeat"
    bodies = [b"{oops", b"[]", b"null", b"", b"[" * 50_000, json.dumps({"uptime_s": "long"}).encode(),
              json.dumps({"uptime_s": -1}).encode(), b'{"uptime_s": 1e400}', b'{"uptime_s": NaN}',
              json.dumps({"devices": {"printer": {"state": "on fire"}}}).encode(),
              json.dumps({"devices": {"printer": "ok"}}).encode(),
              json.dumps({"devices": {f"d{i}": {"state": "ok"} for i in range(100)}}).encode(),
              json.dumps({"screen": "\ud800"}).encode(), json.dumps({"screen": "x" * 100_000}).encode(),
              json.dumps({"future_key": {"a": [[[[[[[[[[[[1]]]]]]]]]]]]}}).encode(),
              json.dumps({"future_key": "\ud800\u0000"}).encode(),
              b'{"outbox_pending": 99999999999999999999999999}']
    for raw in bodies:
        r = requests.post(url, data=raw, headers={**hall.headers, "Content-Type": "application/json"}, timeout=TIMEOUT)
        assert r.status_code in (200, 400, 413, 422), (raw[:60], r.status_code, r.text[:300])
        if r.status_code == 200:
            assert r.json() == {"commands": []}
    for path in (f"/api/v1/terminals/{'x' * 5000}/heartbeat", f"/api/v1/terminals/{hall.terminal_id}/commands/{'y' * 5000}/ack"):
        r = requests.post(hall.base_url + path, json={}, headers=hall.headers, timeout=TIMEOUT)
        assert r.status_code in (403, 404, 422), path


def test_concurrent_submissions_get_distinct_numbers(hall):
    body = hall.sample_application().to_json()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: submit(hall, body), range(16)))
    assert all(r.status_code == 201 for r in results), [r.text for r in results if r.status_code != 201]
    numbers = [r.json()["application_no"] for r in results]
    assert len(set(numbers)) == 16


def test_concurrent_replays_of_one_key_give_one_application(hall):
    body, k = hall.sample_application().to_json(), key()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: submit(hall, body, k), range(8)))
    assert sorted(r.status_code for r in results) == [200] * 7 + [201]
    assert len({r.json()["application_no"] for r in results}) == 1


def test_data_survives_a_restart(hall):
    body, k = hall.sample_application().to_json(), key()
    no = submit(hall, body, k).json()["application_no"]
    cid = hall.add_command("notice", {"text": "hello"})
    port = hall.server.port
    hall.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{hall.base_url}/healthz", timeout=2)
    hall.start()
    assert hall.server.port == port
    replay = submit(hall, body, k)                          # the outbox retrying after the outage
    assert replay.status_code == 200 and replay.json()["application_no"] == no
    r = requests.get(f"{hall.base_url}/api/v1/applications/{no}", params={"id_number": SAMPLE_ID_NUMBER},
                     headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200
    beat = requests.post(f"{hall.base_url}/api/v1/terminals/{hall.terminal_id}/heartbeat", json={},
                         headers=hall.headers, timeout=TIMEOUT)
    assert [c["id"] for c in beat.json()["commands"]] == [cid]


def test_logs_carry_no_names_or_id_numbers(hall, caplog):
    caplog.set_level(logging.DEBUG)
    no = submit(hall, hall.sample_application().to_json()).json()["application_no"]
    requests.get(f"{hall.base_url}/api/v1/applications/{no}", params={"id_number": SAMPLE_ID_NUMBER},
                 headers=hall.headers, timeout=TIMEOUT)
    submit(hall, {**hall.sample_application().to_json(), "matter_version": "bad"})
    # The hall's records only: the test's own client (urllib3 at DEBUG) logs the URL it requests.
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("hall", "uvicorn", "sqlalchemy"))
    assert no in text                                         # it did log the requests
    assert SAMPLE_NAME not in text and SAMPLE_ID_NUMBER[:-1] not in text


@pytest.mark.parametrize("breakage, key", [
    (lambda t: t.replace('legal_days = 20', 'legal_days = "20"'), "legal_days"),
    (lambda t: t.replace('fee = "不收费"', 'fee = "不收费"\nfees = 0'), "fees"),
    (lambda t: t.replace('type = "phone"', 'type = "telephone"'), "form.phone.type"),
    (lambda t: t.replace("pattern = '^", "pattern = '(^"), "form.size.pattern"),
    (lambda t: t + "\n[[[oops\n", "(syntax)"),
    (lambda t: t.replace('code = "320102-XK-CG-001"', f'code = "{GGCS_ZX}"'), "code"),   # duplicate code
])
def test_a_broken_catalogue_stops_the_hall_naming_file_and_key(tmp_path, breakage, key):
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    for name in ("hwgg-szsp.toml", "ggcs-wsxk-zx.toml"):
        (catalog / name).write_text((CATALOG_DIR / name).read_text("utf-8"), "utf-8")
    broken = catalog / "hwgg-szsp.toml"
    broken.write_text(breakage(broken.read_text("utf-8")), "utf-8")
    server = EmbeddedHall(tmp_path / "hall", catalog)
    with pytest.raises(CatalogError) as e:
        server.start()
    assert "hwgg-szsp.toml" in str(e.value) and key in e.value.key
    assert server.base_url is None
