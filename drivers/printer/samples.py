"""Sample data for every receipt template: the technician's `--sample`, golden bytes, bench.

Fixed values (no clock) so that the same template always gives the same bytes. People and
companies here are made up; the ID number and the 统一社会信用代码 have valid check digits, the
report number and verify code have the shapes kiosk/domain/credit.py gives them.
"""
from __future__ import annotations

import datetime as dt

from kiosk.domain.credit_report import CreditReport, CreditRow, CreditSection, CreditSubject
from kiosk.domain.receipt import (ProgressStep, ReceiptDoc, application_receipt, credit_summary,
                                  evaluation_thanks, progress_slip, queued_receipt,
                                  technician_test_page)

TEMPLATES = ("application", "queued", "credit", "progress", "evaluation", "test")

HALL = "杭州市西湖区便民服务中心"
TERMINAL = "XH-KIOSK-07"
AT = dt.datetime(2026, 11, 28, 9, 30)
APPLICATION_NO = "QY2026112800001K"
LOCAL_NO = "DS3F2A9C41B07E"
APPLICANT = dict(applicant_name="欧阳小明", applicant_id_number="330106199003071236")
MATTER = "企业开办（含设立登记、公章刻制、申领发票、社保登记、公积金开户）一件事"


def credit_report(rows_per_section: int = 1) -> CreditReport:
    """An enterprise report; `rows_per_section` > 1 makes it run over several A4 pages."""
    licences = [CreditRow([f"食品经营许可证（第{i}次延续）", f"JY1330106{i:07d}", "杭州市西湖区市场监督管理局",
                           f"2025-{(i % 12) + 1:02d}-15"]) for i in range(1, 2 + rows_per_section)]
    penalties = [CreditRow(["西市监罚处〔2024〕118号", "未按规定公示年度报告", "警告", "2024-06-03"], repaired=True)]
    penalties += [CreditRow([f"西市监罚处〔2025〕{200 + i}号", "广告中使用绝对化用语", "罚款 3000 元", "2025-03-21"])
                  for i in range(rows_per_section - 1)]
    return CreditReport(
        report_no="XY2026112800042I", generated_at=AT, verify_code="7KQ4MHXD",
        verify_url="https://xy.hz.example.gov.cn/verify/XY2026112800042I",
        subject=CreditSubject("杭州示例云计算科技有限公司", "91330106MA2KXXXX8X"),
        issuer="杭州市公共信用信息平台", purpose="招投标",
        sections=[
            CreditSection("行政许可", ["许可内容", "许可证编号", "许可机关", "决定日期"], licences),
            CreditSection("行政处罚", ["决定书文号", "违法事实", "处罚结果", "处罚日期"], penalties),
            CreditSection("严重失信主体名单", ["列入原因", "列入机关", "列入日期"]),
            CreditSection("经营异常名录", ["列入原因", "列入机关", "列入日期"]),
            CreditSection("信用承诺", ["承诺类型", "承诺事项", "承诺日期"],
                          [CreditRow(["告知承诺制", "食品经营许可延续", "2025-09-01"])]),
        ],
        notes=["本报告信息来源于各级政府部门归集的公共信用信息，截至生成时间。",
               "已修复的失信信息按规定仅作展示，不作为失信惩戒依据。",
               "本报告的真实性可通过报告编号和核验码在线核验。"])


def sample(template: str, columns: int = 48, text_mode: str = "native") -> ReceiptDoc:
    """The template `template` filled with sample data (job id "sample-<template>")."""
    job_id = f"sample-{template}"
    common = dict(job_id=job_id, hall_name=HALL, terminal_id=TERMINAL)
    if template in ("application", "queued"):
        make = application_receipt if template == "application" else queued_receipt
        extra = {} if template == "queued" else {"queued": False}
        return make(**common, matter_name=MATTER,
                    application_no=APPLICATION_NO if template == "application" else LOCAL_NO,
                    submitted_at=AT, time_limit_text="3个工作日", consult_phone="0571-87654321",
                    complaint_phone="0571-12345678", **APPLICANT, **extra)
    if template == "credit":
        return credit_summary(**common, report=credit_report(), printed_at=AT)
    if template == "progress":
        steps = [ProgressStep(dt.datetime(2026, 11, 28, 9, 30), "提交申请", "已受理"),
                 ProgressStep(dt.datetime(2026, 11, 28, 14, 5), "材料审核", "通过"),
                 ProgressStep(dt.datetime(2026, 11, 29, 10, 12), "部门审批", "办理中")]
        return progress_slip(**common, application_no=APPLICATION_NO, matter_name=MATTER,
                             status_text="审批中（承诺 3 个工作日内办结）", steps=steps,
                             printed_at=dt.datetime(2026, 11, 29, 16, 40),
                             consult_phone="0571-87654321", **APPLICANT)
    if template == "evaluation":
        return evaluation_thanks(**common, level=5, application_no=APPLICATION_NO, printed_at=AT,
                                 complaint_phone="0571-12345678")
    if template == "test":
        return technician_test_page(**common, printer="sample", columns=columns,
                                    text_mode=text_mode, printed_at=AT)
    raise ValueError(f"unknown template {template!r}; one of {', '.join(TEMPLATES)}")
