"""What every kiosk API route shares: terminal authentication, the database session, the
catalogue, the Idempotency-Key header, and China time."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import queue
import re
import threading
import time
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.datastructures import Headers

from hall import db
from hall.catalog_store import CatalogSnapshot

log = logging.getLogger("hall.auth")
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")   # one zone, no DST: daily numbering follows it
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{8,128}", re.ASCII)


def china_time(t: dt.datetime | None) -> str | None:
    return None if t is None else db.as_utc(t).astimezone(CHINA_TZ).isoformat(timespec="seconds")


def china_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


class BatchThread:
    """One thread that serves asyncio callers in batches: `await submit(item)` gets
    `handle_batch(items)[i]` for its item, or the exception raised for it.

    Whatever was submitted while the thread was busy becomes the next batch, so a burst costs
    one round of database work rather than one per caller, and no request occupies a thread of
    the pool meanwhile. With LINGER_S > 0 a batch also waits that long for company when the hall
    is busy (the previous batch began less than BUSY_S ago); a quiet hall answers at once. If a
    batch of several raises, each item is retried alone, so one bad item fails only its caller."""

    MAX_BATCH = 500
    LINGER_S = 0.0
    BUSY_S = 0.0

    def __init__(self, name: str):
        self.name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0            # how much was shared: tests and the benchmark read these
        self.items = 0

    def handle_batch(self, items: list) -> list:
        raise NotImplementedError

    async def submit(self, item):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                    self._thread.start()
        self._queue.put((item, loop, fut))
        return await fut

    def stop(self, timeout: float = 10.0) -> None:
        """Serve what was submitted, then end the thread."""
        t = self._thread
        if t is not None and t.is_alive():
            self._queue.put(None)
            t.join(timeout)
        self._thread = None

    def _run(self) -> None:
        last_start = -1e9
        while True:
            first = self._queue.get()
            if first is None:
                return
            now = time.monotonic()
            linger_until = now + self.LINGER_S if now - last_start < self.BUSY_S else now
            last_start = now
            batch, stop = [first], False
            while len(batch) < self.MAX_BATCH:
                try:
                    wait = linger_until - time.monotonic()
                    item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._serve(batch)
            if stop:
                return

    def _serve(self, batch: list) -> None:
        items = [item for item, _loop, _fut in batch]
        try:
            outcomes = self.handle_batch(items)
        except Exception as e:            # noqa: BLE001 — every caller must hear back
            if len(items) == 1:
                outcomes = [e]
            else:
                log.warning("%s: a batch of %d failed (%s); retrying them one by one",
                            self.name, len(items), type(e).__name__)
                outcomes = []
                for item in items:
                    try:
                        outcomes += self.handle_batch([item])
                    except Exception as e1:      # noqa: BLE001
                        outcomes.append(e1)
        self.batches += 1
        self.items += len(items)
        by_loop: dict = {}
        for (_item, loop, fut), outcome in zip(batch, outcomes):
            by_loop.setdefault(loop, []).append((fut, outcome))
        for loop, results in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, results)
            except RuntimeError:          # that loop is closed: nobody is waiting any more
                pass


def _settle(results) -> None:
    for fut, outcome in results:
        if fut.done():                    # the caller was cancelled
            continue
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)


class TerminalTokens:
    """sha256(token) -> terminal id for every enrolled, unrevoked terminal, held in memory and
    read again from the database every REFRESH_S seconds (hall.app's lifespan calls `start`). A
    revoked or replaced token therefore stops working within about REFRESH_S, in every worker
    process, whoever revoked it (console, `hall terminal revoke`, SQL).

    A token not in the table (enrolled since the last read, or the table is not fresh) is
    looked up in the database, so a new enrolment takes effect at once; unknown tokens are never
    remembered. Look-ups go through one BatchThread: one query per batch on one connection beat a
    query per request on the thread pool (which also churned connections).
    Should the checks stop (database away, an app run without its lifespan), the table goes
    stale after STALE_S and every request is looked up again: never an old answer kept for long.

    Why not a per-token TTL (as before): a terminal heartbeats every 15 s, so a TTL short enough
    to make a revocation prompt missed on almost every heartbeat (a query and a thread-pool hop
    each); checking 10,000 hashes once a second costs well under 1 % of a core instead."""

    REFRESH_S = 1.0
    STALE_S = 5.0

    def __init__(self, database: db.Database):
        self.database = database
        self._by_hash: dict[str, str] = {}
        self._loaded_at = -1e9          # monotonic time of the last complete reload
        self._lookups = _TokenLookups(database)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lookups(self) -> int:
        """Database look-ups so far (tokens not in the table): tests read it."""
        return self._lookups.items

    def fresh(self) -> bool:
        return time.monotonic() - self._loaded_at < self.STALE_S

    def get(self, key: str) -> str | None:
        """The terminal for a token hash if the table is fresh and holds it, else None."""
        return self._by_hash.get(key) if self.fresh() else None

    def remember(self, key: str, terminal_id: str) -> None:
        self._by_hash[key] = terminal_id

    async def resolve(self, key: str) -> str | None:
        """The terminal whose token hashes to `key`, or None (unknown or revoked)."""
        terminal_id = self.get(key)
        if terminal_id is None:
            terminal_id = await self._lookups.submit(key)
            if terminal_id is not None:
                self.remember(key, terminal_id)
        return terminal_id

    def reload(self) -> None:
        started = time.monotonic()
        # The DBAPI cursor directly: SQLAlchemy's Row objects made this check cost 10 ms of CPU
        # a second at 10,000 terminals, more than anything else the hall did per second.
        # Every valid token is kept, not only those seen here: with several instances behind a
        # round-robin balancer (docs/scale.md) a terminal's heartbeats visit every instance, and
        # each would otherwise look every token up once more (measured: more database
        # transactions than heartbeats in the first minutes at 2 and 3 instances).
        raw = self.database.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SELECT token_sha256, id FROM terminals WHERE NOT revoked")
            valid = dict(cur.fetchall())
            cur.close()
            raw.rollback()
        finally:
            raw.close()
        self._by_hash = valid               # one assignment: requests see the old or the new table
        self._loaded_at = started

    def start(self) -> None:
        """Check now, then every REFRESH_S on a thread of its own (not the request thread pool:
        a burst of requests there must not delay the check that keeps the table fresh)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._refresh_forever, name="terminal-tokens", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._lookups.stop()

    def _refresh_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.reload()
            except SQLAlchemyError as e:
                log.warning("terminal tokens: reload failed: %s", type(e).__name__)
            self._stop.wait(self.REFRESH_S)


class _TokenLookups(BatchThread):
    def __init__(self, database: db.Database):
        super().__init__("terminal-token-lookups")
        self.database = database

    def handle_batch(self, keys: list[str]) -> list[str | None]:
        t = db.Terminal.__table__
        with self.database.engine.connect() as conn:
            found = dict(conn.execute(select(t.c.token_sha256, t.c.id)
                                      .where(t.c.token_sha256.in_(set(keys)), t.c.revoked.is_(False))).all())
        return [found.get(k) for k in keys]


class TerminalAuth:
    """Pure ASGI middleware: resolves the bearer token to a terminal before FastAPI reads or
    validates the body, and answers 401 for a missing, unknown or revoked token.

    Tokens resolve through `TerminalTokens` (in memory, re-checked every second), so the hottest
    path (heartbeats) costs no query and no thread-pool hop for authentication."""

    def __init__(self, app, database: db.Database, tokens: TerminalTokens | None = None):
        self.app, self.database = app, database
        self.tokens = tokens or TerminalTokens(database)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        token = token.strip()
        terminal_id = None
        if scheme.lower() == "bearer" and 0 < len(token) <= 256:
            terminal_id = await self.tokens.resolve(db.hash_token(token))
        if terminal_id is None:
            response = JSONResponse({"detail": "unauthorized"}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
            return await response(scope, receive, send)
        scope.setdefault("state", {})["terminal_id"] = terminal_id
        await self.app(scope, receive, send)


_bearer = HTTPBearer(auto_error=False, description="the terminal's token (`hall terminal add`)")


# The trivial dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency on
# the thread pool, and each hop there costs more than the dependency itself.
async def current_terminal(request: Request, _doc=Security(_bearer)) -> str:
    # _doc only puts the scheme in the OpenAPI document; TerminalAuth already checked the token.
    return request.state.terminal_id


def get_session(request: Request):
    with request.app.state.db.session() as s:
        yield s


async def catalog_of(request: Request) -> CatalogSnapshot:
    return request.app.state.catalog.snapshot


async def idempotency_key(key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> str:
    if key is None or not _KEY_RE.fullmatch(key):
        raise HTTPException(400, "Idempotency-Key header required: 8-128 characters of A-Z a-z 0-9 _ -")
    return key


Terminal = Annotated[str, Depends(current_terminal)]
DbSession = Annotated[Session, Depends(get_session)]
CatalogDep = Annotated[CatalogSnapshot, Depends(catalog_of)]
IdempotencyKey = Annotated[str, Depends(idempotency_key)]


def only_self(path_id: str, me: str) -> None:
    if path_id != me:
        raise HTTPException(403, "a terminal may only act for itself")
