"""好差评 follow-up (处理 + 回访), the credit report request log, and the audit trail."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy import select

from hall import db
from hall.api_deps import DbSession
from hall.console import auth
from hall.console.common import Ctx, back_to, form_of, render
from kiosk.domain.evaluation import LEVELS

router = APIRouter()


@router.get("/console/evaluations")
def evaluations(request: Request, ctx: Ctx, s: DbSession,
                show: Annotated[str, Query(max_length=16)] = "follow_up"):
    auth.require(ctx, "staff")
    q = select(db.Evaluation).order_by(db.Evaluation.created_at.desc()).limit(200)
    if show == "follow_up":
        q = q.where(db.Evaluation.needs_follow_up.is_(True), db.Evaluation.revisit_at.is_(None))
    return render(request, "evaluations.html", ctx, rows=list(s.scalars(q)), levels=LEVELS, show=show)


@router.post("/console/evaluations/{evaluation_id}/{step}")
async def follow_up(request: Request, evaluation_id: Annotated[int, Path(ge=1, le=2**62)],
                    step: Annotated[str, Path(pattern="^(handle|revisit)$")], ctx: Ctx, s: DbSession):
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    auth.require(ctx, "staff")
    e = s.get(db.Evaluation, evaluation_id)
    if e is None or not e.needs_follow_up:
        raise HTTPException(404, "没有这条需要跟进的评价")
    note = form.get("note", "").strip()
    if not note:
        raise HTTPException(400, "请填写处理情况或回访结果")
    now = db.utcnow()
    if step == "handle":
        e.handled_note, e.handled_by, e.handled_at = note, ctx.username, now
    else:
        if e.handled_at is None:
            raise HTTPException(409, "请先填写处理情况，再回访")
        e.revisit_note, e.revisit_by, e.revisit_at = note, ctx.username, now
    db.audit(s, ctx.username, f"evaluation_{step}", target=str(evaluation_id), client=ctx.client)
    s.commit()
    return back_to("/console/evaluations")


@router.get("/console/credit")
def credit_log(request: Request, ctx: Ctx, s: DbSession):
    auth.require(ctx)
    rows = s.scalars(select(db.CreditRequest).order_by(db.CreditRequest.at.desc()).limit(200))
    return render(request, "credit.html", ctx, rows=list(rows))


@router.get("/console/audit")
def audit_log(request: Request, ctx: Ctx, s: DbSession):
    auth.require(ctx)
    rows = s.scalars(select(db.AuditEntry).order_by(db.AuditEntry.at.desc(), db.AuditEntry.id.desc()).limit(300))
    return render(request, "audit.html", ctx, rows=list(rows))
