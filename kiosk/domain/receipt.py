"""Receipt documents: what a slip says, independent of any printer.

A ReceiptDoc is a list of blocks; drivers/printer/ turns it into ESC/POS bytes for a given paper
width and text mode. Templates here decide the wording; personal data is masked here, once, so
no printer path can print a full ID number.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence, Union

from kiosk.domain.credit_report import CreditReport
from kiosk.domain.identity import mask_id_number, mask_name


@dataclass(frozen=True)
class Text:
    text: str
    bold: bool = False
    align: str = "left"      # left | center | right
    size: int = 1            # 1 normal, 2 double width and height


@dataclass(frozen=True)
class KeyValue:
    label: str
    value: str


@dataclass(frozen=True)
class Row:
    """`label ........ value`: the value right-aligned, e.g. a count in a summary table."""
    label: str
    value: str


@dataclass(frozen=True)
class Separator:
    char: str = "-"


@dataclass(frozen=True)
class QrCode:
    data: str
    caption: str = ""


@dataclass(frozen=True)
class Barcode:
    """A 1D barcode (CODE128) for a counter's hand scanner, e.g. an application number."""
    data: str                # printable ASCII
    caption: str = ""


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Block = Union[Text, KeyValue, Row, Separator, QrCode, Barcode, Feed]


@dataclass(frozen=True)
class ReceiptDoc:
    job_id: str            # unique per print job: a retry of the same job must not print twice
    title: str
    blocks: tuple[Block, ...]
    reprint: bool = False  # 补打: the user asked explicitly for another copy

    def as_reprint(self, job_id: str) -> "ReceiptDoc":
        return ReceiptDoc(job_id=job_id, title=self.title, blocks=self.blocks, reprint=True)

    def plain_text(self) -> str:
        """Every text the slip carries, one block a line: for logs-free tests and accessibility."""
        out = [self.title]
        for b in self.blocks:
            if isinstance(b, Text):
                out.append(b.text)
            elif isinstance(b, KeyValue):
                out.append(f"{b.label}：{b.value}")
            elif isinstance(b, Row):
                out.append(f"{b.label} {b.value}")
            elif isinstance(b, QrCode):
                out.append(f"[QR {b.data}] {b.caption}")
            elif isinstance(b, Barcode):
                out.append(f"[CODE128 {b.data}] {b.caption}")
        return "\n".join(out)


def application_receipt(*, job_id: str, hall_name: str, terminal_id: str, matter_name: str,
                        application_no: str, applicant_name: str, applicant_id_number: str,
                        submitted_at: dt.datetime, time_limit_text: str, consult_phone: str,
                        complaint_phone: str, queued: bool,
                        window_materials: Sequence[str] = (), window_location: str = "") -> ReceiptDoc:
    """受理回执, or 待上传回执 when the hall was unreachable and the application waits in the outbox.
    `window_materials`: names of the materials the applicant chose to hand in at the window."""
    title = "待上传回执" if queued else "受理回执"
    blocks: list[Block] = [
        Text(hall_name, align="center"),
        Text(title, bold=True, align="center", size=2),
        Separator(),
        KeyValue("办理事项", matter_name),
        KeyValue("本地编号" if queued else "申请编号", application_no),
        KeyValue("申请人", mask_name(applicant_name)),
        KeyValue("证件号码", mask_id_number(applicant_id_number)),
        KeyValue("提交时间", submitted_at.strftime("%Y-%m-%d %H:%M")),
        KeyValue("办理时限", time_limit_text),
        KeyValue("终端编号", terminal_id),
        Separator(),
    ]
    if queued:
        blocks += [Text("网络异常，申请已安全保存在本机，网络恢复后自动上报，无需再次办理。",
                        bold=True)]
    else:
        blocks += [QrCode(application_no, caption="扫码查询办理进度")]
    if window_materials:
        blocks += [Separator(), Text("请携带以下材料到窗口补交：", bold=True)]
        blocks += [Text(f"{i}. {name}") for i, name in enumerate(window_materials, 1)]
        if window_location:
            blocks.append(KeyValue("补交地点", window_location))
    blocks += [
        Separator(),
        KeyValue("咨询电话", consult_phone),
        KeyValue("监督投诉", f"{complaint_phone}（或拨打12345）"),
        Feed(1),
    ]
    return ReceiptDoc(job_id=job_id, title=title, blocks=tuple(blocks))


def queued_receipt(**kwargs) -> ReceiptDoc:
    """待上传回执: the hall was unreachable; `application_no` is the local DS… number."""
    return application_receipt(queued=True, **kwargs)


def _header(hall_name: str, title: str) -> list[Block]:
    return [Text(hall_name, align="center"), Text(title, bold=True, align="center", size=2),
            Separator()]


def _footer(terminal_id: str, printed_at: dt.datetime, consult_phone: str = "",
            complaint_phone: str = "") -> list[Block]:
    blocks: list[Block] = [Separator()]
    if consult_phone:
        blocks.append(KeyValue("咨询电话", consult_phone))
    if complaint_phone:
        blocks.append(KeyValue("监督投诉", f"{complaint_phone}（或拨打12345）"))
    blocks += [KeyValue("终端编号", terminal_id),
               KeyValue("打印时间", printed_at.strftime("%Y-%m-%d %H:%M")), Feed(1)]
    return blocks


