"""Evaluation (好差评): a rating goes through the outbox like an application, so it is never
lost, and it is sent after the application it rates (the sender resolves the hall's number
by the application's key)."""
from __future__ import annotations

import logging
import uuid

from kiosk import session as S
from kiosk.outbox import OutboxFull, OutboxSender, SqliteOutbox

log = logging.getLogger(__name__)


class Evaluation:
    def __init__(self, outbox: SqliteOutbox, sender: OutboxSender):
        self._outbox, self._sender = outbox, sender

    def queue(self, s: S.Session, rate: S.Rate) -> None:
        payload = {"level": rate.level, "reasons": list(rate.reasons), "matter_code": s.matter.code,
                   "application_key": s.outcome.key,
                   "application_no": None if s.outcome.queued else s.outcome.application_no}
        try:
            self._outbox.enqueue(uuid.uuid4().hex, "evaluation", payload)
            self._sender.wake()
        except OutboxFull:
            log.error("outbox unwritable: a 好差评 could not be saved")
