"""The hall's web app: the kiosk API v1 (ARCHITECTURE §6), /verify, /metrics and the console.

Rules this module keeps:
- Every /api/ request is authenticated before its body is read or validated (TerminalAuth),
  so an unknown token learns nothing beyond "unauthorized".
- Nothing a client sends produces a 500: bodies are size-limited, strictly typed and
  length-limited; errors are 400/401/403/404/409/413/415/422 with a {"detail": str} body
  (422 adds "errors": [str]; Starlette's 413 is plain text).
- The hall is the system of record: applicant data is stored as given, but never logged
  (logs carry application numbers, matter codes and terminal ids only; no query strings).

The routes live in hall/routers/ (kiosk API) and hall/console/ (the web console).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from hall import audit, db
from hall.api_deps import TerminalAuth, TerminalTokens
from hall.catalog_versions import CatalogService
from hall.cluster import CatalogFollower
from hall.config import HallSettings
from hall.metrics import HallMetrics
from hall.metrics import router as metrics_router
from hall.monitoring import HeartbeatWriter, sweep_once
from hall.schemas import ERROR_RESPONSES
from hall.console import router as console_router
from hall.console.dashboard import Dashboard
from hall.routers import applications as applications_api
from hall.routers import catalog as catalog_api
from hall.routers import credit as credit_api
from hall.routers import evaluations as evaluations_api
from hall.routers import terminals as terminals_api

log = logging.getLogger("hall")
heartbeat_log = logging.getLogger("hall.heartbeats")      # successful heartbeats' access lines (DEBUG)

MAX_BODY_BYTES = 64 * 1024
AUDIT_PRUNE_EVERY_S = 3600.0   # audit retention: rows age by days, an hourly pass is plenty
SWEEP_EVERY_S = 1.0            # offline detection: one indexed query a second
TEMPLATES = Path(__file__).resolve().parent / "console" / "templates"

# Re-exported for callers of the walking skeleton's module layout.
field_errors = applications_api.field_errors


def create_app(settings: HallSettings, upgrade: bool = False) -> FastAPI:
    """The app for `settings`. With upgrade=True the schema is migrated first (embedded demo
    hall, tests); otherwise a database that is not at the newest migration stops start-up
    here with "run `hall db upgrade`" (db.SchemaError). A broken catalogue raises CatalogError."""
    database = db.Database(settings.database_url)
    try:
        database.upgrade() if upgrade else database.check_schema()
        catalog = CatalogService(settings.catalog_dir, database)
        catalog.load()
    except Exception:
        database.dispose()
        raise

    tokens, writer = TerminalTokens(database), HeartbeatWriter(database)
    follower = CatalogFollower(catalog, database)
    # Debugging a terminal: `log_heartbeats = true` brings every heartbeat's access line back.
    heartbeat_log.setLevel(logging.DEBUG if settings.log_heartbeats else logging.NOTSET)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        sweeper = asyncio.create_task(_sweep_forever(database, settings.audit_retention_days))
        tokens.start()
        follower.start()          # a catalogue reload on another instance or worker reaches this one
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await run_in_threadpool(follower.stop)
            await run_in_threadpool(tokens.stop)
            await run_in_threadpool(writer.stop)
            database.dispose()

    app = FastAPI(title=f"hall — {settings.hall_name}", version="1", lifespan=lifespan,
                  max_body_size=MAX_BODY_BYTES)
    app.state.db, app.state.catalog, app.state.settings = database, catalog, settings
    app.state.calendar = settings.holiday_calendar()      # due dates: holidays and 调休 (hall/holidays.py)
    app.state.metrics = HallMetrics(database)
    app.state.dashboard = Dashboard(database)               # the console's shared tile snapshot
    app.state.tokens, app.state.heartbeat_writer = tokens, writer
    app.state.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    app.add_middleware(terminals_api.HeartbeatFastPath)       # inside TerminalAuth: needs the terminal
    app.add_middleware(TerminalAuth, database=database, tokens=tokens)
    app.add_middleware(AccessLog)
    _add_error_handlers(app)

    @app.get("/healthz")
    def healthz():
        try:
            with database.session() as s:
                s.execute(text("SELECT 1"))
        except SQLAlchemyError as e:
            log.warning("healthz: database unavailable: %s", type(e).__name__)
            return JSONResponse({"ok": False}, status_code=503)
        return {"ok": True}

    for router in (catalog_api.router, applications_api.router, terminals_api.router, evaluations_api.router,
                   credit_api.router):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(metrics_router)
    app.include_router(console_router)
    return app


async def _sweep_forever(database: db.Database, audit_retention_days: int) -> None:
    """Offline detection every second; the audit log's retention once an hour (first at start)."""
    next_prune = 0.0
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            await run_in_threadpool(_sweep_once, database)
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + AUDIT_PRUNE_EVERY_S
                await run_in_threadpool(_prune_audit, database, audit_retention_days)
        except SQLAlchemyError as e:
            # The database may be briefly away; the next sweep catches up.
            log.warning("offline sweep or audit retention failed: %s", type(e).__name__)


