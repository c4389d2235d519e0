"""The hall's HTTP API v1 (ARCHITECTURE §6): what kiosks call, over JSON with a bearer token.

Rules this module keeps:
- Every /api/ request is authenticated before its body is read or validated (TerminalAuth),
  so an unknown token learns nothing beyond "unauthorized".
- Nothing a client sends produces a 500: bodies are size-limited, strictly typed and
  length-limited; errors are 400/401/403/404/409/413/415/422 with a {"detail": str} body
  (422 adds "errors": [str]; Starlette's 413 is plain text).
- The hall is the system of record: applicant data is stored as given, but never logged
  (logs carry application numbers, matter codes and terminal ids only; no query strings).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import re
import time
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from hall import db
from hall.catalog_store import CatalogSnapshot, canonical_json, load_catalog
from hall.config import HallSettings
from kiosk.domain import form
from kiosk.domain.application_no import is_valid_application_no
from kiosk.domain.catalogue import Matter
from kiosk.domain.identity import is_valid_id_number
from kiosk.ports import DeviceState

log = logging.getLogger("hall")

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")   # one zone, no DST: daily numbering follows it
MAX_BODY_BYTES = 64 * 1024
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{8,128}", re.ASCII)


# ---- request and response bodies ---------------------------------------------------------

def _printable(s: str) -> str:
    # Lone surrogates cannot be encoded for the database; control characters have no place in
    # a form and NUL is rejected by PostgreSQL. Newline and tab may appear in free text.
    if any(0xD800 <= ord(c) <= 0xDFFF or (ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7F for c in s):
        raise ValueError("contains control characters or invalid Unicode")
    return s


def Str(max_length: int, min_length: int = 0):
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_printable)]


def _id_number(s: str) -> str:
    # isascii(): is_valid_id_number relies on str.isdigit(), which also accepts full-width digits.
    if not (s.isascii() and is_valid_id_number(s)):
        raise ValueError("not a valid 18-digit ID number (GB 11643 check digit)")
    return s


class _Strict(BaseModel):
    # strict: "1" is not 1 and 1 is not "1"; forbid: a misspelt key is an error, not ignored.
    model_config = ConfigDict(strict=True, extra="forbid")


class ApplicantIn(_Strict):
    name: Str(64, min_length=1)
    id_number: Annotated[str, Field(min_length=18, max_length=18), AfterValidator(_id_number)]
    phone: Str(32) = ""


class ApplicationIn(_Strict):
    """Application.to_json() (kiosk/domain/application.py)."""
    matter_code: Str(64, min_length=1)
    matter_version: int = Field(ge=1, le=1_000_000)
    applicant: ApplicantIn
    fields: dict[Str(64, min_length=1), Str(2000)] = Field(default_factory=dict, max_length=64)
    terminal_id: Str(64) = ""


class SubmitOut(BaseModel):
    application_no: str
    status: str
    status_text: str
    matter_name: str
    time_limit_text: str
    received_at: str          # ISO 8601, China time (+08:00)


class ProgressOut(BaseModel):
    application_no: str
    status: str
    status_text: str
    matter_code: str
    matter_name: str
    time_limit_text: str
    received_at: str


class DeviceIn(_Strict):
    state: Literal[tuple(s.value for s in DeviceState)]
    code: Str(64) = ""
    detail: Str(500) = ""


class HeartbeatIn(_Strict):
    """The terminal's status snapshot. Unknown extra keys are kept, so a newer kiosk can report
    more without being refused: a refused heartbeat would make a healthy terminal look dead."""
    model_config = ConfigDict(strict=True, extra="allow")
    app_version: Str(64) = ""
    uptime_s: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    screen: Str(64) = ""
    devices: dict[Str(64, min_length=1), DeviceIn] = Field(default_factory=dict, max_length=32)
    outbox_pending: int = Field(default=0, ge=0, le=10_000_000)

    @model_validator(mode="after")
    def _shallow_extras(self):
        # Deeply nested extras would be stored as JSON and could exhaust the encoder's recursion.
        if any(_depth(v) > 8 for v in (self.model_extra or {}).values()):
            raise ValueError("extra keys may nest at most 8 levels")
        return self


def _depth(v) -> int:
    """Nesting depth of a JSON value, without recursion (the value may be thousands deep)."""
    deepest, stack = 0, [(v, 0)]
    while stack:
        x, d = stack.pop()
        deepest = max(deepest, d)
        if d <= 8 and isinstance(x, (dict, list)):
            stack.extend((c, d + 1) for c in (x.values() if isinstance(x, dict) else x))
    return deepest


class CommandOut(BaseModel):
    id: str
    kind: str
    payload: dict


class HeartbeatOut(BaseModel):
    commands: list[CommandOut]


# ---- authentication ----------------------------------------------------------------------

class TerminalAuth:
    """Pure ASGI middleware: resolves the bearer token to a terminal before FastAPI reads or
    validates the body, and answers 401 for a missing, unknown or revoked token."""

    def __init__(self, app, database: db.Database):
        self.app, self.database = app, database

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        token = token.strip()
        terminal_id = None
        if scheme.lower() == "bearer" and 0 < len(token) <= 256:
            terminal_id = await run_in_threadpool(self._lookup, token)
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


def current_terminal(request: Request, _doc=Security(_bearer)) -> str:
    # _doc only puts the scheme in the OpenAPI document; TerminalAuth already checked the token.
    return request.state.terminal_id


def get_session(request: Request):
    with request.app.state.db.session() as s:
        yield s


def catalog_of(request: Request) -> CatalogSnapshot:
    return request.app.state.catalog


def idempotency_key(key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> str:
    if key is None or not _KEY_RE.fullmatch(key):
        raise HTTPException(400, "Idempotency-Key header required: 8-128 characters of A-Z a-z 0-9 _ -")
    return key


Terminal = Annotated[str, Depends(current_terminal)]
DbSession = Annotated[Session, Depends(get_session)]
CatalogDep = Annotated[CatalogSnapshot, Depends(catalog_of)]


# ---- form values against the matter's form schema -----------------------------------------

def field_errors(matter: Matter, values: dict[str, str]) -> list[str]:
    """Plain-Chinese problems with the submitted values; [] when they fit the form schema.

    The same rules the kiosk applies before submitting (kiosk.domain.form.validate), so the
    kiosk never offers a form the hall refuses; the hall re-checks because it trusts no client.
    """
    known = {f.name for f in matter.form}
    errors = [f"{k}：不是该事项表单中的字段" for k in values if k not in known]
    return errors + list(form.validate(matter, values).values())


# ---- the app -------------------------------------------------------------------------------

def _china_time(t: dt.datetime) -> str:
    return db.as_utc(t).astimezone(CHINA_TZ).isoformat(timespec="seconds")


def _submit_out(r: db.ApplicationRecord) -> dict:
    return {"application_no": r.application_no, "status": r.status,
            "status_text": db.STATUS_TEXT.get(r.status, r.status), "matter_name": r.matter_name,
            "time_limit_text": r.time_limit_text, "received_at": _china_time(r.created_at)}


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def create_app(settings: HallSettings) -> FastAPI:
    catalog = load_catalog(settings.catalog_dir)      # a broken catalogue stops start-up here
    database = db.Database(settings.database_url)
    database.create_all()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        database.dispose()

    app = FastAPI(title=f"hall — {settings.hall_name}", version="1", lifespan=lifespan,
                  max_body_size=MAX_BODY_BYTES)
    app.state.db, app.state.catalog, app.state.settings = database, catalog, settings
    app.add_middleware(TerminalAuth, database=database)
    _add_access_log(app)
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

    @app.get("/api/v1/catalog", responses={304: {"description": "If-None-Match matched the ETag"}})
    def get_catalog(request: Request, _t: Terminal, snap: CatalogDep):
        headers = {"ETag": snap.etag, "Cache-Control": "no-cache"}
        if _etag_matches(request.headers.get("if-none-match"), snap.etag):
            return Response(status_code=304, headers=headers)
        return Response(snap.body, media_type="application/json", headers=headers)

    @app.post("/api/v1/applications", status_code=201, response_model=SubmitOut,
              responses={200: {"description": "replay of an earlier submission with the same key and body"},
                         409: {"description": "Idempotency-Key already used with a different body"}})
    def submit(body: ApplicationIn, response: Response, terminal_id: Terminal, s: DbSession,
               snap: CatalogDep, key: Annotated[str, Depends(idempotency_key)]):
        if body.terminal_id and body.terminal_id != terminal_id:
            raise HTTPException(403, "terminal_id in the body is not the authenticated terminal")
        body_hash = hashlib.sha256(canonical_json({**body.model_dump(), "terminal_id": terminal_id})).hexdigest()
        # A replay is answered before the catalogue check: an application accepted under a
        # matter version the hall has since replaced must still get its number back.
        replay = _replay(s, key, body_hash)
        if replay is not None:
            response.status_code = 200
            return replay
        # The kiosk shows `detail` to the citizen: plain Chinese first, the technical part after.
        matter = snap.matter(body.matter_code)
        if matter is None:
            raise HTTPException(422, f"该事项不存在或已停办，请返回重新选择（unknown matter_code {body.matter_code!r}）")
        if matter.version != body.matter_version:
            raise HTTPException(422, f"办事指南已更新，请返回重新填写（matter {matter.code} is at version "
                                     f"{matter.version}, not {body.matter_version}）")
        errors = field_errors(matter, body.fields)
        if errors:
            return JSONResponse({"detail": "; ".join(errors), "errors": errors}, status_code=422)
        for _attempt in range(5):
            no = db.next_application_no(s, dt.datetime.now(CHINA_TZ).date())
            if no is None:
                raise HTTPException(503, "today's application numbers are used up")
            rec = db.ApplicationRecord(
                application_no=no, idempotency_key=key, body_sha256=body_hash,
                matter_code=matter.code, matter_version=matter.version, matter_name=matter.name,
                time_limit_text=matter.time_limit_text, applicant_name=body.applicant.name,
                applicant_id_number=body.applicant.id_number, applicant_phone=body.applicant.phone,
                fields=body.fields, terminal_id=terminal_id)
            s.add(rec)
            try:
                s.commit()
            except IntegrityError:
                # Either the number was taken by a concurrent submission (retry with the
                # next one) or the same key was (answer as a replay).
                s.rollback()
                replay = _replay(s, key, body_hash)
                if replay is not None:
                    response.status_code = 200
                    return replay
                continue
            log.info("application %s received: matter %s, terminal %s", no, matter.code, terminal_id)
            return _submit_out(rec)
        raise HTTPException(503, "busy; retry with the same Idempotency-Key")

    @app.get("/api/v1/applications/{application_no}", response_model=ProgressOut,
             responses={404: {"description": "no such application for this applicant"}})
    def progress(s: DbSession, _t: Terminal, application_no: Annotated[str, Path(max_length=32)],
                 id_number: Annotated[str, Query(max_length=32)] = ""):
        rec = None
        if is_valid_application_no(application_no) and id_number:
            rec = s.scalar(select(db.ApplicationRecord).where(db.ApplicationRecord.application_no == application_no))
        # compare_digest on bytes: it raises on non-ASCII str, and we do not reveal which part failed.
        if rec is None or not hmac.compare_digest(rec.applicant_id_number.upper().encode(),
                                                  id_number.upper().encode()):
            raise HTTPException(404, "no such application for this applicant")
        return {**_submit_out(rec), "matter_code": rec.matter_code}

    @app.post("/api/v1/terminals/{terminal_id}/heartbeat", response_model=HeartbeatOut)
    def heartbeat(terminal_id: str, body: HeartbeatIn, me: Terminal, s: DbSession):
        _only_self(terminal_id, me)
        snapshot = body.model_dump(mode="json")
        for _attempt in range(3):
            hb = s.get(db.Heartbeat, me)
            if hb is None:
                s.add(db.Heartbeat(terminal_id=me, snapshot=snapshot))
            else:
                hb.snapshot, hb.received_at = snapshot, db.utcnow()
            try:
                s.commit()
                break
            except IntegrityError:   # two first heartbeats raced to insert: update instead
                s.rollback()
        pending = s.scalars(select(db.Command).where(db.Command.terminal_id == me, db.Command.acked_at.is_(None))
                            .order_by(db.Command.created_at).limit(20))
        return {"commands": [{"id": c.id, "kind": c.kind, "payload": c.payload} for c in pending]}

    @app.post("/api/v1/terminals/{terminal_id}/commands/{command_id}/ack", status_code=204,
              response_class=Response)
    def ack(terminal_id: str, command_id: Annotated[str, Path(max_length=64)], me: Terminal, s: DbSession):
        _only_self(terminal_id, me)
        c = s.get(db.Command, command_id)
        if c is None or c.terminal_id != me:
            raise HTTPException(404, "no such command for this terminal")
        if c.acked_at is None:          # acking twice is harmless: the reply may have been lost
            c.acked_at = db.utcnow()
            s.commit()
            log.info("command %s (%s) acked by %s", c.id, c.kind, me)
        return Response(status_code=204)

    return app


def _replay(s: Session, key: str, body_hash: str) -> dict | None:
    rec = s.scalar(select(db.ApplicationRecord).where(db.ApplicationRecord.idempotency_key == key))
    if rec is None:
        return None
    if rec.body_sha256 != body_hash:
        raise HTTPException(409, "Idempotency-Key already used with a different body")
    return _submit_out(rec)


def _only_self(path_id: str, me: str) -> None:
    if path_id != me:
        raise HTTPException(403, "a terminal may only act for itself")


class _NoQueryString(logging.Filter):
    """Strips query strings from uvicorn's access log, should anyone switch it on: the progress
    query carries an ID number there. Records keep their shape: (client, method, path, http, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


logging.getLogger("uvicorn.access").addFilter(_NoQueryString())


def _add_access_log(app: FastAPI) -> None:
    @app.middleware("http")
    async def access_log(request: Request, call_next):
        # Path only: the query string may hold an ID number (GET /applications/{no}?id_number=).
        t0 = time.monotonic()
        response = await call_next(request)
        log.info("%s %s -> %d (%.0f ms)", request.method, request.url.path, response.status_code,
                 (time.monotonic() - t0) * 1000)
        return response


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            return JSONResponse({"detail": "the body is not valid JSON"}, status_code=400)
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and "json" not in content_type and any(
                tuple(e.get("loc", ())) == ("body",) for e in errs):
            # FastAPI does not parse a body sent without a JSON Content-Type (CSRF guard);
            # say so rather than "Input should be a valid dictionary".
            return JSONResponse({"detail": "send the body as JSON (Content-Type: application/json)"},
                                status_code=415)
        # loc + msg only: pydantic's "input" would echo names and ID numbers back verbatim.
        errors = [".".join(str(p) for p in e.get("loc", ())) + ": " + str(e.get("msg", "invalid"))
                  for e in errs[:20]]
        return JSONResponse({"detail": "; ".join(errors), "errors": errors}, status_code=422)
