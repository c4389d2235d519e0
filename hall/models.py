"""The hall's tables (SQLAlchemy 2 declarative models).

Only portable types, so one set of migrations (hall/migrations) serves SQLite and PostgreSQL.
Times are stored in UTC; SQLite hands them back naive, so read them through `db.as_utc`.
Personal data (names, ID numbers, phone numbers, form values, material images) lives only in
`applications`, `application_materials` and the credit tables; everything that may be shown in
logs, metrics or the audit trail carries masked values or hashes instead.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _uuid() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON, dt.datetime: DateTime(timezone=True), dt.date: Date}


# ---- terminals and their monitoring ----------------------------------------------------------

class Terminal(Base):
    __tablename__ = "terminals"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    location: Mapped[str] = mapped_column(String(256))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)   # the token itself is never stored
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Heartbeat(Base):
    """The latest snapshot per terminal and the status assessed from it (hall.monitoring).

    `offline_after` = received_at + 3 intervals: the sweeper and the dashboard compare it with
    the clock, so "offline" needs no heartbeat to be noticed. History lives in terminal_events
    (changes only) and in Prometheus, not in a row per heartbeat.
    """
    __tablename__ = "heartbeats"
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict]
    interval_s: Mapped[int] = mapped_column(default=30)
    offline_after: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    level: Mapped[str] = mapped_column(String(8), default="green")      # green / amber / red
    reason: Mapped[str] = mapped_column(String(500), default="")        # the assessment in words
    offline: Mapped[bool] = mapped_column(default=False)


class TerminalEvent(Base):
    """A change worth showing on the terminal's detail page: status changes, offline / back,
    commands queued and acknowledged. Written only on change, never per heartbeat."""
    __tablename__ = "terminal_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))        # status / offline / online / command / ack
    level: Mapped[str] = mapped_column(String(8), default="")
    text: Mapped[str] = mapped_column(String(500))
    __table_args__ = (Index("ix_terminal_events_terminal_at", "terminal_id", "at"),)


class Command(Base):
    """A remote command for one terminal; it rides back on heartbeat replies until acked."""
    __tablename__ = "commands"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_uuid)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)   # first heartbeat reply that carried it
    acked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


# ---- the catalogue as served -----------------------------------------------------------------

class MatterVersion(Base):
    """Every (matter, version) the hall has ever served, with its full content, so a submission
    made under an older version (a kiosk's outbox delivering after an update) is checked against
    the form that citizen actually saw."""
    __tablename__ = "matter_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict]                                # Matter.to_dict()
    first_served_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("code", "version", name="uq_matter_versions_code_version"),)


# ---- applications ----------------------------------------------------------------------------

class ApplicationRecord(Base):
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_no: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    matter_code: Mapped[str] = mapped_column(String(64), index=True)
    matter_version: Mapped[int]
    matter_name: Mapped[str] = mapped_column(String(256))
    time_limit_text: Mapped[str] = mapped_column(String(128))   # as promised when received
    promised_days: Mapped[int] = mapped_column(default=0)
    legal_days: Mapped[int] = mapped_column(default=0)
    promised_due: Mapped[dt.date | None] = mapped_column(default=None)
    legal_due: Mapped[dt.date | None] = mapped_column(default=None)
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_id_number: Mapped[str] = mapped_column(String(32), index=True)
    applicant_phone: Mapped[str] = mapped_column(String(32), default="")
    fields: Mapped[dict]
    # [{"id", "disposition"}] as the kiosk declared them (hall.schemas.MaterialIn); [] from an
    # older kiosk. The images themselves are rows of application_materials.
    material_dispositions: Mapped[list] = mapped_column(default=list, server_default=text("'[]'"))
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    status: Mapped[str] = mapped_column(String(32), default="submitted", index=True)
    status_note: Mapped[str] = mapped_column(String(1000), default="")   # reason / what is missing
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ApplicationEvent(Base):
    """The application's timeline, as the kiosk's progress query shows it."""
    __tablename__ = "application_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(1000), default="")
    by: Mapped[str] = mapped_column(String(64), default="")     # console username or "terminal:<id>"


class ApplicationMaterial(Base):
    """An image attached to an application (a photographed material or the signature)."""
    __tablename__ = "application_materials"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    material_id: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("application_id", "material_id", name="uq_application_materials"),)


# ---- 好差评 ----------------------------------------------------------------------------------

class Evaluation(Base):
    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    level: Mapped[int]                                   # 5 非常满意 … 1 非常不满意
    reasons: Mapped[list] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    application_no: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    matter_code: Mapped[str] = mapped_column(String(64), default="")
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    needs_follow_up: Mapped[bool] = mapped_column(default=False, index=True)
    handled_note: Mapped[str] = mapped_column(String(1000), default="")   # 处理
    handled_by: Mapped[str] = mapped_column(String(64), default="")
    handled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revisit_note: Mapped[str] = mapped_column(String(1000), default="")   # 回访
    revisit_by: Mapped[str] = mapped_column(String(64), default="")
    revisit_at: Mapped[dt.datetime | None] = mapped_column(default=None)


# ---- credit ----------------------------------------------------------------------------------

class CreditSubject(Base):
    """A person or an enterprise the credit data is about. For an enterprise the legal
    representative's ID number authorises its report; `licence_token` is what its 电子营业执照 QR
    resolves by (opaque, issued by the licence system; the sample data ships demo tokens)."""
    __tablename__ = "credit_subjects"
    code: Mapped[str] = mapped_column(String(18), primary_key=True)   # 统一社会信用代码 or ID number
    kind: Mapped[str] = mapped_column(String(16))                      # person / enterprise
    name: Mapped[str] = mapped_column(String(128))
    legal_rep_name: Mapped[str] = mapped_column(String(64), default="")
    legal_rep_id_number: Mapped[str] = mapped_column(String(18), default="", index=True)
    address: Mapped[str] = mapped_column(String(256), default="")
    registered_on: Mapped[dt.date | None] = mapped_column(default=None)
    licence_token: Mapped[str | None] = mapped_column(String(128), default=None, unique=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CreditRecord(Base):
    """One 双公示 entry or list entry: licence, penalty, dishonest (严重失信主体名单) or abnormal
    (经营异常名录). The fields of each category are checked on import (hall.credit_import) and
    kept as JSON: they are shown, not queried."""
    __tablename__ = "credit_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    record_no: Mapped[str] = mapped_column(String(128))        # 决定书文号 / 许可证号 / list entry number
    subject_code: Mapped[str] = mapped_column(String(18), index=True)
    decided_on: Mapped[dt.date]
    data: Mapped[dict]
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("category", "record_no", name="uq_credit_records_category_no"),)


class CreditReport(Base):
    """A report as issued: enough to confirm a printed copy at /verify/{report_no}."""
    __tablename__ = "credit_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_no: Mapped[str] = mapped_column(String(20), unique=True)
    verify_code: Mapped[str] = mapped_column(String(16))
    subject_code: Mapped[str] = mapped_column(String(18))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_name_masked: Mapped[str] = mapped_column(String(128))
    content_sha256: Mapped[str] = mapped_column(String(64))   # of the report JSON as issued
    counts: Mapped[dict]
    generated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    terminal_id: Mapped[str] = mapped_column(String(64))


class CreditRequest(Base):
    """Every report request, granted or not: who (masked, plus a keyed hash to find one person's
    requests), which subject, when, from which terminal."""
    __tablename__ = "credit_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    requester_masked: Mapped[str] = mapped_column(String(32))
    requester_hash: Mapped[str] = mapped_column(String(64), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_masked: Mapped[str] = mapped_column(String(32))
    authorised_by: Mapped[str] = mapped_column(String(32))      # self / legal_rep / licence_qr / ""
    outcome: Mapped[str] = mapped_column(String(32))            # issued / denied / not_found
    report_no: Mapped[str] = mapped_column(String(20), default="")


# ---- console ---------------------------------------------------------------------------------

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16))          # manager / staff / technician
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set for a new account and after a reset by someone else: the password was chosen by (or
    # shown to) another person, so the console lets the user do nothing before changing it.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())


class ConsoleSession(Base):
    """Server-side session: the cookie holds a random token, the table its hash, so a stolen
    database copy yields no usable cookie and logout really ends the session."""
    __tablename__ = "console_sessions"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))          # username, "cli" or "terminal:<id>"
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[str] = mapped_column(Text, default="")  # never names or full ID numbers
    client: Mapped[str] = mapped_column(String(64), default="")
    # Reads of a person's data (hall.audit.record_read): whose data, masked for the page, and a
    # keyed hash of the ID number so an administrator can list every read of one person's data.
    subject: Mapped[str] = mapped_column(String(64), default="", server_default="")
    subject_hash: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)


class Meta(Base):
    """Hall-wide values made once and shared by every worker: e.g. the key for hashing
    requesters' ID numbers in the credit request log."""
    __tablename__ = "hall_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class DailyCounter(Base):
    """The last number issued per kind and day (application numbers, report numbers). Taken
    with UPDATE … RETURNING inside the transaction that uses it: the row lock serialises
    concurrent submissions, and a rolled-back submission gives its number back."""
    __tablename__ = "daily_counters"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
