"""被退回的上传: outbox items the hall refused, as each terminal's heartbeat reports them
(kiosk/rejected.py) — what, which terminal, when, why, and how it was resolved on the kiosk
(再试一次 / 移交窗口). The heartbeat carries no personal data, so neither does this page: the
待上传 number is what the citizen's receipt shows and what the window staff ask for."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from hall import db
from hall.api_deps import DbSession
from hall.console.common import Ctx, render

router = APIRouter()

KIND_TEXT = {"application": "申请", "material": "材料", "evaluation": "评价"}
STATE_TEXT = {"rejected": "待处理", "pending": "已重新排队", "sent": "重试后已上传", "handed_over": "已移交窗口"}


def rejected_rows(s, matter_names: dict[str, str]) -> list[dict]:
    rows = []
    for t, hb in s.execute(select(db.Terminal, db.Heartbeat).join(db.Heartbeat, db.Heartbeat.terminal_id == db.Terminal.id)
                           .order_by(db.Terminal.id)):
        items = (hb.snapshot or {}).get("rejected_items")
        if not isinstance(items, list):
            continue
        for i in items:
            if not isinstance(i, dict):
                continue
            what = str(i.get("what", ""))
            rows.append({"terminal_id": t.id, "terminal": t.name, "ref": str(i.get("ref", ""))[:32],
                         "kind": KIND_TEXT.get(i.get("kind"), str(i.get("kind", ""))[:16]),
                         "what": matter_names.get(what, what)[:80], "at": str(i.get("at", ""))[:20],
                         "reason": str(i.get("reason", ""))[:200], "state": str(i.get("state", ""))[:16],
                         "state_text": STATE_TEXT.get(i.get("state"), str(i.get("state", ""))[:16])})
    return rows


@router.get("/console/outbox")
def rejected_page(request: Request, ctx: Ctx, s: DbSession):
    names = {m.code: m.name for m in request.app.state.catalog.snapshot.catalog.matters}
    rows = rejected_rows(s, names)
    return render(request, "outbox.html", ctx, rows=rows, open_count=sum(1 for r in rows if r["state"] == "rejected"))
