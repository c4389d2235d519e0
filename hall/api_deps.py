"""What every kiosk API route shares: terminal authentication, the database session, the
catalogue, the Idempotency-Key header, and China time."""
from __future__ import annotations

import datetime as dt
import re
import time
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from hall import db
from hall.catalog_store import CatalogSnapshot

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")   # one zone, no DST: daily numbering follows it
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{8,128}", re.ASCII)


def china_time(t: dt.datetime | None) -> str | None:
    return None if t is None else db.as_utc(t).astimezone(CHINA_TZ).isoformat(timespec="seconds")


def china_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


class TerminalAuth:
    """Pure ASGI middleware: resolves the bearer token to a terminal before FastAPI reads or
    validates the body, and answers 401 for a missing, unknown or revoked token.

    A token that resolved is remembered for CACHE_S seconds (a heartbeat every 15 s from 10,000
    terminals would otherwise cost a query each), so a revocation takes effect within CACHE_S.
    Unknown tokens are never cached: a new enrolment works at once."""

    CACHE_S = 5.0

    def __init__(self, app, database: db.Database):
        self.app, self.database = app, database
        self._cache: dict[str, tuple[str, float]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        token = token.strip()
        terminal_id = None
        if scheme.lower() == "bearer" and 0 < len(token) <= 256:
            key = db.hash_token(token)
            hit = self._cache.get(key)
            if hit is not None and hit[1] > time.monotonic():
                terminal_id = hit[0]
            else:
                terminal_id = await run_in_threadpool(self._lookup, token)
                if terminal_id is not None:
                    if len(self._cache) > 50_000:      # bounded: stale entries go all at once
                        self._cache.clear()
                    self._cache[key] = (terminal_id, time.monotonic() + self.CACHE_S)
        if terminal_id is None:
            response = JSONResponse({"detail": "unauthorized"}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
            return await response(scope, receive, send)
        scope.setdefault("state", {})["terminal_id"] = terminal_id
        await self.app(scope, receive, send)

    def _lookup(self, token: str) -> str | None:
        with self.database.session() as s:
            t = db.terminal_for_token(s, token)
            return None if t is None else t.id


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
