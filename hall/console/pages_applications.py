"""Staff process applications: the list (overdue flagged), one application with its materials
and timeline, and the actions 受理 / 不予受理 / 补正 / 办结. Opening an application or an image
of its materials is audited: it shows personal data."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import audit, db
from hall.api_deps import DbSession, china_today
from hall.applications import (ACTIONS, FINAL, OVERDUE_TEXT, STATUS_TEXT, ActionError, apply_action, overdue,
                               timeline)
from hall.console import auth
from hall.console.common import Ctx, back_to, form_of, render
from kiosk.domain.identity import mask_name

router = APIRouter()
AppNo = Annotated[str, Path(max_length=32)]


def _get(s: Session, no: str) -> db.ApplicationRecord:
    rec = s.scalar(select(db.ApplicationRecord).where(db.ApplicationRecord.application_no == no))
    if rec is None:
        raise HTTPException(404, "没有这个办件")
    return rec


@router.get("/console/applications")
def applications(request: Request, ctx: Ctx, s: DbSession,
                 status: Annotated[str, Query(max_length=16)] = "open"):
    auth.require(ctx, "staff")
    q = select(db.ApplicationRecord).order_by(db.ApplicationRecord.created_at.desc()).limit(200)
    if status == "open":
        q = q.where(db.ApplicationRecord.status.not_in(FINAL))
    elif status in STATUS_TEXT:
        q = q.where(db.ApplicationRecord.status == status)
    today = china_today()
    rows = [{"no": r.application_no, "matter": r.matter_name, "applicant": mask_name(r.applicant_name),
             "status": r.status, "status_text": STATUS_TEXT.get(r.status, r.status), "received": r.created_at,
             "promised_due": r.promised_due, "overdue": OVERDUE_TEXT[overdue(r, today)]} for r in s.scalars(q)]
    # masked names only, but still a look at who applied: one line for the list
    db.audit(s, ctx.username, "view_application_list", detail=f"status={status[:16]}, {len(rows)} rows",
             client=ctx.client)
    s.commit()
    return render(request, "applications.html", ctx, rows=rows, status=status, statuses=STATUS_TEXT)


@router.get("/console/applications/{no}")
def application(request: Request, no: AppNo, ctx: Ctx, s: DbSession,
                error: Annotated[str, Query(max_length=200)] = ""):
    auth.require(ctx, "staff")
    rec = _get(s, no)
    audit.record_read(s, ctx.username, "view_application", no, rec.applicant_id_number, rec.applicant_name,
                      client=ctx.client)
    s.commit()
    materials = list(s.scalars(select(db.ApplicationMaterial).where(db.ApplicationMaterial.application_id == rec.id)
                               .order_by(db.ApplicationMaterial.material_id)))
    actions = [a for a in ACTIONS.values() if rec.status in a.from_]
    # Labels of the form the citizen filled in (the version it was submitted under).
    matter = request.app.state.catalog.matter(s, rec.matter_code, rec.matter_version)
    labels = {f.name: f.label for f in matter.form} if matter else {}
    return render(request, "application.html", ctx, rec=rec, status_text=STATUS_TEXT, labels=labels,
                  overdue=OVERDUE_TEXT[overdue(rec)], timeline=timeline(s, rec), materials=materials,
                  material_rows=material_rows(matter, rec.material_dispositions or [], materials),
                  actions=actions, error=error)


DISPOSITION_TEXT = {"attached": "已拍照上传", "exempt": "免提交（数据共享获取）", "window": "待补交（窗口）",
                    "none": "未提交"}


def material_rows(matter, dispositions: list, received: list) -> list[dict]:
    """Each material of the matter (as the version applied for) with what the kiosk declared
    for it and the image, if it arrived; then images that are no catalogue material (the
    signature). An older kiosk declares nothing: only the images it sent are listed."""
    declared = {d.get("id"): d.get("disposition", "") for d in dispositions if isinstance(d, dict)}
    images = {m.material_id: m for m in received}
    catalogue = {m.id: m for m in (matter.materials if matter else ())}
    ids = list(catalogue) if dispositions else []
    ids += [i for i in declared if i not in catalogue] + [i for i in images if i not in catalogue and i not in declared]
    rows = []
    for mid in ids:
        m = catalogue.get(mid)
        d = declared.get(mid, "attached" if mid in images else "none")
        name = m.name if m else ("申请人签名" if mid == "signature" else mid)
        image = images.get(mid)
        rows.append({"id": mid, "name": name, "form": m.form if m else "", "required": bool(m and m.required),
                     "disposition": d, "text": DISPOSITION_TEXT.get(d, d), "image": image,
                     "waiting": d == "attached" and image is None})   # still on its way from the kiosk
    return rows


@router.post("/console/applications/{no}/action")
async def act(request: Request, no: AppNo, ctx: Ctx, s: DbSession):
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    auth.require(ctx, "staff")
    rec = _get(s, no)
    action = form.get("action", "")
    try:
        apply_action(s, rec, action, form.get("note", ""), ctx.username)
    except ActionError as e:
        s.rollback()
        return render(request, "message.html", ctx, status_code=409, title="操作未执行", message=str(e),
                      back=f"/console/applications/{no}")
    db.audit(s, ctx.username, f"application_{action}", target=no, detail=f"-> {rec.status}", client=ctx.client)
    s.commit()
    return back_to(f"/console/applications/{no}")


@router.get("/console/applications/{no}/materials/{material_id}")
def material(no: AppNo, material_id: Annotated[str, Path(max_length=64)], ctx: Ctx, s: DbSession):
    auth.require(ctx, "staff")
    rec = _get(s, no)
    m = s.scalar(select(db.ApplicationMaterial).where(db.ApplicationMaterial.application_id == rec.id,
                                                      db.ApplicationMaterial.material_id == material_id))
    if m is None:
        raise HTTPException(404, "没有这份材料")
    audit.record_read(s, ctx.username, "view_material", no, rec.applicant_id_number, rec.applicant_name,
                      detail=material_id, client=ctx.client)
    s.commit()
    return Response(m.data, media_type=m.content_type,
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
