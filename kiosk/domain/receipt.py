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


Block = Union[Text, KeyValue, Separator, QrCode, Barcode, Feed]


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
            elif isinstance(b, QrCode):
                out.append(f"[QR {b.data}] {b.caption}")
            elif isinstance(b, Barcode):
                out.append(f"[CODE128 {b.data}] {b.caption}")
        return "\n".join(out)


def application_receipt(*, job_id: str, hall_name: str, terminal_id: str, matter_name: str,
                        application_no: str, applicant_name: str, applicant_id_number: str,
                        submitted_at: dt.datetime, time_limit_text: str, consult_phone: str,
                        complaint_phone: str, queued: bool) -> ReceiptDoc:
    """受理回执, or 待上传回执 when the hall was unreachable and the application waits in the outbox."""
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
        blocks += [Text("网络暂时中断，申请已安全保存在本机，", bold=True),
                   Text("网络恢复后自动上报，无需再次办理。", bold=True)]
    else:
        blocks += [QrCode(application_no, caption="扫码查询办理进度")]
    blocks += [
        Separator(),
        KeyValue("咨询电话", consult_phone),
        KeyValue("监督投诉", f"{complaint_phone}（或拨打12345）"),
        Feed(1),
    ]
    return ReceiptDoc(job_id=job_id, title=title, blocks=tuple(blocks))
