"""好差评 follow-up (处理 + 回访), the credit report request log, and the audit trail."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from sqlalchemy import select

from hall import audit, db
from hall.api_deps import DbSession
from hall.console import auth
from hall.console.common import Ctx, back_to, form_of, render
from kiosk.domain.evaluation import LEVELS
from kiosk.domain.identity import mask_id_number

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
    rows = list(s.scalars(select(db.CreditRequest).order_by(db.CreditRequest.at.desc()).limit(200)))
    db.audit(s, ctx.username, "view_credit_log", detail=f"{len(rows)} rows (masked)", client=ctx.client)
    s.commit()
    return render(request, "credit.html", ctx, rows=rows)


AUDIT_PAGE = 300


@router.get("/console/audit")
def audit_log(request: Request, ctx: Ctx, s: DbSession, actor: Annotated[str, Query(max_length=64)] = "",
              reads: Annotated[str, Query(max_length=4)] = "", before: Annotated[int, Query(ge=0, le=2**62)] = 0):
    """The audit trail, newest first, AUDIT_PAGE rows a page. `reads`: only reads of a person's data."""
    auth.require(ctx)
    actor = actor.strip() if actor.isprintable() else ""       # no NUL into PostgreSQL
    return _audit_page(request, ctx, s, "", actor, reads, before)


@router.post("/console/audit")
async def audit_by_person(request: Request, ctx: Ctx, s: DbSession):
    """Every row about one person, found by the keyed hash of the full ID number the administrator
    types (answering a citizen's "who has seen my data"). A POST: the number stays out of URLs
    and the browser's history. The search is itself audited."""
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    auth.require(ctx)
    person = form.get("person", "").strip().upper()[:32]
    if person:
        audit.record_read(s, ctx.username, "audit_search", "", person, client=ctx.client)
        s.commit()
    actor = form.get("actor", "").strip()[:64]
    return _audit_page(request, ctx, s, person, actor if actor.isprintable() else "", form.get("reads", "")[:4], 0)


def _audit_page(request: Request, ctx, s, person: str, actor: str, reads: str, before: int):
    q = select(db.AuditEntry).order_by(db.AuditEntry.id.desc()).limit(AUDIT_PAGE)
    if person:
        q = q.where(db.AuditEntry.subject_hash == audit.subject_hash(s, person))
    if actor:
        q = q.where(db.AuditEntry.actor == actor)
    if reads:
        q = q.where(db.AuditEntry.subject_hash != "")
    if before:
        q = q.where(db.AuditEntry.id < before)
    rows = list(s.scalars(q))
    older = rows[-1].id if len(rows) == AUDIT_PAGE and not person else 0
    return render(request, "audit.html", ctx, rows=rows, person=mask_id_number(person) if person else "",
                  actor=actor, reads=reads, older=older, action_text=ACTION_TEXT)


# What the page calls the actions a person's data is read by (the rest are shown as recorded).
ACTION_TEXT = {"view_application": "查看办件", "view_material": "查看材料图片", "view_application_list": "查看办件列表",
               "api_read_application": "终端查询办件进度", "api_list_applications": "终端查询本人办件",
               "credit_report_issued": "终端出具信用报告", "verify_credit_report": "公开核验信用报告",
               "view_credit_log": "查看信用报告记录", "audit_search": "按身份证号查审计日志"}
