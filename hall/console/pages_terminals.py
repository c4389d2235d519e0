"""The dashboard (one tile per terminal, refreshed by console.js without reloading), a
terminal's detail page, and remote commands queued for the next heartbeat reply."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import db
from hall.api_deps import DbSession, china_time
from hall.cluster import announce_catalog_reload
from hall.console import auth
from hall.console.common import Ctx, back_to, form_of, render
from hall.console.dashboard import Dashboard
from hall.monitoring import DEVICE_NAMES, STATE_TEXT, terminal_view
from kiosk.domain.catalogue import CatalogError

router = APIRouter()

COMMANDS = db.COMMAND_TEXT
TerminalId = Annotated[str, Path(max_length=64)]


def _dashboard(request: Request) -> Dashboard:
    d = getattr(request.app.state, "dashboard", None)
    if d is None:                   # an app built without hall.app's wiring
        d = request.app.state.dashboard = Dashboard(request.app.state.db)
    return d


def command_state(c: db.Command) -> tuple[str, str]:
    if c.acked_at is not None:
        return "acked", "已确认"
    if c.delivered_at is not None:
        return "delivered", "已下发，待确认"
    return "queued", "排队中"


def _detail(s: Session, terminal_id: str) -> dict:
    t = s.get(db.Terminal, terminal_id)
    if t is None:
        raise HTTPException(404, "没有这台终端")
    hb = s.get(db.Heartbeat, terminal_id)
    view = terminal_view(t, hb, db.utcnow())
    snap = hb.snapshot if hb else {}
    devices = [{"name": DEVICE_NAMES.get(k, k), "key": k, "state": d.get("state", ""),
                "state_text": STATE_TEXT.get(d.get("state", ""), "正常") if d.get("state") not in ("ok",) else "正常",
                "detail": d.get("detail") or d.get("code") or ""}
               for k, d in sorted((snap.get("devices") or {}).items())]
    commands = s.scalars(select(db.Command).where(db.Command.terminal_id == terminal_id)
                         .order_by(db.Command.created_at.desc()).limit(20))
    events = s.scalars(select(db.TerminalEvent).where(db.TerminalEvent.terminal_id == terminal_id)
                       .order_by(db.TerminalEvent.at.desc(), db.TerminalEvent.id.desc()).limit(50))
    return {**view, "uptime_s": snap.get("uptime_s", 0), "today": snap.get("today", {}),
            "last_error": snap.get("last_error", ""), "interval_s": hb.interval_s if hb else None,
            "devices": devices,
            "commands": [{"id": c.id, "kind": c.kind, "kind_text": COMMANDS.get(c.kind, c.kind),
                          "text": c.payload.get("text", ""), "state": command_state(c)[0],
                          "state_text": command_state(c)[1], "created_at": china_time(c.created_at),
                          "created_by": c.created_by, "acked_at": china_time(c.acked_at)} for c in commands],
            "events": [{"at": china_time(e.at), "kind": e.kind, "level": e.level, "text": e.text} for e in events]}


@router.get("/console/")
def dashboard(request: Request, ctx: Ctx):
    snap = _dashboard(request).current()
    return render(request, "dashboard.html", ctx, terminals=snap.tiles, summary=snap.summary, version=snap.tag)


@router.get("/console/api/terminals")
def terminals_json(request: Request, ctx: Ctx, since: Annotated[str | None, Query(max_length=64)] = None):
    """Every tile (`"full": true`), or with `since=<version>` from the previous answer only the
    tiles changed after it (`"full": false`); always the counts and the new `version`
    (hall/console/dashboard.py: one snapshot shared by all consoles, rebuilt at most every 2 s)."""
    return Response(_dashboard(request).current().since(since), media_type="application/json")


@router.get("/console/api/terminals/{terminal_id}")
def terminal_json(terminal_id: TerminalId, ctx: Ctx, s: DbSession):
    return _detail(s, terminal_id)


@router.get("/console/terminals/{terminal_id}")
def terminal_page(request: Request, terminal_id: TerminalId, ctx: Ctx, s: DbSession):
    return render(request, "terminal.html", ctx, t=_detail(s, terminal_id), commands=COMMANDS)


@router.post("/console/terminals/{terminal_id}/commands")
async def send_command(request: Request, terminal_id: TerminalId, ctx: Ctx, s: DbSession):
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    auth.require(ctx, "technician")
    if s.get(db.Terminal, terminal_id) is None:
        raise HTTPException(404, "没有这台终端")
    kind = form.get("kind", "")
    if kind not in COMMANDS:
        raise HTTPException(400, "未知的指令")
    payload = {}
    if kind == "notice":
        text = form.get("text", "").strip()
        if len(text) > 200 or any(ord(c) < 32 for c in text):
            raise HTTPException(400, "公告最多 200 字，且不能含控制字符")
        payload["text"] = text                 # empty text clears the notice
    cid = db.queue_command(s, terminal_id, kind, payload, created_by=ctx.username)
    db.audit(s, ctx.username, "terminal_command", target=terminal_id, detail=f"{kind} {cid}", client=ctx.client)
    s.commit()
    return back_to(f"/console/terminals/{terminal_id}")


@router.post("/console/catalog/reload")
async def reload_catalog(request: Request, ctx: Ctx, s: DbSession):
    """Re-read config/catalog (the hall's own copy); kiosks pick it up by ETag, or at once with
    the reload_catalog command."""
    form = await form_of(request)
    auth.check_csrf(request, ctx, form.get("csrf"))
    auth.require(ctx)
    try:
        snap = request.app.state.catalog.load()
    except CatalogError as e:
        db.audit(s, ctx.username, "catalog_reload_failed", detail=str(e)[:500], client=ctx.client)
        s.commit()
        return render(request, "message.html", ctx, status_code=422, title="事项目录未更新",
                      message=f"目录有错误，仍在使用原目录：{e}")
    db.audit(s, ctx.username, "catalog_reload", detail=f"{len(snap.catalog.matters)} matters, etag {snap.etag}",
             client=ctx.client)
    announce_catalog_reload(s)      # the other instances / workers reload within 2 s (hall/cluster.py)
    s.commit()
    return render(request, "message.html", ctx, title="事项目录已更新",
                  message=f"已加载 {len(snap.catalog.matters)} 个事项。终端将在下次获取目录时更新。")
