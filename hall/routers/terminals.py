"""POST /api/v1/terminals/{id}/heartbeat and …/commands/{cid}/ack: the terminal's status in,
queued remote commands out (terminals make only outbound calls: commands ride on replies)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from hall import db
from hall.api_deps import DbSession, Terminal, only_self
from hall.monitoring import ack_command, record_heartbeat
from hall.schemas import HeartbeatIn, HeartbeatOut

router = APIRouter()


@router.post("/api/v1/terminals/{terminal_id}/heartbeat", response_model=HeartbeatOut)
def heartbeat(terminal_id: str, body: HeartbeatIn, request: Request, me: Terminal):
    only_self(terminal_id, me)
    # Its own session rather than the DbSession dependency: a generator dependency costs two
    # extra thread-pool hops, a third of a heartbeat's time at 10,000 terminals.
    with request.app.state.db.session() as s:
        pending = record_heartbeat(s, me, body.model_dump(mode="json"),
                                   request.app.state.settings.heartbeat_interval_s)
    request.app.state.metrics.heartbeats.inc()
    return {"commands": pending}


@router.post("/api/v1/terminals/{terminal_id}/commands/{command_id}/ack", status_code=204,
             response_class=Response, responses={404: {"description": "no such command for this terminal"}})
def ack(terminal_id: str, command_id: Annotated[str, Path(max_length=64)], me: Terminal, s: DbSession):
    only_self(terminal_id, me)
    c = s.get(db.Command, command_id)
    if c is None or c.terminal_id != me:
        raise HTTPException(404, "no such command for this terminal")
    ack_command(s, c)
    return Response(status_code=204)
