"""Database set-up (SQLite file or PostgreSQL by URL), migrations, and small shared helpers.

The tables are in hall/models.py and re-exported here, so `db.Terminal` etc. keep working.
The schema is made and changed only by Alembic (hall/migrations): `hall db upgrade`, or
`Database.upgrade()` for the embedded demo hall and the tests.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

# Re-exported: callers use db.Terminal, db.ApplicationRecord, … (the skeleton kept them here).
from hall.models import (ApplicationEvent, ApplicationMaterial, ApplicationRecord, AuditEntry, Base, Command,  # noqa: F401
                         ConsoleSession, CreditRecord, DailyCounter, CreditReport, CreditRequest, CreditSubject, Evaluation,
                         Heartbeat, MatterVersion, Meta, Terminal, TerminalEvent, User, utcnow)
from kiosk.domain.application_no import MAX_SEQUENCE, make_application_no

HERE = Path(__file__).resolve().parent
STATUS_SUBMITTED = "submitted"
# Remote commands a terminal understands (kiosk/controller.py), in the console's words.
COMMAND_TEXT = {"maintenance_on": "进入维护模式", "maintenance_off": "退出维护模式", "notice": "发布公告",
                "restart": "重启程序", "reload_catalog": "重新加载事项目录"}


class SchemaError(RuntimeError):
    """The database is not at the schema this build expects; the message says what to run."""


def as_utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


def make_engine(url: str, pool_size: int = 10) -> Engine:
    u = make_url(url)
    # hide_parameters: SQL errors must not carry applicants' names or ID numbers into logs.
    if u.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True, pool_size=pool_size,
                             max_overflow=pool_size)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    # Requests run on a thread pool, so connections cross threads; sqlite3's own lock
    # timeout lets concurrent writers wait instead of failing with "database is locked".
    engine = create_engine(url, hide_parameters=True, pool_size=pool_size, max_overflow=pool_size,
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


def alembic_config():
    from alembic.config import Config

    # No URL in the config: a PostgreSQL password would go through configparser interpolation
    # (a '%' breaks it) and into alembic's log line. The connection is handed over instead.
    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


class Database:
    def __init__(self, url: str, pool_size: int = 10):
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (Alembic). Safe to run on an up-to-date database."""
        from alembic import command

        from hall import locks

        self._refuse_legacy()
        cfg = alembic_config()
        with self.engine.begin() as conn:
            # Several hall instances (or their `hall db upgrade` at start) may run this at once:
            # on PostgreSQL the first migrates and the others wait here, then find it current.
            # DDL is transactional there, so the lock is held until the migration commits.
            locks.lock_for_transaction(conn, locks.MIGRATIONS)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    # The embedded hall, tests and `hall terminal add` call this: "make the schema current".
    create_all = upgrade

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(alembic_config()).get_current_head()

    def check_schema(self) -> None:
        """Raise SchemaError unless the database is at the newest migration."""
        self._refuse_legacy()
        current, head = self.current_revision(), self.head_revision()
        if current != head:
            raise SchemaError(f"the database is at schema {current or '(empty)'}, this build needs {head}: "
                              f"run `hall db upgrade` first")

    def _refuse_legacy(self) -> None:
        # The walking skeleton made its tables with create_all and no alembic_version: Alembic
        # would try to create them again and fail half-way. Say what happened instead.
        tables = set(inspect(self.engine).get_table_names())
        if "applications" in tables and "alembic_version" not in tables:
            raise SchemaError("the database was created by a pre-migration build (no alembic_version table); "
                              "move it aside and run `hall db upgrade` to start a new one")

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


def queue_command(s: Session, terminal_id: str, kind: str, payload: dict | None = None,
                  created_by: str = "") -> str:
    """Queue a remote command; it rides on the terminal's heartbeat replies until acked."""
    c = Command(terminal_id=terminal_id, kind=kind, payload=payload or {}, created_by=created_by)
    s.add(c)
    s.add(TerminalEvent(terminal_id=terminal_id, kind="command", text=f"指令已排队：{COMMAND_TEXT.get(kind, kind)}"))
    s.commit()
    return c.id


def next_number(s: Session, kind: str, day: dt.date) -> int:
    """The next sequence number of `kind` for `day` (1, 2, …), taken in the caller's transaction."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    s.execute(insert(DailyCounter).values(kind=kind, day=day, last=0).on_conflict_do_nothing())
    return s.execute(update(DailyCounter).where(DailyCounter.kind == kind, DailyCounter.day == day)
                     .values(last=DailyCounter.last + 1).returning(DailyCounter.last)).scalar_one()


def next_application_no(s: Session, day: dt.date) -> str | None:
    """The next number for `day`, or None when the day's 99999 are used up. Taken inside the
    caller's transaction (see DailyCounter): commit or roll back with the application."""
    seq = next_number(s, "application", day)
    return None if seq > MAX_SEQUENCE else make_application_no(day, seq)


def audit(s: Session, actor: str, action: str, target: str = "", detail: str = "", client: str = "") -> None:
    """Add an audit entry to the session; committed with the action it records."""
    s.add(AuditEntry(actor=actor[:64], action=action[:64], target=target[:128], detail=detail[:2000],
                     client=client[:64]))


def meta_secret(s: Session, key: str) -> str:
    """A random secret stored once in hall_meta (made on first use, the same for every worker)."""
    row = s.get(Meta, key)
    if row is None:
        s.add(Meta(key=key, value=secrets.token_hex(32)))
        try:
            s.commit()
        except IntegrityError:      # another worker made it first: use theirs
            s.rollback()
        row = s.get(Meta, key)
    return row.value
