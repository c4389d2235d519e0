"""Reads of a person's data, for the audit log (个人信息保护法: who saw whose data, when, from where).

Every read of an application or a credit report — a console page, an image of a material, a
terminal's progress query or list, a report issued for printing, a /verify check — goes through
`record_read`. The row carries the subject masked (张*, 3201**********0017) for the page and a
keyed hash of the ID number (the key is made once per hall, hall_meta), so an administrator who
types a person's full ID number finds every read of that person's data without the log itself
holding the number. The caller commits (with the read it records).

Kept for `audit_retention_days` (hall.toml, default 3 years, at least 180 days: 网络安全法 第二十一条
asks for network logs to be kept six months or more), then deleted by `prune_once`, which the
hall's background loop runs hourly, one instance at a time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hall import db, locks

PRUNE_CHUNK = 5000      # rows deleted per transaction: SQLite's write lock held briefly, not for the whole purge
from kiosk.domain.identity import mask_id_number, mask_name

_KEY = "audit_subject_key"


def subject_hash(s: Session, id_number: str) -> str:
    """The keyed hash the audit log is searched by ("" for no number)."""
    number = id_number.strip().upper()
    if not number:
        return ""
    key = db.meta_secret(s, _KEY).encode()
    return hmac.new(key, number.encode("utf-8"), hashlib.sha256).hexdigest()


def masked_subject(id_number: str, name: str = "") -> str:
    parts = [mask_name(name) if name else "", mask_id_number(id_number.strip().upper()) if id_number else ""]
    return " ".join(p for p in parts if p)[:64]


def record_read(s: Session, actor: str, action: str, target: str, id_number: str, name: str = "",
                detail: str = "", client: str = "", once_within: dt.timedelta | None = None) -> None:
    """One audit row for a read of the data of the person with `id_number` (full, never stored).

    `once_within`: for a public, unauthenticated read (/verify) — the same read from the same
    address with the same outcome inside the window is already in the log and adds nothing but
    rows (a script refreshing the page would otherwise grow the table without bound)."""
    if once_within is not None and _seen_since(s, actor, action, target, detail, client, db.utcnow() - once_within):
        return
    s.add(db.AuditEntry(actor=actor[:64], action=action[:64], target=target[:128], detail=detail[:2000],
                        client=client[:64], subject=masked_subject(id_number, name),
                        subject_hash=subject_hash(s, id_number)))


def _seen_since(s: Session, actor: str, action: str, target: str, detail: str, client: str,
                since: dt.datetime) -> bool:
    e = db.AuditEntry
    return s.scalar(select(e.id).where(e.actor == actor[:64], e.action == action[:64], e.target == target[:128],
                                       e.detail == detail[:2000], e.client == client[:64], e.at >= since)
                    .limit(1)) is not None


def prune(s: Session, older_than: dt.datetime) -> int:
    """Delete audit rows recorded before `older_than`, a chunk per transaction; returns how many."""
    e = db.AuditEntry
    deleted = 0
    while True:
        ids = list(s.scalars(select(e.id).where(e.at < older_than).order_by(e.id).limit(PRUNE_CHUNK)))
        if not ids:
            return deleted
        s.execute(delete(e).where(e.id.in_(ids)))
        s.commit()
        deleted += len(ids)


def prune_once(database: db.Database, retention_days: int, now: dt.datetime | None = None) -> int | None:
    """One retention pass by one hall instance at a time: None when another instance holds the lock."""
    cutoff = (now or db.utcnow()) - dt.timedelta(days=retention_days)
    with locks.try_session_lock(database.engine, locks.AUDIT_PRUNE) as conn:
        if conn is None:
            return None
        with Session(bind=conn) as s:
            return prune(s, cutoff)
