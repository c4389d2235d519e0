"""Credit (信用报告): the card holder's own report or that of an enterprise they represent
(its 电子营业执照 QR), fetched from the hall; printed as a summary slip on the receipt printer
or in full on the A4 printer where there is one."""
from __future__ import annotations

import logging

from kiosk import session as S
from kiosk.clock import china_time
from kiosk.domain.receipt import credit_summary
from kiosk.ports import Clock, HallClient, HallRejected, HallUnavailable
from kiosk.usecases.printing import Printing

log = logging.getLogger(__name__)


class Credit:
    def __init__(self, settings, hall: HallClient, printing: Printing, report_printer, clock: Clock):
        self._cfg, self._hall, self._printing = settings, hall, printing
        self._report_printer = report_printer      # A4 (ports.ReportPrinter); None: none here
        self._clock = clock

    def fetch(self, s: S.Session) -> S.ShowCredit:
        kind, code, licence_qr = s.credit_request
        try:
            return S.ShowCredit(self._hall.credit_report(kind, code, s.card.name, s.card.id_number, licence_qr))
        except HallUnavailable:
            return S.ShowCredit(None, "网络中断，暂时无法查询，请稍后再试")
        except HallRejected as e:
            if e.status in (403, 404):
                return S.ShowCredit(None, "只能查询本人或本人担任法定代表人的企业的信用报告")
            return S.ShowCredit(None, "暂时无法查询，请咨询工作人员")

    def print(self, s: S.Session, a4: bool) -> S.Say:
        report = s.credit
        if a4:
            if self._report_printer is None:
                return S.Say("本终端未配置A4打印机，请打印摘要，或凭报告编号到窗口打印")
            result = self._report_printer.print_report(report)
            log.info("A4 credit report %s: sent=%s", report.report_no, result.sent)
            return S.Say("完整报告已送打印机，请到A4打印机取件" if result.sent else "完整报告已生成，请到窗口打印")
        cfg = self._cfg
        doc = credit_summary(job_id=f"{cfg.terminal_id}-{report.report_no}", hall_name=cfg.hall_name,
                             terminal_id=cfg.terminal_id, report=report, printed_at=china_time(self._clock.now()))
        result = self._printing.print_doc(doc)
        return S.Say("信用报告摘要已打印，请取走" if result.ok else (result.message or "打印失败"))
