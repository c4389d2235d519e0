"""POST /api/v1/applications…: submission (idempotent), progress and an applicant's list (the ID
number in the body, not the URL; the older GET forms answer for one more version), and
material images attached by the submitting terminal. Every read of an application is audited."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hall import audit, db
from hall.api_deps import CHINA_TZ, DbSession, IdempotencyKey, Terminal
from hall.applications import due_dates, progress_out, submit_out
from hall.catalog_store import canonical_json
from hall.schemas import ApplicationIn, ApplicationListOut, MaterialOut, ProgressOut, SubmitOut
from kiosk.domain import form
from kiosk.domain.application_no import is_valid_application_no
from kiosk.domain.catalogue import Matter

log = logging.getLogger("hall")
router = APIRouter()

MAX_MATERIAL_BYTES = 3 * 1024 * 1024
# Magic numbers, not the Content-Type alone: staff open these in a browser.
_IMAGE_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}
_MATERIAL_STATUSES = frozenset({"submitted", "correction"})


def field_errors(matter: Matter, values: dict[str, str]) -> list[str]:
    """Plain-Chinese problems with the submitted values; [] when they fit the form schema.

    The same rules the kiosk applies before submitting (kiosk.domain.form.validate), so the
    kiosk never offers a form the hall refuses; the hall re-checks because it trusts no client.
    """
    known = {f.name for f in matter.form}
    errors = [f"{k}：不是该事项表单中的字段" for k in values if k not in known]
    return errors + list(form.validate(matter, values).values())


@router.post("/api/v1/applications", status_code=201, response_model=SubmitOut,
             responses={200: {"description": "replay of an earlier submission with the same key and body"},
                        409: {"description": "Idempotency-Key already used with a different body"}})
def submit(body: ApplicationIn, request: Request, response: Response, terminal_id: Terminal, s: DbSession,
           key: IdempotencyKey):
    if body.terminal_id and body.terminal_id != terminal_id:
        raise HTTPException(403, "terminal_id in the body is not the authenticated terminal")
    dump = body.model_dump()
    if not dump["materials"]:
        # not part of the hash when absent: an older kiosk's retry of an application received
        # before the hall knew about materials still hashes as it did then
        del dump["materials"]
    body_hash = hashlib.sha256(canonical_json({**dump, "terminal_id": terminal_id})).hexdigest()
    # A replay is answered before the catalogue check: an application accepted under a matter
    # the hall has since withdrawn must still get its number back.
    replay = _replay(s, key, body_hash)
    if replay is not None:
        response.status_code = 200
        return replay
    catalog = request.app.state.catalog
    # The kiosk shows `detail` to the citizen: plain Chinese first, the technical part after.
    matter = catalog.matter(s, body.matter_code, body.matter_version)
    if matter is None:
        served = catalog.versions(s, body.matter_code)
        if not served:
            raise HTTPException(422, f"该事项不存在或已停办，请返回重新选择（unknown matter_code {body.matter_code!r}）")
        raise HTTPException(422, f"办事指南已更新，请返回重新填写（matter {body.matter_code} was never served "
                                 f"at version {body.matter_version}; served: {served}）")
    errors = field_errors(matter, body.fields) + material_errors(matter, body.materials)
    if errors:
        return JSONResponse({"detail": "; ".join(errors), "errors": errors}, status_code=422)
    today = dt.datetime.now(CHINA_TZ).date()
    promised_due, legal_due = due_dates(today, matter.promised_days, matter.legal_days, request.app.state.calendar)
    for _attempt in range(5):
        no = db.next_application_no(s, today)
        if no is None:
            raise HTTPException(503, "today's application numbers are used up")
        now = db.utcnow()
        rec = db.ApplicationRecord(
            application_no=no, idempotency_key=key, body_sha256=body_hash,
            matter_code=matter.code, matter_version=matter.version, matter_name=matter.name,
            time_limit_text=matter.time_limit_text, promised_days=matter.promised_days,
            legal_days=matter.legal_days, promised_due=promised_due, legal_due=legal_due,
            applicant_name=body.applicant.name, applicant_id_number=body.applicant.id_number,
            applicant_phone=body.applicant.phone, fields=body.fields, terminal_id=terminal_id,
            material_dispositions=[m.model_dump() for m in body.materials],
            status=db.STATUS_SUBMITTED, created_at=now, updated_at=now)
        s.add(rec)
        try:
            s.flush()
            s.add(db.ApplicationEvent(application_id=rec.id, status=db.STATUS_SUBMITTED, at=now,
                                      by=f"terminal:{terminal_id}"))
            s.commit()
        except IntegrityError:
            # Either the number was taken by a concurrent submission (retry with the next
            # one) or the same key was (answer as a replay).
            s.rollback()
            replay = _replay(s, key, body_hash)
            if replay is not None:
                response.status_code = 200
                return replay
            continue
        log.info("application %s received: matter %s v%d, terminal %s", no, matter.code, matter.version,
                 terminal_id)
        return submit_out(rec)
    raise HTTPException(503, "busy; retry with the same Idempotency-Key")


SIGNATURE_ID = "signature"    # the 申请人承诺 signature: an attachment that is no catalogue material


def material_errors(matter: Matter, materials: list) -> list[str]:
    """Problems with the declared dispositions ([] when none were declared: an older kiosk).
    The same rules the kiosk's materials step applies (kiosk/session.py)."""
    if not materials:
        return []
    by_id = {m.id: m for m in matter.materials}
    errors, declared = [], {}
    for d in materials:
        if d.id in declared:
            errors.append(f"{d.id}：材料重复")
            continue
        declared[d.id] = d.disposition
        m = by_id.get(d.id)
        if m is None:
            if not (d.id == SIGNATURE_ID and d.disposition == "attached"):
                errors.append(f"{d.id}：不是该事项的申请材料")
        elif d.disposition == "exempt" and not m.exempt_by_sharing:
            errors.append(f"{m.name}：不能免提交")
        elif d.disposition == "window" and not m.window_allowed:
            errors.append(f"{m.name}：不能窗口补交")
    for m in matter.materials:
        if m.required and not m.exempt_by_sharing and declared.get(m.id, "none") == "none":
            errors.append(f"{m.name}：必需材料未提交")
    return errors


