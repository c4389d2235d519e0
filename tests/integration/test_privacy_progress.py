"""The progress query and an applicant's list keep the ID number out of URLs (issue #12):
the kiosk's client POSTs it in the body; the older GET forms still answer for terminals not yet
updated, marked deprecated in the OpenAPI document, each use logged by terminal without the
number. All over real HTTP on 127.0.0.1; every read is an audit row with the subject masked."""
from __future__ import annotations

import logging

import requests
from sqlalchemy import select

from hall import db as hall_db
from kiosk.platform import HallHttpClient
from tests.integration.conftest import SAMPLE_ID_NUMBER, SAMPLE_NAME

TIMEOUT = 10


def submit(hall, key: str = "privacy-progress-0001") -> str:
    r = requests.post(f"{hall.base_url}/api/v1/applications", json=hall.sample_application().to_json(),
                      headers={**hall.headers, "Idempotency-Key": key}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    return r.json()["application_no"]


def audit_rows(hall) -> list:
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        rows = [(a.actor, a.action, a.target, a.subject, a.subject_hash, a.detail)
                for a in s.scalars(select(hall_db.AuditEntry).order_by(hall_db.AuditEntry.id))]
    d.dispose()
    return rows


def client_with_wire_log(hall, tmp_path) -> tuple[HallHttpClient, list]:
    """The kiosk's own client; every request it sends recorded as (method, url, body)."""
    client = HallHttpClient(hall.base_url, hall.token, hall.terminal_id, cache_dir=tmp_path)
    sent = []
    client._http.hooks["response"].append(
        lambda r, *a, **k: sent.append((r.request.method, r.request.url, r.request.body or b"")))
    return client, sent


def test_kiosk_client_sends_the_id_number_in_the_body_only(hall, tmp_path, caplog):
    no = submit(hall)
    client, sent = client_with_wire_log(hall, tmp_path)
    with caplog.at_level(logging.INFO):
        progress = client.progress(no, SAMPLE_ID_NUMBER)
        listed = client.applications_of(SAMPLE_ID_NUMBER)
    assert progress.application_no == no and [p.application_no for p in listed] == [no]
    assert [(m, u.rsplit("/api/", 1)[1]) for m, u, _b in sent] == [
        ("POST", f"v1/applications/{no}/progress"), ("POST", "v1/applications/of-applicant")]
    for _method, url, body in sent:
        assert SAMPLE_ID_NUMBER not in url and "?" not in url
        assert SAMPLE_ID_NUMBER.encode() in body                   # where it belongs
    assert "deprecated" not in caplog.text
    # Each read is audited: which terminal, what, whose (masked), with the keyed hash.
    reads = [r for r in audit_rows(hall) if r[1] in ("api_read_application", "api_list_applications")]
    assert [(r[0], r[1], r[2]) for r in reads] == [(f"terminal:{hall.terminal_id}", "api_read_application", no),
                                                    (f"terminal:{hall.terminal_id}", "api_list_applications", no)]
    for r in reads:
        assert r[3] == "张* 1101**********002X" and len(r[4]) == 64 and r[4] == reads[0][4]
        assert SAMPLE_ID_NUMBER not in "".join(r) and SAMPLE_NAME not in "".join(r)


def test_post_forms_refuse_a_wrong_person_and_bad_bodies(hall):
    no = submit(hall)
    url = f"{hall.base_url}/api/v1/applications/{no}/progress"
    assert requests.post(url, json={"id_number": "110105194912310038"}, headers=hall.headers,
                         timeout=TIMEOUT).status_code == 404
    assert requests.post(url, json={"id_number": SAMPLE_ID_NUMBER}, timeout=TIMEOUT).status_code == 401
    for bad in ({}, {"id_number": "1" * 33}, {"id_number": SAMPLE_ID_NUMBER, "extra": 1}, []):
        assert requests.post(url, json=bad, headers=hall.headers, timeout=TIMEOUT).status_code == 422, bad
    r = requests.post(f"{hall.base_url}/api/v1/applications/of-applicant", json={"id_number": "110105194912310038"},
                      headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"applications": []}
    assert not [r for r in audit_rows(hall) if r[1].startswith("api_")]    # nothing was read


def test_old_get_forms_still_answer_for_one_version_and_are_counted(hall, caplog):
    no = submit(hall)
    with caplog.at_level(logging.INFO, logger="hall"):
        for _ in range(2):
            r = requests.get(f"{hall.base_url}/api/v1/applications/{no}", params={"id_number": SAMPLE_ID_NUMBER},
                             headers=hall.headers, timeout=TIMEOUT)
            assert r.status_code == 200 and r.json()["application_no"] == no
            assert r.headers["deprecation"] == "true" and "/progress>" in r.headers["link"]
        r = requests.get(f"{hall.base_url}/api/v1/applications", params={"applicant": SAMPLE_ID_NUMBER},
                         headers=hall.headers, timeout=TIMEOUT)
        assert r.status_code == 200 and [a["application_no"] for a in r.json()["applications"]] == [no]
    lines = [rec.getMessage() for rec in caplog.records if "deprecated GET" in rec.getMessage()]
    assert len(lines) == 3 and "use 1 since start" in lines[0] and "use 2 since start" in lines[1]
    assert all(hall.terminal_id in line for line in lines)
    assert SAMPLE_ID_NUMBER not in caplog.text                      # counted, never the number


def test_openapi_marks_the_get_forms_deprecated(hall):
    doc = requests.get(f"{hall.base_url}/openapi.json", timeout=TIMEOUT).json()
    paths = doc["paths"]
    assert paths["/api/v1/applications/{application_no}"]["get"].get("deprecated") is True
    assert paths["/api/v1/applications"]["get"].get("deprecated") is True
    assert not paths["/api/v1/applications"]["post"].get("deprecated")          # submission
    for path in ("/api/v1/applications/{application_no}/progress", "/api/v1/applications/of-applicant"):
        op = paths[path]["post"]
        assert not op.get("deprecated") and "requestBody" in op
        assert not any(p["in"] == "query" for p in op.get("parameters", []))
