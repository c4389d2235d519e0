"""Durable queue of submissions (SQLite, WAL): nothing the user submitted is ever lost.

Every application is written here *before* the first attempt to send it, under its idempotency
key; the hall deduplicates by that key, so sending twice (an immediate attempt and the sender
thread racing, or a reply lost after the hall committed) yields one application. The payload
(personal data) is deleted as soon as the hall acknowledges it (ARCHITECTURE §5, privacy).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Callable

from kiosk.ports import Clock, HallRejected, HallUnavailable, OutboxItem

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT,                 -- NULL once the hall acknowledged it
    created_at REAL NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | rejected | handed_over
    result     TEXT
);
"""
# A rejected item's resolution by the technician (kiosk/rejected.py): 'retried' or 'handed_over',
# kept a week so the hall's console sees how it ended. Added to queues made before it existed.
_RESOLUTION_COLUMNS = (("resolution", "TEXT NOT NULL DEFAULT ''"), ("resolved_at", "REAL"))
RESOLVED_SHOWN_S = 7 * 86400


def _add_resolution_columns(db: sqlite3.Connection) -> None:
    have = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    for name, decl in _RESOLUTION_COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {decl}")


class NotYet(HallUnavailable):
    """`send` cannot go yet because the item waits for an earlier one (an image or a rating for
    an application the hall has not numbered yet): skipped this round, not a failure."""


class OutboxFull(Exception):
    """The disk is full or the database unwritable: the caller must not pretend it was saved."""


def _writable_connection(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")   # a power cut must not lose an acknowledged enqueue
        # Privacy: a delivered payload must survive neither in free pages (zeroed, whatever the
        # SQLite build's default) nor in the WAL (truncated after each delivery, see mark_sent).
        db.execute("PRAGMA secure_delete=ON")
        db.executescript(_SCHEMA)
        _add_resolution_columns(db)
    except sqlite3.Error:
        db.close()
        raise
    return db


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """The queue as it is on a disk that went read-only (ext4 errors=remount-ro): readable, so
    the technician menu and the heartbeat can still say what waits; nothing is written."""
    for mode in ("mode=ro", "immutable=1"):       # immutable: when no -shm can be made beside it
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, check_same_thread=False,
                                 isolation_level=None)
            db.execute("SELECT count(*) FROM outbox").fetchone()
            return db
        except sqlite3.Error:
            continue
    db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    db.executescript(_SCHEMA)                     # no queue there at all: an empty, unwritable one
    _add_resolution_columns(db)
    return db


