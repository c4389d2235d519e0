"""A credit report as the kiosk prints it: plain data, filled by whoever builds the report.

The hall builds 公共信用信息报告 (another module fills these dataclasses from its API reply); the
kiosk prints them as a short slip (信用报告摘要, kiosk/domain/receipt.py) and as the full A4 PDF
(drivers/printer/a4.py). Nothing here knows about printers or PDF.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.domain.identity import mask_id_number, mask_name


@dataclass
class CreditRow:
    cells: list[str]                 # one value per column of its section
    repaired: bool = False           # 已修复: the record was repaired (信用修复) and is shown as such


@dataclass
class CreditSection:
    title: str                       # e.g. 行政许可, 行政处罚, 严重失信主体名单
    columns: list[str]               # table header
    rows: list[CreditRow] = field(default_factory=list)
    count: int | None = None         # records the hall has; None = len(rows) (all were sent)
    note: str = ""                   # e.g. "未查询到相关记录" is printed when there are no rows

    @property
    def total(self) -> int:
        return len(self.rows) if self.count is None else self.count

    @property
    def repaired(self) -> int:
        return sum(1 for r in self.rows if r.repaired)


@dataclass
class CreditSubject:
    name: str                        # enterprise name, or a person's name (printed masked)
    code: str                        # 统一社会信用代码, or a person's ID number (printed masked)
    kind: str = "enterprise"         # "enterprise" | "person"

    @property
    def printed_name(self) -> str:
        return mask_name(self.name) if self.kind == "person" else self.name

    @property
    def printed_code(self) -> str:
        return mask_id_number(self.code) if self.kind == "person" else self.code

    @property
    def code_label(self) -> str:
        return "证件号码" if self.kind == "person" else "统一社会信用代码"


@dataclass
class CreditReport:
    report_no: str
    subject: CreditSubject
    generated_at: dt.datetime
    verify_code: str                 # typed in on the verify page, printed on every page
    verify_url: str                  # what the QR holds: the hall's public /verify/{report_no}
    issuer: str = "公共信用信息中心"
    purpose: str = ""                # 查询用途, when the requester gave one
    sections: list[CreditSection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # 说明 at the end of the report
