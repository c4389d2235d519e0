"""Print and reprint: the receipt after a submission, 补打 on request (never a silent retry),
the technician's test page. Every slip goes through `print_doc`, so the printer's status
after a job is what the screen shows. The last receipt is kept for 补打 and dropped with
the session (it names the person, masked)."""
from __future__ import annotations

import uuid
from typing import MutableMapping

from kiosk import session as S
from kiosk.clock import china_time
from kiosk.domain import materials as M
from kiosk.domain.receipt import application_receipt, technician_test_page
from kiosk.ports import Clock, DeviceStatus, ReceiptPrinter


class Printing:
    def __init__(self, settings, printer: ReceiptPrinter, clock: Clock, devices: MutableMapping[str, DeviceStatus]):
        self._cfg, self._printer, self._clock = settings, printer, clock
        self._devices = devices              # the controller's device table: "printer" is ours
        self.receipt = None

    def print_doc(self, doc):
        result = self._printer.print(doc)
        self._devices["printer"] = result.status
        return result

    def check(self) -> None:
        """Before the user submits: paper out means no receipt, say it now (issue #5)."""
        self._devices["printer"] = self._printer.status()

    def application(self, s: S.Session) -> S.Printed:
        cfg = self._cfg
        self.receipt = application_receipt(
            job_id=f"{cfg.terminal_id}-{s.outcome.application_no}",
            hall_name=cfg.hall_name, terminal_id=cfg.terminal_id,
            matter_name=s.matter.name, application_no=s.outcome.application_no,
            applicant_name=s.card.name, applicant_id_number=s.card.id_number,
            submitted_at=china_time(self._clock.now()),
            time_limit_text=s.outcome.time_limit_text, consult_phone=s.matter.consult_phone,
            complaint_phone=s.matter.complaint_phone, queued=s.outcome.queued,
            window_materials=tuple(M.window_names(s.matter, s.dispositions)), window_location=s.matter.location)
        return self._print_receipt(self.receipt)

    def reprint(self) -> S.Printed | None:
        if self.receipt is None:
            return None
        self.receipt = self.receipt.as_reprint(f"{self.receipt.job_id}-R{uuid.uuid4().hex[:6]}")
        return self._print_receipt(self.receipt)

    def forget(self) -> None:
        self.receipt = None

    def test_page(self) -> S.Say:
        cfg = self._cfg
        doc = technician_test_page(job_id=f"{cfg.terminal_id}-test-{uuid.uuid4().hex[:8]}",
                                   hall_name=cfg.hall_name, terminal_id=cfg.terminal_id,
                                   printer=cfg.printer_name, columns=cfg.printer_columns,
                                   text_mode="native", printed_at=china_time(self._clock.now()))
        result = self.print_doc(doc)
        return S.Say("测试页已打印" if result.ok else (result.message or "打印失败"))

    def _print_receipt(self, doc) -> S.Printed:
        result = self.print_doc(doc)
        return S.Printed(result.ok, result.message or ("回执已打印，请取走" if result.ok else "回执打印失败"))
