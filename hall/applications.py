"""Application processing: statuses, the actions staff take, time limits and overdue flags.

    submitted 已提交 ──受理──▶ accepted 已受理 ──办结──▶ completed 已办结
        │  ╲                    │
        │   ╲──补正──▶ correction 待补正 ──受理──▶ accepted
        └──不予受理──▶ rejected 不予受理   (also from correction)

Time limits are counted in working days from the day of receipt, China time: Monday–Friday,
minus statutory holidays, plus 调休 make-up working days (hall/holidays.py, config/holidays/).
A year the State Council has not published yet counts Monday–Friday only (logged).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import db, holidays
from hall.api_deps import CHINA_TZ, china_time, china_today

STATUS_TEXT = {"submitted": "已提交", "accepted": "已受理", "correction": "待补正",
               "rejected": "不予受理", "completed": "已办结"}
FINAL = frozenset({"rejected", "completed"})


@dataclass(frozen=True)
class Action:
    name: str
    text: str                  # the console's button
    to: str
    from_: frozenset[str]
    note_required: str = ""    # what the note must say, when required


ACTIONS = {a.name: a for a in (
    Action("accept", "受理", "accepted", frozenset({"submitted", "correction"})),
    Action("correction", "补正", "correction", frozenset({"submitted", "accepted"}),
           note_required="请写明需要补正的材料或内容（一次性告知）"),
    Action("reject", "不予受理", "rejected", frozenset({"submitted", "correction"}),
           note_required="请写明不予受理的理由和依据"),
    Action("complete", "办结", "completed", frozenset({"accepted"})),
)}


class ActionError(ValueError):
    """The action does not apply now; the message is shown to staff as is."""


def add_working_days(start: dt.date, days: int, calendar: holidays.HolidayCalendar) -> dt.date:
    """The day `days` working days after `start` (the day of receipt counts as day 0, even if it
    is a holiday), counted with the hall's holiday calendar (app.state.calendar)."""
    return calendar.add_working_days(start, days)


def due_dates(received: dt.date, promised_days: int, legal_days: int,
              calendar: holidays.HolidayCalendar) -> tuple[dt.date | None, dt.date | None]:
    if promised_days == 0 and legal_days == 0:
        return None, None       # 即办: done on the spot, nothing to count
    return add_working_days(received, promised_days, calendar), add_working_days(received, legal_days, calendar)


def overdue(rec: db.ApplicationRecord, today: dt.date | None = None) -> str:
    """"" / "promised" (past the promised limit) / "legal" (past the statutory limit).

    Against the due dates stored at receipt (counted with the holiday calendar then), so the
    flag always agrees with the dates the kiosk and the console show. An application received
    before the State Council published next year's holidays keeps dates counted Monday–Friday
    for that year: earlier than the law allows, never later."""
    if rec.status in FINAL or rec.promised_due is None:
        return ""
    today = today or china_today()
    if rec.legal_due is not None and today > rec.legal_due:
        return "legal"
    return "promised" if today > rec.promised_due else ""


OVERDUE_TEXT = {"": "", "promised": "超承诺时限", "legal": "超法定时限"}


def apply_action(s: Session, rec: db.ApplicationRecord, action: str, note: str, by: str) -> None:
    """Change the status (caller commits). Raises ActionError when it does not apply."""
    a = ACTIONS.get(action)
    if a is None:
        raise ActionError(f"未知的操作：{action}")
    if rec.status not in a.from_:
        raise ActionError(f"当前状态为“{STATUS_TEXT.get(rec.status, rec.status)}”，不能{a.text}")
    note = note.strip()
    if a.note_required and not note:
        raise ActionError(a.note_required)
    now = db.utcnow()
    rec.status, rec.status_note, rec.updated_at = a.to, note, now
    if a.to == "completed":
        rec.completed_at = now
    s.add(db.ApplicationEvent(application_id=rec.id, status=a.to, note=note, by=by, at=now))


def timeline(s: Session, rec: db.ApplicationRecord) -> list[dict]:
    events = s.scalars(select(db.ApplicationEvent).where(db.ApplicationEvent.application_id == rec.id)
                       .order_by(db.ApplicationEvent.at, db.ApplicationEvent.id))
    return [{"status": e.status, "status_text": STATUS_TEXT.get(e.status, e.status), "at": china_time(e.at),
             "note": e.note} for e in events]


def submit_out(rec: db.ApplicationRecord) -> dict:
    return {"application_no": rec.application_no, "status": rec.status,
            "status_text": STATUS_TEXT.get(rec.status, rec.status), "matter_name": rec.matter_name,
            "matter_version": rec.matter_version, "time_limit_text": rec.time_limit_text,
            "received_at": china_time(rec.created_at),
            "promised_due": rec.promised_due.isoformat() if rec.promised_due else None,
            "legal_due": rec.legal_due.isoformat() if rec.legal_due else None}


def progress_out(s: Session, rec: db.ApplicationRecord, matter=None) -> dict:
    """The progress answer. `matter` (the catalogue's, as served under the application's version)
    names the materials still to be brought to the window; without it they are named by id."""
    materials = list(s.scalars(select(db.ApplicationMaterial.material_id)
                               .where(db.ApplicationMaterial.application_id == rec.id)
                               .order_by(db.ApplicationMaterial.material_id)))
    return {**submit_out(rec), "matter_code": rec.matter_code, "note": rec.status_note,
            "overdue": overdue(rec), "updated_at": china_time(rec.updated_at),
            "timeline": timeline(s, rec), "materials": materials, "to_bring": to_bring(rec, matter, materials)}


def to_bring(rec: db.ApplicationRecord, matter, received: list[str]) -> list[str]:
    """待补交: the materials declared 窗口补交 and not received since, while the application is open."""
    if rec.status in FINAL:
        return []
    names = {m.id: m.name for m in matter.materials} if matter is not None else {}
    return [names.get(d.get("id"), d.get("id", "")) for d in rec.material_dispositions or []
            if d.get("disposition") == "window" and d.get("id") not in received]


def received_day(rec_created: dt.datetime) -> dt.date:
    return db.as_utc(rec_created).astimezone(CHINA_TZ).date()
