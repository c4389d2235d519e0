"""PostgreSQL advisory locks: "one hall instance at a time" without a home-made election.

Several hall instances (hall.toml `cluster = true`, docs/scale.md) share one PostgreSQL. A few
jobs must run in one of them at a time — the offline sweep, Alembic migrations. PostgreSQL's
advisory locks do exactly that and die with the session that holds them: an instance killed
with SIGKILL loses its TCP connection, the server ends the session, and the lock is free for the
next instance's attempt. Nothing to expire, no leader to elect.

On SQLite (a single hall) these are no-ops that always succeed: there is one machine, and the
sweep's guarded UPDATE already records each event once between worker processes.
"""
from __future__ import annotations

import contextlib

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# 64-bit keys, fixed for good (another application sharing the database would pick its own):
# "bmhall" in ASCII, then a job number.
_BASE = 0x626D68616C6C << 8
MIGRATIONS = _BASE | 1
OFFLINE_SWEEP = _BASE | 2
AUDIT_PRUNE = _BASE | 3


def is_postgres(bind: Connection | Engine) -> bool:
    return bind.dialect.name == "postgresql"


def lock_for_transaction(conn: Connection, key: int) -> None:
    """Wait for `key` and hold it until the connection's transaction ends (commit or rollback)."""
    if is_postgres(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


@contextlib.contextmanager
def try_session_lock(engine: Engine, key: int):
    """Yield a Connection holding `key` for the block, or None when another session holds it.

    Session-level (not transaction-level) so the holder may commit several times inside the
    block — the sweep commits in chunks. The connection is the one the lock belongs to: do the
    work on it. Unlocked at the end; if the process dies instead, the server drops the lock with
    the connection."""
    with engine.connect() as conn:
        if is_postgres(conn):
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()
            conn.commit()
            if not got:
                yield None
                return
        try:
            yield conn
        finally:
            if is_postgres(conn):
                conn.rollback()            # whatever the block left open
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def lock_holder_pids(conn: Connection, key: int) -> list[int]:
    """The server pids of the sessions holding `key` (tests and the console's diagnosis)."""
    if not is_postgres(conn):
        return []
    hi, lo = key >> 32, key & 0xFFFFFFFF
    return list(conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                  "AND classid::bigint = :hi AND objid::bigint = :lo AND objsubid = 1"),
                             {"hi": hi, "lo": lo}).scalars())