def _replay(s: Session, key: str, body_hash: str) -> dict | None:
    rec = s.scalar(select(db.ApplicationRecord).where(db.ApplicationRecord.idempotency_key == key))
    if rec is None:
        return None
    if rec.body_sha256 != body_hash:
        raise HTTPException(409, "Idempotency-Key already used with a different body")
    return submit_out(rec)


def _same_person(stored: str, given: str) -> bool:
    # compare_digest on bytes: it raises on non-ASCII str; and we do not reveal which part failed.
    return hmac.compare_digest(stored.upper().encode("utf-8"), given.upper().encode("utf-8"))


class ProgressQuery(BaseModel):
    """The applicant's ID number (read from the card) as proof: in the body, never in a URL,
    where proxies, access logs and browser histories would keep it."""
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(max_length=32, description="the applicant's ID number (proof)")


class ApplicantQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(max_length=32, description="the applicant's ID number, read from their card")
    limit: int = Field(default=20, ge=1, le=50)


@router.post("/api/v1/applications/{application_no}/progress", response_model=ProgressOut,
             responses={404: {"description": "no such application for this applicant"}})
def progress(body: ProgressQuery, request: Request, s: DbSession, terminal_id: Terminal,
             application_no: Annotated[str, Path(max_length=32)]):
    """One application's progress. The applicant's ID number is the proof (the kiosk read it
    from the card); a wrong number and an unknown application both answer 404."""
    return _progress(request, s, terminal_id, application_no, body.id_number)


@router.post("/api/v1/applications/of-applicant", response_model=ApplicationListOut)
def applications_of(body: ApplicantQuery, request: Request, s: DbSession, terminal_id: Terminal):
    """An identified person's applications, newest first. The kiosk sends the ID number it
    read from the card: that read is the proof, as for the progress query."""
    return _applications_of(request, s, terminal_id, body.id_number, body.limit)


def _progress(request: Request, s: Session, terminal_id: str, application_no: str, id_number: str) -> dict:
    rec = None
    if is_valid_application_no(application_no) and id_number:
        rec = s.scalar(select(db.ApplicationRecord).where(db.ApplicationRecord.application_no == application_no))
    if rec is None or not _same_person(rec.applicant_id_number, id_number):
        raise HTTPException(404, "no such application for this applicant")
    out = progress_out(s, rec, request.app.state.catalog.matter(s, rec.matter_code, rec.matter_version))
    audit.record_read(s, f"terminal:{terminal_id}", "api_read_application", rec.application_no,
                      rec.applicant_id_number, rec.applicant_name, client=_client(request))
    s.commit()
    return out


def _applications_of(request: Request, s: Session, terminal_id: str, applicant: str, limit: int) -> dict:
    applicant = applicant.upper()
    if not (applicant.isascii() and applicant.isalnum()) or len(applicant) != 18:   # no NUL for PostgreSQL
        return {"applications": []}
    recs = list(s.scalars(select(db.ApplicationRecord).where(db.ApplicationRecord.applicant_id_number == applicant)
                          .order_by(db.ApplicationRecord.created_at.desc(), db.ApplicationRecord.id.desc())
                          .limit(limit)))
    catalog = request.app.state.catalog
    out = {"applications": [progress_out(s, r, catalog.matter(s, r.matter_code, r.matter_version)) for r in recs]}
    if recs:
        audit.record_read(s, f"terminal:{terminal_id}", "api_list_applications",
                          ",".join(r.application_no for r in recs)[:128], applicant, recs[0].applicant_name,
                          detail=f"{len(recs)} application(s)", client=_client(request))
        s.commit()
    return out


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


