"""Technician menu: the PIN (constant-time compare; an empty configured PIN disables the menu),
and the outbox items the hall refused (kiosk/rejected.py): 再试一次 re-queues one, 移交窗口
prints the 移交单 for the window staff and only then drops the personal data (a failed print
changes nothing: never lost, never silently kept)."""
from __future__ import annotations

import hmac
import logging

from kiosk import rejected
from kiosk import session as S
from kiosk.clock import china_time
from kiosk.domain.message import Msg
from kiosk.events import RetryRejected
from kiosk.outbox import OutboxFull, OutboxSender, SqliteOutbox
from kiosk.ports import Clock
from kiosk.usecases.apply import Apply
from kiosk.usecases.printing import Printing
from kiosk.usecases.submit import STORAGE_FAILED

log = logging.getLogger(__name__)


class Technician:
    def __init__(self, settings, outbox: SqliteOutbox, sender: OutboxSender, printing: Printing,
                 apply: Apply, clock: Clock):
        self._cfg, self._outbox, self._sender = settings, outbox, sender
        self._printing, self._apply, self._clock = printing, apply, clock
        self.rejected: tuple = ()       # read from the outbox when the menu opens

    def check_pin(self, pin: str) -> S.PinChecked:
        configured = self._cfg.technician_pin
        return S.PinChecked(bool(configured) and hmac.compare_digest(pin.encode(), configured.encode()))

    def follow(self, before: S.State, after: S.State) -> None:
        """The rejected list is read when the menu opens and forgotten when it closes."""
        if after is S.State.TECH and before is not S.State.TECH:
            self.rejected = rejected.items(self._outbox.rejected_rows())
        elif after is not S.State.TECH:
            self.rejected = ()

    def resolve(self, event) -> S.Say:
        """再试一次 (RetryRejected) or 移交窗口 (HandOverRejected)."""
        row = next((r for r in self._outbox.rejected_rows() if r["key"] == event.key and r["state"] == "rejected"), None)
        if row is None:
            return S.Say("该项已处理")
        try:
            if isinstance(event, RetryRejected):
                self._outbox.retry_rejected(event.key)
                self._sender.wake()
                log.info("rejected outbox item %s re-queued by the technician", event.key)
                return S.Say("已重新排队上传")
            return self._hand_over(event.key, row)
        except OutboxFull as e:
            log.error("cannot resolve rejected item %s: %s", event.key, e)
            return S.Say(STORAGE_FAILED)
        finally:
            self.rejected = rejected.items(self._outbox.rejected_rows())

    def _hand_over(self, key: str, row: dict) -> S.Say:
        matter = self._apply.matter((row["payload"] or {}).get("matter_code"))
        doc = rejected.handover_slip(job_id=f"{self._cfg.terminal_id}-handover-{key[:8]}",
                                     hall_name=self._cfg.hall_name, terminal_id=self._cfg.terminal_id,
                                     matter_name=matter.name if matter else "", row=row,
                                     printed_at=china_time(self._clock.now()))
        result = self._printing.print_doc(doc)
        if not result.ok:
            return S.Say(Msg("移交单打印失败，未移交：{detail}", detail=result.message or "打印机故障"))
        self._outbox.hand_over(key)
        log.info("rejected outbox item %s handed over to the window", key)
        return S.Say("移交单已打印，请交窗口工作人员")
