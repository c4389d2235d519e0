"""The audit log keeps who-read-whose-data for audit_retention_days, no longer and no less, and a
public page refreshed in a loop does not grow it without bound (issue #12, privacy)."""
from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import func, select, update

from hall import audit
from hall import db as hall_db
from hall.config import ConfigError, settings_from_dict
from tests.integration.conftest import CATALOG_DIR, SAMPLE_ID_NUMBER, SAMPLE_NAME

TIMEOUT = 10
REPO_SAMPLE = CATALOG_DIR.parent.parent / "hall" / "sample_data" / "credit_sample.json"


def _database(hall) -> hall_db.Database:
    return hall_db.Database(hall.server.database_url)


def _verify_rows(d: hall_db.Database) -> list[tuple[str, str]]:
    e = hall_db.AuditEntry
    with d.session() as s:
        return [(r.detail, r.client) for r in s.scalars(select(e).where(e.action == "verify_credit_report")
                                                        .order_by(e.id))]


def test_retention_deletes_only_rows_older_than_the_setting(hall):
    d = _database(hall)
    now = hall_db.utcnow()
    with d.session() as s:
        for days in (10, 179, 1094, 1096, 2000):
            audit.record_read(s, "staff1", "view_application", f"age-{days}", SAMPLE_ID_NUMBER, SAMPLE_NAME)
        s.commit()
        for days in (10, 179, 1094, 1096, 2000):
            s.execute(update(hall_db.AuditEntry).where(hall_db.AuditEntry.target == f"age-{days}")
                      .values(at=now - dt.timedelta(days=days)))
        s.commit()
    assert audit.prune_once(d, 1095, now=now) == 2
    with d.session() as s:
        kept = sorted(s.scalars(select(hall_db.AuditEntry.target).where(hall_db.AuditEntry.target.like("age-%"))))
    assert kept == ["age-10", "age-1094", "age-179"]
    assert audit.prune_once(d, 1095, now=now) == 0          # a second pass finds nothing
    assert audit.prune_once(d, 180, now=now) == 1           # a shorter setting takes age-1094
    d.dispose()


def test_retention_deletes_in_chunks(hall, monkeypatch):
    monkeypatch.setattr(audit, "PRUNE_CHUNK", 7)
    d = _database(hall)
    old = hall_db.utcnow() - dt.timedelta(days=400)
    with d.session() as s:
        s.execute(hall_db.AuditEntry.__table__.insert(), [
            {"at": old, "actor": "cli", "action": "bulk", "target": str(i), "detail": "", "client": "",
             "subject": "", "subject_hash": ""} for i in range(30)])
        s.commit()
    assert audit.prune_once(d, 365) == 30
    with d.session() as s:
        assert s.scalar(select(func.count()).select_from(hall_db.AuditEntry)
                        .where(hall_db.AuditEntry.action == "bulk")) == 0
    d.dispose()


def test_retention_setting_has_a_legal_floor():
    base = {"host": "127.0.0.1", "port": 8700, "database_url": "sqlite:///x.db", "catalog_dir": "config/catalog",
            "hall_name": "测试"}
    assert settings_from_dict(base).audit_retention_days == 1095
    assert settings_from_dict({**base, "audit_retention_days": 180}).audit_retention_days == 180
    for bad in (0, 179, 3651, "365", True):
        with pytest.raises(ConfigError, match="audit_retention_days"):
            settings_from_dict({**base, "audit_retention_days": bad})


def test_verify_refreshed_in_a_loop_is_one_row_per_outcome(sqlite_hall):
    hall = sqlite_hall
    hall.server.import_credit(REPO_SAMPLE)
    body = {"subject": {"kind": "person", "code": SAMPLE_ID_NUMBER},
            "requester": {"name": SAMPLE_NAME, "id_number": SAMPLE_ID_NUMBER}}
    report = requests.post(f"{hall.base_url}/api/v1/credit-reports", json=body, headers=hall.headers,
                           timeout=TIMEOUT).json()
    url = f"{hall.base_url}/verify/{report['report_no']}"
    for _ in range(25):
        assert requests.get(url, params={"code": report["verify_code"]}, timeout=TIMEOUT).json()["authentic"]
    for _ in range(5):
        assert requests.get(url, params={"code": "WRONG1"}, timeout=TIMEOUT).json()["authentic"] is False
    d = _database(hall)
    assert _verify_rows(d) == [("code right", "127.0.0.1"), ("code wrong", "127.0.0.1")]
    # Outside the window the same check is a new row: the log still says it happened again.
    with d.session() as s:
        s.execute(update(hall_db.AuditEntry).where(hall_db.AuditEntry.action == "verify_credit_report")
                  .values(at=hall_db.utcnow() - dt.timedelta(minutes=11)))
        s.commit()
    requests.get(url, params={"code": report["verify_code"]}, timeout=TIMEOUT).raise_for_status()
    assert [r[0] for r in _verify_rows(d)] == ["code right", "code wrong", "code right"]
    d.dispose()