def credit_summary(*, job_id: str, hall_name: str, terminal_id: str, report: CreditReport,
                   printed_at: dt.datetime) -> ReceiptDoc:
    """信用报告摘要: counts per section and the verify QR; the full report is the A4 PDF."""
    title = "信用报告摘要"
    subject = report.subject
    blocks = _header(hall_name, title) + [
        KeyValue("报告编号", report.report_no),
        KeyValue("信用主体", subject.printed_name),
        KeyValue(subject.code_label, subject.printed_code),
        KeyValue("生成时间", report.generated_at.strftime("%Y-%m-%d %H:%M")),
        Separator(),
        Text("信息概览", bold=True),
    ]
    for section in report.sections:
        count = f"{section.total} 条"
        if section.repaired:
            count += f"（已修复 {section.repaired} 条）"
        blocks.append(Row(section.title, count))
    blocks += [
        Separator(),
        QrCode(report.verify_url, caption="扫码核验报告真伪"),
        KeyValue("核验码", report.verify_code),
        Text("本摘要仅列出各类信息条数，详细内容以完整版信用报告为准。"),
    ]
    return ReceiptDoc(job_id=job_id, title=title,
                      blocks=tuple(blocks + _footer(terminal_id, printed_at)))


@dataclass(frozen=True)
class ProgressStep:
    at: dt.datetime
    node: str                # 受理, 审核, 办结 ...
    result: str = ""         # 通过, 需补正材料 ...


def progress_slip(*, job_id: str, hall_name: str, terminal_id: str, application_no: str,
                  matter_name: str, applicant_name: str, applicant_id_number: str,
                  status_text: str, steps: Sequence[ProgressStep], printed_at: dt.datetime,
                  consult_phone: str = "") -> ReceiptDoc:
    """办件进度单: where an application stands, step by step, with a barcode for the counter."""
    title = "办件进度单"
    blocks = _header(hall_name, title) + [
        KeyValue("申请编号", application_no),
        KeyValue("办理事项", matter_name),
        KeyValue("申请人", mask_name(applicant_name)),
        KeyValue("证件号码", mask_id_number(applicant_id_number)),
        KeyValue("当前状态", status_text),
        Separator(),
        Text("办理过程", bold=True),
    ]
    for step in steps:
        line = f"{step.at:%m-%d %H:%M} {step.node}"
        blocks.append(Text(f"{line} {step.result}" if step.result else line))
    blocks += [Separator(), Barcode(application_no, caption="窗口扫码调取办件")]
    return ReceiptDoc(job_id=job_id, title=title,
                      blocks=tuple(blocks + _footer(terminal_id, printed_at, consult_phone)))


EVALUATION_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def evaluation_thanks(*, job_id: str, hall_name: str, terminal_id: str, level: int,
                      printed_at: dt.datetime, application_no: str = "",
                      complaint_phone: str = "") -> ReceiptDoc:
    """好差评 thank-you slip (printed only when the hall wants it: printer.evaluation_slip)."""
    title = "感谢您的评价"
    blocks = _header(hall_name, title) + [KeyValue("评价结果", EVALUATION_LEVELS[level])]
    if application_no:
        blocks.append(KeyValue("关联办件", application_no))
    blocks.append(Text("您的评价已提交，我们将持续改进服务。"))
    if level <= 2:
        blocks.append(Text("工作人员将在3个工作日内联系您核实、整改并反馈。"))
    return ReceiptDoc(job_id=job_id, title=title,
                      blocks=tuple(blocks + _footer(terminal_id, printed_at,
                                                    complaint_phone=complaint_phone)))


def technician_test_page(*, job_id: str, hall_name: str, terminal_id: str, printer: str, columns: int,
              text_mode: str, printed_at: dt.datetime) -> ReceiptDoc:
    """Technician test page: a column ruler, every style, punctuation, a QR and a barcode."""
    title = "打印机测试页"
    ruler = "".join(str(i % 10) for i in range(1, columns + 1))
    blocks = _header(hall_name, title) + [
        KeyValue("打印机", printer),
        KeyValue("纸宽", f"{columns} 列（{'80' if columns == 48 else '58'} mm）"),
        KeyValue("文字方式", "原生中文" if text_mode == "native" else "图像"),
        Text(ruler),
        Text("汉" * (columns // 2)),
        Text("常规：便民服务中心 ABC abc 0123456789"),
        Text("加粗：便民服务中心 ABC abc", bold=True),
        Text("倍大：受理回执", size=2),
        Text("居中", align="center"),
        Text("靠右", align="right"),
        Text("标点：，。、；：？！（）《》“”【】…—·％"),
        Separator("="),
        QrCode("TEST-" + terminal_id, caption="二维码"),
        # Digits pack two to a CODE128 symbol: this one fits 58 mm paper too.
        Barcode(printed_at.strftime("TEST%Y%m%d%H%M"), caption="条形码"),
    ]
    return ReceiptDoc(job_id=job_id, title=title, blocks=tuple(blocks + _footer(terminal_id, printed_at)))
