"""The hall's tables (SQLAlchemy 2) and database setup.

SQLite (WAL) for the demo and small halls, PostgreSQL in production: only portable types are
used. Tables are made with create_all for now; Alembic migrations replace that later.
Times are stored in UTC; SQLite hands them back naive, so read them through `as_utc`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from pathlib import Path

from sqlalchemy import JSON, DateTime, ForeignKey, String, create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from kiosk.domain.application_no import MAX_SEQUENCE, make_application_no

STATUS_SUBMITTED = "submitted"
STATUS_TEXT = {STATUS_SUBMITTED: "已提交"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, dt.datetime: DateTime(timezone=True)}


class Terminal(Base):
    __tablename__ = "terminals"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    location: Mapped[str] = mapped_column(String(256))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)   # the token itself is never stored
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApplicationRecord(Base):
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_no: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    matter_code: Mapped[str] = mapped_column(String(64))
    matter_version: Mapped[int]
    matter_name: Mapped[str] = mapped_column(String(256))
    time_limit_text: Mapped[str] = mapped_column(String(128))   # as promised when received
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_id_number: Mapped[str] = mapped_column(String(32), index=True)
    applicant_phone: Mapped[str] = mapped_column(String(32), default="")
    fields: Mapped[dict]
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    status: Mapped[str] = mapped_column(String(32), default=STATUS_SUBMITTED)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Heartbeat(Base):
    """Only the latest snapshot per terminal: it answers "how is terminal X now?".
    History belongs in Prometheus (metrics), not in an ever-growing table."""
    __tablename__ = "heartbeats"
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict]


class Command(Base):
    """A remote command for one terminal; it rides back on heartbeat replies until acked."""
    __tablename__ = "commands"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


def make_engine(url: str) -> Engine:
    u = make_url(url)
    # hide_parameters: SQL errors must not carry applicants' names or ID numbers into logs.
    if u.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    # Requests run on a thread pool, so connections cross threads; sqlite3's own lock
    # timeout lets concurrent writers wait instead of failing with "database is locked".
    engine = create_engine(url, hide_parameters=True,
                           connect_args={"check_same_thread": False, "timeout": 15})
    file_db = bool(u.database) and u.database != ":memory:"

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        if file_db:
            cur.execute("PRAGMA journal_mode=WAL")     # readers don't block the writer
            cur.execute("PRAGMA synchronous=NORMAL")   # durable enough with WAL, much faster
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def enrol_terminal(s: Session, terminal_id: str, name: str, location: str,
                   replace: bool = False) -> str:
    """Create a terminal and return its bearer token (shown once; only its hash is kept).

    With replace=True an existing terminal gets a fresh token (and is un-revoked): the demo
    re-enrols on every start. Without it an existing id raises ValueError.
    """
    token = secrets.token_urlsafe(32)
    t = s.get(Terminal, terminal_id)
    if t is None:
        s.add(Terminal(id=terminal_id, name=name, location=location, token_sha256=hash_token(token)))
    elif replace:
        t.name, t.location, t.token_sha256, t.revoked = name, location, hash_token(token), False
    else:
        raise ValueError(f"terminal {terminal_id!r} already exists")
    s.commit()
    return token


def terminal_for_token(s: Session, token: str) -> Terminal | None:
    t = s.scalar(select(Terminal).where(Terminal.token_sha256 == hash_token(token)))
    return None if t is None or t.revoked else t


def queue_command(s: Session, terminal_id: str, kind: str, payload: dict | None = None) -> str:
    """Queue a remote command (the console will call this; tests and the demo dock do now)."""
    c = Command(terminal_id=terminal_id, kind=kind, payload=payload or {})
    s.add(c)
    s.commit()
    return c.id


def next_application_no(s: Session, day: dt.date) -> str | None:
    """The next free number for `day`, or None when the day's 99999 are used up.

    Not reserved: two concurrent submissions may get the same one; the unique constraint
    rejects the second insert and the caller retries with a fresh number.
    """
    prefix = make_application_no(day, 1)[:-6]          # "QY" + YYYYMMDD
    last = s.scalar(select(func.max(ApplicationRecord.application_no))
                    .where(ApplicationRecord.application_no.startswith(prefix, autoescape=True)))
    seq = 1 if last is None else int(last[len(prefix):len(prefix) + 5]) + 1
    return None if seq > MAX_SEQUENCE else make_application_no(day, seq)
