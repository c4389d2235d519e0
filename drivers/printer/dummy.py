"""An in-memory ReceiptPrinter for unit tests of the core: keeps the documents, prints nothing.

Behaves like EscposReceiptPrinter where the core can tell: a job_id is printed once, and a
status that is not usable (set `status_value`) refuses the job with the same Chinese message.
"""
from __future__ import annotations

from drivers.printer.escpos_printer import ALREADY_PRINTED, MESSAGES
from kiosk.domain.receipt import ReceiptDoc
from kiosk.ports import DeviceState, DeviceStatus, PrintResult


class DummyReceiptPrinter:
    def __init__(self, status: DeviceStatus | None = None):
        self.status_value = status or DeviceStatus.ok()
        self.docs: list[ReceiptDoc] = []

    def status(self) -> DeviceStatus:
        return self.status_value

    def print(self, doc: ReceiptDoc) -> PrintResult:
        if any(d.job_id == doc.job_id for d in self.docs):
            return PrintResult(True, doc.job_id, self.status_value, ALREADY_PRINTED)
        if not self.status_value.usable:
            message = MESSAGES.get(self.status_value.state, MESSAGES[DeviceState.FAULT])
            return PrintResult(False, doc.job_id, self.status_value, message)
        self.docs.append(doc)
        return PrintResult(True, doc.job_id, self.status_value)
