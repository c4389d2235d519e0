"""POST /api/v1/evaluations: 好差评 from a terminal. Idempotent like applications (the kiosk's
outbox may deliver it late and more than once)."""
from __future__ import annotations

import hashlib
import logging

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hall import db
from hall.api_deps import DbSession, IdempotencyKey, Terminal
from hall.catalog_store import canonical_json
from hall.schemas import EvaluationIn, EvaluationOut
from kiosk.domain.evaluation import level_text, needs_reason

log = logging.getLogger("hall")
router = APIRouter()


def _out(e: db.Evaluation) -> dict:
    return {"id": e.id, "level": e.level, "level_text": level_text(e.level), "follow_up": e.needs_follow_up}


@router.post("/api/v1/evaluations", status_code=201, response_model=EvaluationOut,
             responses={200: {"description": "replay with the same Idempotency-Key and body"},
                        409: {"description": "Idempotency-Key already used with a different body"}})
def evaluate(body: EvaluationIn, response: Response, terminal_id: Terminal, s: DbSession, key: IdempotencyKey):
    body_hash = hashlib.sha256(canonical_json({**body.model_dump(), "terminal_id": terminal_id})).hexdigest()
    existing = s.scalar(select(db.Evaluation).where(db.Evaluation.idempotency_key == key))
    if existing is not None:
        if existing.body_sha256 != body_hash:
            raise HTTPException(409, "Idempotency-Key already used with a different body")
        response.status_code = 200
        return _out(existing)
    reasons = [r.strip() for r in body.reasons if r.strip()]
    if needs_reason(body.level) and not reasons and not body.comment.strip():
        raise HTTPException(422, "请选择或填写不满意的原因（level 1 and 2 need a reason）")
    matter_code = body.matter_code
    if body.application_no:
        app = s.scalar(select(db.ApplicationRecord).where(db.ApplicationRecord.application_no == body.application_no))
        if app is None:
            raise HTTPException(422, f"unknown application_no {body.application_no!r}; omit it for a visit "
                                     "without an application")
        matter_code = matter_code or app.matter_code
    e = db.Evaluation(idempotency_key=key, body_sha256=body_hash, level=body.level, reasons=reasons,
                      comment=body.comment.strip(), application_no=body.application_no, matter_code=matter_code,
                      terminal_id=terminal_id, needs_follow_up=needs_reason(body.level))
    s.add(e)
    try:
        s.commit()
    except IntegrityError:          # the same key raced in from a retry: answer as a replay
        s.rollback()
        return evaluate(body, response, terminal_id, s, key)
    log.info("evaluation %d: level %d, terminal %s", e.id, e.level, terminal_id)
    return _out(e)
