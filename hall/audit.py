"""Reads of a person's data, for the audit log (个人信息保护法: who saw whose data, when, from where).

Every read of an application or a credit report — a console page, an image of a material, a
terminal's progress query or list, a report issued for printing, a /verify check — goes through
`record_read`. The row carries the subject masked (张*, 3201**********0017) for the page and a
keyed hash of the ID number (the key is made once per hall, hall_meta), so an administrator who
types a person's full ID number finds every read of that person's data without the log itself
holding the number. The caller commits (with the read it records).
"""
from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.orm import Session

from hall import db
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
                detail: str = "", client: str = "") -> None:
    """One audit row for a read of the data of the person with `id_number` (full, never stored)."""
    s.add(db.AuditEntry(actor=actor[:64], action=action[:64], target=target[:128], detail=detail[:2000],
                        client=client[:64], subject=masked_subject(id_number, name),
                        subject_hash=subject_hash(s, id_number)))