# ---- the GET forms of 2026-11, kept one version for terminals not yet updated -----------------
# They carry the ID number in the query string. Answered as before (plus Deprecation headers);
# each use is counted in the log by terminal — without the number — so the operator sees which
# terminals still need the update. To be removed in the next version.

IdQuery = Annotated[str, Query(max_length=32, description="the applicant's ID number (proof)")]
_SUCCESSOR = {"progress": "/api/v1/applications/{application_no}/progress",
              "list": "/api/v1/applications/of-applicant"}


def _deprecated_use(request: Request, response: Response, terminal_id: str, which: str) -> None:
    uses = getattr(request.app.state, "deprecated_id_query_uses", None)
    if uses is None:                       # per process; the log line is what the operator reads
        uses = request.app.state.deprecated_id_query_uses = Counter()
    uses[(which, terminal_id)] += 1
    log.warning("deprecated GET %s query (ID number in the URL) from terminal %s, use %d since start; "
                "update the kiosk (POST %s)", which, terminal_id, uses[(which, terminal_id)], _SUCCESSOR[which])
    response.headers["Deprecation"] = "true"
    response.headers["Link"] = f'<{_SUCCESSOR[which]}>; rel="successor-version"'


@router.get("/api/v1/applications/{application_no}", response_model=ProgressOut, deprecated=True,
            responses={404: {"description": "no such application for this applicant"}})
def progress_deprecated(request: Request, response: Response, s: DbSession, terminal_id: Terminal,
                        application_no: Annotated[str, Path(max_length=32)], id_number: IdQuery = ""):
    """Deprecated: the ID number travels in the URL. Use POST …/{application_no}/progress."""
    _deprecated_use(request, response, terminal_id, "progress")
    return _progress(request, s, terminal_id, application_no, id_number)


@router.get("/api/v1/applications", response_model=ApplicationListOut, deprecated=True)
def applications_of_deprecated(request: Request, response: Response, s: DbSession, terminal_id: Terminal,
                               applicant: IdQuery, limit: Annotated[int, Query(ge=1, le=50)] = 20):
    """Deprecated: the ID number travels in the URL. Use POST /api/v1/applications/of-applicant."""
    _deprecated_use(request, response, terminal_id, "list")
    return _applications_of(request, s, terminal_id, applicant, limit)


@router.put("/api/v1/applications/{application_no}/materials/{material_id}", response_model=MaterialOut,
            max_body_size=MAX_MATERIAL_BYTES,
            openapi_extra={"requestBody": {"required": True, "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}}}}},
            responses={404: {"description": "no such application from this terminal"},
                       409: {"description": "the application is past the stage where materials are taken"},
                       413: {"description": "image larger than 3 MiB"},
                       415: {"description": "not a JPEG or PNG image"}})
async def put_material(request: Request, terminal_id: Terminal,
                       application_no: Annotated[str, Path(max_length=32)],
                       material_id: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]{1,64}$")]):
    """A photographed material (or "signature") as raw image bytes. Idempotent: the same
    material id again replaces the image, so the outbox may retry."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _IMAGE_MAGIC:
        raise HTTPException(415, "send the image as image/jpeg or image/png")
    data = await request.body()
    if not data.startswith(_IMAGE_MAGIC[content_type]):
        raise HTTPException(415, f"the body is not a {content_type} image")
    return await run_in_threadpool(_store_material, request.app.state.db, terminal_id, application_no,
                                   material_id, content_type, data)


def _store_material(database: db.Database, terminal_id: str, application_no: str, material_id: str,
                    content_type: str, data: bytes) -> dict:
    with database.session() as s:
        rec = None
        if is_valid_application_no(application_no):
            rec = s.scalar(select(db.ApplicationRecord).where(db.ApplicationRecord.application_no == application_no))
        if rec is None or rec.terminal_id != terminal_id:
            raise HTTPException(404, "no such application from this terminal")
        if rec.status not in _MATERIAL_STATUSES:
            raise HTTPException(409, "the application is no longer taking materials")
        digest = hashlib.sha256(data).hexdigest()
        for _attempt in range(2):
            m = s.scalar(select(db.ApplicationMaterial).where(db.ApplicationMaterial.application_id == rec.id,
                                                              db.ApplicationMaterial.material_id == material_id))
            if m is None:
                s.add(db.ApplicationMaterial(application_id=rec.id, material_id=material_id, content_type=content_type,
                                             sha256=digest, size=len(data), data=data))
            else:
                m.content_type, m.sha256, m.size, m.data = content_type, digest, len(data), data
            try:
                s.commit()
                break
            except IntegrityError:     # the same material uploaded twice at once: update instead
                s.rollback()
        log.info("material %s for %s stored (%d bytes)", material_id, application_no, len(data))
        return {"application_no": application_no, "material_id": material_id, "content_type": content_type,
                "size": len(data), "sha256": digest}