def _sweep_once(database: db.Database) -> None:
    sweep_once(database)          # one instance at a time (advisory lock on PostgreSQL)


def _prune_audit(database: db.Database, retention_days: int) -> None:
    deleted = audit.prune_once(database, retention_days)
    if deleted:
        log.info("audit log: %d entries older than %d days deleted", deleted, retention_days)


class _NoQueryString(logging.Filter):
    """Strips query strings from uvicorn's access log, should anyone switch it on: the progress
    query carries an ID number there. Records keep their shape: (client, method, path, http, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


logging.getLogger("uvicorn.access").addFilter(_NoQueryString())


_PAGE_HEADERS = [
    # The console and /verify load only their own CSS and JS: an injected tag could run nothing.
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                 b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
]


class AccessLog:
    """Pure ASGI middleware (BaseHTTPMiddleware cost ~30 % of a heartbeat's time): logs method,
    path and status — never the query string, which may hold an ID number — and adds the page
    security headers to /console and /verify answers. Successful heartbeats are logged only at
    DEBUG on `hall.heartbeats` (`log_heartbeats = true` turns them on); their errors stay INFO."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0, path = time.monotonic(), scope["path"]
        page = path.startswith(("/console", "/verify"))
        status = {"code": 500}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                if page:
                    headers = list(message.get("headers", [])) + _PAGE_HEADERS
                    if path.startswith("/console/") and not any(k == b"cache-control" for k, _ in headers):
                        headers.append((b"cache-control", b"no-store"))     # pages show personal data
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            code = status["code"]
            # A successful heartbeat is not worth a line (10,000 terminals: 57 million a day);
            # it goes to hall.heartbeats at DEBUG, on with `log_heartbeats = true` in hall.toml.
            quiet = code < 400 and path.endswith("/heartbeat") and path.startswith("/api/v1/terminals/")
            logger, level = (heartbeat_log, logging.DEBUG) if quiet else (log, logging.INFO)
            if logger.isEnabledFor(level):
                logger.log(level, "%s %s -> %d (%.0f ms)", scope["method"], path, code,
                           (time.monotonic() - t0) * 1000)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            return JSONResponse({"detail": "the body is not valid JSON"}, status_code=400)
        content_type = request.headers.get("content-type", "")
        if request.method in ("POST", "PUT") and "json" not in content_type and any(
                tuple(e.get("loc", ())) == ("body",) for e in errs):
            # FastAPI does not parse a body sent without a JSON Content-Type (CSRF guard);
            # say so rather than "Input should be a valid dictionary".
            return JSONResponse({"detail": "send the body as JSON (Content-Type: application/json)"},
                                status_code=415)
        # loc + msg only: pydantic's "input" would echo names and ID numbers back verbatim.
        errors = [".".join(str(p) for p in e.get("loc", ())) + ": " + str(e.get("msg", "invalid"))
                  for e in errs[:20]]
        return JSONResponse({"detail": "; ".join(errors), "errors": errors}, status_code=422)
