"""Delivering outbox items to the hall, by kind, on the sender's thread (kiosk/outbox.py's
OutboxSender calls `send_outbox_item`), and what the heartbeat says of the outbox."""
from __future__ import annotations

import base64
import logging

from kiosk import rejected
from kiosk.domain.application import Application
from kiosk.outbox import NotYet, SqliteOutbox
from kiosk.ports import HallClient, HallRejected

log = logging.getLogger(__name__)


def outbox_report(outbox: SqliteOutbox) -> dict:
    """What the heartbeat says of the outbox beyond its backlog: refused items (no personal
    data) and whether the disk still takes writes."""
    return {**rejected.heartbeat_fields(outbox.rejected_rows()), "outbox_writable": outbox.writable}


def send_outbox_item(client: HallClient, outbox: SqliteOutbox, item) -> dict:
    """One outbox item to the hall, by kind. Raises HallUnavailable / HallRejected like the client."""
    if item.kind == "application":
        result = client.submit(Application.from_json(item.payload), item.key)
        return {"application_no": result.application_no, "status": result.status}
    if item.kind == "evaluation":
        body = dict(item.payload)
        key = body.pop("application_key", "")
        if body.get("application_no") is None and key:
            sent = outbox.result(key)
            if sent is None and outbox.state_of(key) == "pending":
                # the rated application is still queued: rate it once the hall has numbered it
                raise NotYet("the rated application is not delivered yet")
            body["application_no"] = sent["application_no"] if sent else None
        return client.evaluate(body, item.key)
    if item.kind == "material":
        return _send_material(client, outbox, item)
    raise HallRejected(0, f"unknown outbox item kind {item.kind!r}")


def _send_material(client: HallClient, outbox: SqliteOutbox, item) -> dict:
    """A material image (or the signature) after its application: the hall's number comes from
    the application item's result. While the application is still queued the image waits
    (raised as unavailable, so the order holds across restarts and offline periods); if the
    application was refused, the image is refused too — never retried for ever."""
    p = item.payload
    key = p["application_key"]
    sent = outbox.result(key)
    if sent is None:
        state = outbox.state_of(key)
        if state == "pending":
            raise NotYet(f"material {p['material_id']}: its application is not delivered yet")
        log.warning("material %s dropped: its application is %s", p["material_id"], state or "unknown")
        raise HallRejected(0, f"application {state or 'unknown'}: material not sent")
    return client.put_material(sent["application_no"], p["material_id"], p["content_type"],
                               base64.b64decode(p["data_b64"]))
