"""POST /api/v1/terminals/{id}/heartbeat and …/commands/{cid}/ack: the terminal's status in,
queued remote commands out (terminals make only outbound calls: commands ride on replies).

Heartbeats are the hall's hottest path (10,000 terminals every 15 s; docs/decisions.md 20):
`HeartbeatFastPath` answers a well-formed heartbeat before FastAPI's routing and dependency
machinery, with the same validation and the same code as the route; everything else (a bad body,
another terminal's id, a wrong Content-Type) goes on to the FastAPI route below, which remains
the contract (OpenAPI) and produces every error answer.
"""
from __future__ import annotations

import json
import re
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response
from pydantic import ValidationError

from hall import db
from hall.api_deps import DbSession, Terminal, only_self
from hall.monitoring import HeartbeatWriter, ack_command, beat_values
from hall.schemas import HeartbeatIn, HeartbeatOut

router = APIRouter()

_NO_COMMANDS = b'{"commands":[]}'
# The hall's clock (epoch seconds, ms) on every heartbeat reply: the terminal measures its own
# clock against it (kiosk.clock.HallTime; Date has whole seconds only). A header, so the body
# stays the documented HeartbeatOut.
HALL_TIME_HEADER = "X-Hall-Time"


def hall_time_value() -> str:
    return f"{time.time():.3f}"


async def store_heartbeat(state, me: str, body: HeartbeatIn) -> bytes:
    """Store one validated heartbeat (group-committed by the app's HeartbeatWriter) and return
    the reply body: every unacknowledged command, oldest first."""
    writer = getattr(state, "heartbeat_writer", None)
    if writer is None:              # an app built without hall.app's wiring
        writer = state.heartbeat_writer = HeartbeatWriter(state.db)
    pending = await writer.submit(beat_values(me, body.model_dump(mode="json"), state.settings.heartbeat_interval_s))
    state.metrics.heartbeats.inc()
    if not pending:
        return _NO_COMMANDS         # almost every reply: no need to serialise anything
    return json.dumps({"commands": pending}, ensure_ascii=False, separators=(",", ":")).encode()


# Documented as bearer-protected without running a dependency per call: TerminalAuth has
# already resolved the token (request.state.terminal_id).
@router.post("/api/v1/terminals/{terminal_id}/heartbeat", response_model=HeartbeatOut,
             openapi_extra={"security": [{"HTTPBearer": []}]})
async def heartbeat(terminal_id: str, body: HeartbeatIn, request: Request) -> Response:
    me = request.state.terminal_id
    only_self(terminal_id, me)
    content = await store_heartbeat(request.app.state, me, body)
    return Response(content, media_type="application/json", headers={HALL_TIME_HEADER: hall_time_value()})


@router.post("/api/v1/terminals/{terminal_id}/commands/{command_id}/ack", status_code=204,
             response_class=Response, responses={404: {"description": "no such command for this terminal"}})
def ack(terminal_id: str, command_id: Annotated[str, Path(max_length=64)], me: Terminal, s: DbSession):
    only_self(terminal_id, me)
    c = s.get(db.Command, command_id)
    if c is None or c.terminal_id != me:
        raise HTTPException(404, "no such command for this terminal")
    ack_command(s, c)
    return Response(status_code=204)


_HEARTBEAT_PATH = re.compile(r"/api/v1/terminals/([^/]+)/heartbeat")
_JSON_TYPES = (b"application/json", b"application/json; charset=utf-8", b"application/json;charset=utf-8")


class HeartbeatFastPath:
    """Pure ASGI middleware, just inside TerminalAuth: a heartbeat that the route above would
    answer 200 is answered here, without FastAPI's routing, dependency solving and response
    handling (two thirds of a heartbeat's CPU time in the app, measured).

    "Would answer 200" is decided exactly as the route does it: POST, the path names the
    authenticated terminal, a JSON Content-Type, a body that `json.loads` parses to an object
    that HeartbeatIn validates (what FastAPI does for a body parameter). Anything else — and any
    doubt — is handed on to FastAPI with the body replayed, so every error answer (400, 403,
    413, 415, 422) is FastAPI's own. The storing and the reply are `store_heartbeat`, shared."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        m = _HEARTBEAT_PATH.fullmatch(scope["path"])
        me = scope.get("state", {}).get("terminal_id")
        if m is None or m.group(1) != me or not _json_content_type(scope["headers"]):
            return await self.app(scope, receive, send)
        received, body = [], b""
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":         # the client went away: FastAPI's business
                return await self.app(scope, _replay(received, receive), send)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        try:
            data = json.loads(body)
            heartbeat_in = HeartbeatIn.model_validate(data) if isinstance(data, dict) else None
        except (ValueError, RecursionError, ValidationError):
            heartbeat_in = None
        if heartbeat_in is None:
            return await self.app(scope, _replay(received, receive), send)
        content = await store_heartbeat(scope["app"].state, me, heartbeat_in)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(content)).encode()),
                                (b"content-type", b"application/json"),
                                (b"x-hall-time", hall_time_value().encode())]})
        await send({"type": "http.response.body", "body": content})


def _json_content_type(headers) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return value.lower() in _JSON_TYPES
    return False


def _replay(messages: list, receive):
    pending = list(messages)

    async def replayed():
        return pending.pop(0) if pending else await receive()

    return replayed