class SqliteOutbox:
    def __init__(self, path: Path, clock: Clock):
        self._clock = clock
        self._lock = threading.Lock()   # one connection shared by the controller and sender threads
        self.writable = True            # False: the disk is read-only; every write raises OutboxFull
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _writable_connection(path)
        except (OSError, sqlite3.Error) as e:
            # Start anyway: people can still browse, query and print; a submission is refused
            # with "go to the window", and what was queued stays on the disk untouched.
            log.error("outbox %s is not writable (%s): submissions are refused until it is fixed", path, e)
            self.writable = False
            self._db = _read_only_connection(path)

    def _write(self, sql: str, params: tuple) -> None:
        """One statement under the lock; a full or read-only disk is OutboxFull, never a crash."""
        if not self.writable:
            raise OutboxFull("the outbox is read-only")
        try:
            with self._lock:
                self._db.execute(sql, params)
        except sqlite3.Error as e:
            raise OutboxFull(str(e)) from e

    def enqueue(self, key: str, kind: str, payload: dict) -> None:
        self._write("INSERT OR IGNORE INTO outbox(key, kind, payload, created_at) VALUES (?,?,?,?)",
                    (key, kind, json.dumps(payload, ensure_ascii=False), self._clock.now()))

    def enqueue_many(self, items: list[tuple[str, str, dict]]) -> None:
        """(key, kind, payload) items in one transaction, in this order: all or none is saved
        (an application and its material images)."""
        rows = [(k, kind, json.dumps(p, ensure_ascii=False), self._clock.now()) for k, kind, p in items]
        if not self.writable:
            raise OutboxFull("the outbox is read-only")
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(
                        "INSERT OR IGNORE INTO outbox(key, kind, payload, created_at) VALUES (?,?,?,?)", rows)
                    self._db.execute("COMMIT")      # SQLITE_FULL may come here, at the WAL append
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as e:      # full (SQLITE_FULL), read-only (SQLITE_READONLY), I/O error
            raise OutboxFull(str(e)) from e

    def pending(self) -> list[OutboxItem]:
        # rowid breaks ties: items enqueued together keep their order (application, then images)
        with self._lock:
            rows = self._db.execute(
                "SELECT key, kind, payload, created_at, attempts, last_error FROM outbox "
                "WHERE state='pending' ORDER BY created_at, rowid").fetchall()
        return [OutboxItem(k, kind, json.loads(p), c, a, e) for k, kind, p, c, a, e in rows]

    def pending_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM outbox WHERE state='pending'").fetchone()[0]

    def rejected_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM outbox WHERE state='rejected'").fetchone()[0]

    def rejected_rows(self, now: float | None = None) -> list[dict]:
        """Items the hall refused, still open or resolved within RESOLVED_SHOWN_S, oldest first:
        key, kind, payload (None once handed over), created_at, error, state, resolution,
        resolved_at. Read-only disks too: the technician must see them."""
        since = (self._clock.now() if now is None else now) - RESOLVED_SHOWN_S
        cols = "key, kind, payload, created_at, last_error, state, resolution, resolved_at, result"
        with self._lock:
            try:
                rows = self._db.execute(
                    f"SELECT {cols} FROM outbox WHERE state='rejected' OR (resolution != '' AND resolved_at >= ?) "
                    "ORDER BY created_at, rowid", (since,)).fetchall()
            except sqlite3.OperationalError:       # a read-only queue from before the columns
                rows = [r + ("", None, None) for r in self._db.execute(
                    "SELECT key, kind, payload, created_at, last_error, state FROM outbox WHERE state='rejected' "
                    "ORDER BY created_at, rowid")]
        names = cols.split(", ")
        return [{**dict(zip(names, r)), "payload": json.loads(r[2]) if r[2] else None,
                 "result": json.loads(r[8]) if r[8] else None} for r in rows]

    def _with_dependants(self, key: str) -> list[str]:
        """An application's own key and its rejected images and rating (they share its fate)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM outbox WHERE state='rejected' AND json_extract(payload, '$.application_key') = ?",
                (key,)).fetchall()
        return [key] + [r[0] for r in rows]

    def retry_rejected(self, key: str) -> int:
        """再试一次: the item (and its images) go back in the queue once more; if the hall refuses
        again it is rejected again. Returns how many items were re-queued."""
        keys = self._with_dependants(key)
        marks = ",".join("?" * len(keys))
        self._write(f"UPDATE outbox SET state='pending', attempts=0, resolution='retried', resolved_at=? "
                    f"WHERE state='rejected' AND key IN ({marks})", (self._clock.now(), *keys))
        return len(keys)

    def hand_over(self, key: str) -> None:
        """移交窗口: the window staff have the printed slip; the personal data leaves this disk."""
        keys = self._with_dependants(key)
        marks = ",".join("?" * len(keys))
        # what it was (matter code / material id: not personal) stays for the console's list
        self._write(f"UPDATE outbox SET state='handed_over', payload=NULL, resolution='handed_over', resolved_at=?, "
                    "result=json_object('what', coalesce(json_extract(payload, '$.matter_code'), "
                    "json_extract(payload, '$.material_id'), '')) "
                    f"WHERE state='rejected' AND key IN ({marks})", (self._clock.now(), *keys))
        self._write("PRAGMA wal_checkpoint(TRUNCATE)", ())

    def state_of(self, key: str) -> str | None:
        """pending | sent | rejected, or None for a key never enqueued."""
        with self._lock:
            row = self._db.execute("SELECT state FROM outbox WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def result(self, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM outbox WHERE key=? AND state='sent'", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def mark_sent(self, key: str, result: dict) -> None:
        self._write("UPDATE outbox SET state='sent', payload=NULL, result=? WHERE key=?",
                    (json.dumps(result, ensure_ascii=False), key))
        # The WAL still holds the payload as inserted: move the pages home and empty it.
        self._write("PRAGMA wal_checkpoint(TRUNCATE)", ())

    def mark_rejected(self, key: str, error: str) -> None:
        # Kept with its payload so staff can see and re-enter it; never retried automatically.
        self._write("UPDATE outbox SET state='rejected', last_error=? WHERE key=?", (error, key))

    def record_failure(self, key: str, error: str) -> None:
        self._write("UPDATE outbox SET attempts=attempts+1, last_error=? WHERE key=?", (error, key))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class OutboxSender:
    """Drains the outbox in a background thread with exponential backoff while the hall is away.

    `send(item)` is given by the composition root (it knows how to turn a payload into a hall
    call); it returns the hall's result dict or raises HallUnavailable / HallRejected.
    """

    def __init__(self, outbox: SqliteOutbox, send: Callable[[OutboxItem], dict],
                 on_sent: Callable[[str, dict], None] = lambda key, result: None,
                 min_backoff_s: float = 1.0, max_backoff_s: float = 60.0):
        self._outbox, self._send, self._on_sent = outbox, send, on_sent
        self._min, self._max = min_backoff_s, max_backoff_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()   # one attempt per key at a time
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def send_now(self, item: OutboxItem) -> dict:
        """One immediate attempt (the user is waiting). Raises like `send`."""
        with self._send_lock:
            done = self._outbox.result(item.key)
            if done is not None:
                return done
            return self._attempt(item)

    def _attempt(self, item: OutboxItem) -> dict:
        try:
            result = self._send(item)
        except HallRejected as e:
            log.warning("outbox item %s rejected by the hall: %s", item.key, e.status)
            self._outbox.mark_rejected(item.key, e.message)
            raise
        except NotYet:
            raise
        except HallUnavailable as e:
            self._outbox.record_failure(item.key, str(e)[:200])
            raise
        self._outbox.mark_sent(item.key, result)
        self._on_sent(item.key, result)
        return result

    def drain_once(self) -> bool:
        """Try every pending item once. True when the queue is empty afterwards."""
        if not self._outbox.writable:
            return False        # a delivery could not be recorded: the items wait on the disk, intact
        waiting = False
        for item in self._outbox.pending():
            if self._stop.is_set():
                return False
            try:
                with self._send_lock:
                    if self._outbox.result(item.key) is None:
                        self._attempt(item)
            except NotYet:
                waiting = True   # its application goes first (later in this round, or the next)
                continue
            except HallUnavailable:
                return False     # the hall is away: stop this round, back off
            except HallRejected:
                continue         # recorded; the rest of the queue still goes
            except OutboxFull as e:
                # Delivered (maybe) but not recorded: it stays pending and goes again under the
                # same key, which the hall answers with the same number. Back off meanwhile.
                log.error("outbox cannot record a delivery (%s): will resend under the same key", e)
                return False
        return not waiting

    def _run(self) -> None:
        backoff = self._min
        while not self._stop.is_set():
            try:
                emptied = self.drain_once()
            except Exception:        # a bug or a broken disk must not end the sending for good
                log.exception("outbox round failed; retrying after a back-off")
                emptied = False
            backoff = self._min if emptied else min(backoff * 2, self._max)
            self._wake.wait(timeout=backoff if not emptied else self._max)
            self._wake.clear()
