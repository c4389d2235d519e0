"""Outbox items the hall refused (state 'rejected'): what the technician menu shows, what the
heartbeat tells the hall, and the slip printed when one is handed to the window staff.

An item is rejected when the hall answers 4xx after an offline period (the matter was withdrawn
meanwhile, a rule changed): retrying the same body for ever would not help, and dropping it
would lose a citizen's application. So it is never kept silently: it shows in the technician
menu and on the hall's console until someone resolves it, either

- 再试一次 (retry once more: after a catalogue fix at the hall, the same body may now pass), or
- 移交窗口 (hand over to the window): a slip is printed for the window staff — matter, the
  待上传 number the citizen holds, when, the hall's reason, and how to reach the person — and
  then the personal data leaves the kiosk's disk (docs/decisions.md).

Nothing personal goes into the heartbeat: the 待上传 number, kinds, matter code, times, the
hall's own reason and the resolution.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.clock import china_time
from kiosk.domain.identity import mask_id_number, mask_name
from kiosk.domain.receipt import KeyValue, ReceiptDoc, Separator, Text

KIND_TEXT = {"application": "申请", "material": "材料", "evaluation": "评价"}
STATE_TEXT = {"rejected": "待处理", "pending": "已重新排队", "sent": "重试后已上传", "handed_over": "已移交窗口"}
MAX_REPORTED = 20            # per heartbeat; the count is always whole


def local_number(key: str) -> str:
    """The 待上传 number on the citizen's receipt (kiosk.controller.local_number's rule)."""
    return "DS" + key.split(".", 1)[0][:12].upper()


@dataclass(frozen=True)
class RejectedItem:
    key: str
    kind: str
    ref: str                  # DS… number of the application it belongs to
    what: str                 # matter code, or the material id
    created_at: float
    reason: str               # the hall's words
    state: str                # rejected | pending | sent | handed_over
    applicant: str            # masked name and ID number ("" once handed over): who to look for

    @property
    def open(self) -> bool:
        return self.state == "rejected"

    def descriptor(self) -> dict:
        """For the heartbeat: nothing that identifies the person."""
        return {"ref": self.ref, "kind": self.kind, "what": self.what,
                "at": china_time(self.created_at).strftime("%Y-%m-%d %H:%M"),
                "reason": self.reason[:120], "state": self.state}


def items(rows: list[dict]) -> tuple[RejectedItem, ...]:
    """SqliteOutbox.rejected_rows() -> what the technician menu lists."""
    out = []
    for r in rows:
        p = r["payload"] or {}
        if r["kind"] == "application":
            what = p.get("matter_code", "")
            a = p.get("applicant") or {}
            applicant = f"{mask_name(a.get('name', ''))} {mask_id_number(a.get('id_number', ''))}".strip()
        else:
            what = p.get("material_id", "") if r["kind"] == "material" else p.get("matter_code", "")
            applicant = ""
        if not p:                                   # handed over: only the non-personal "what" is left
            what = (r.get("result") or {}).get("what", "")
        out.append(RejectedItem(r["key"], r["kind"], local_number(p.get("application_key") or r["key"]), what,
                                r["created_at"], r["last_error"], r["state"],
                                applicant))
    return tuple(out)


def heartbeat_fields(rows: list[dict]) -> dict:
    """outbox_rejected: open ones; rejected_items: open and recently resolved, newest last."""
    its = items(rows)
    return {"outbox_rejected": sum(1 for i in its if i.open),
            "rejected_items": [i.descriptor() for i in its[-MAX_REPORTED:]]}


def handover_slip(*, job_id: str, hall_name: str, terminal_id: str, matter_name: str, row: dict,
                  printed_at: dt.datetime) -> ReceiptDoc:
    """移交单 for the window staff: enough to call the person back, no more (masked ID number)."""
    p = row["payload"] or {}
    a = p.get("applicant") or {}
    title = "退回申请移交单"
    blocks = [Text(hall_name, align="center"), Text(title, bold=True, align="center", size=2), Separator(),
              KeyValue("待上传编号", local_number(row["key"])),
              KeyValue("事项", matter_name or p.get("matter_code", "")),
              KeyValue("提交时间", china_time(row["created_at"]).strftime("%Y-%m-%d %H:%M")),
              KeyValue("退回原因", row["last_error"] or "（大厅未说明）"),
              KeyValue("申请人", mask_name(a.get("name", ""))),
              KeyValue("身份证号", mask_id_number(a.get("id_number", ""))),
              KeyValue("联系电话", a.get("phone", "") or "（未填写）"),
              Separator(),
              Text("请窗口工作人员联系申请人到窗口办理；本机已删除该申请的数据。"),
              Separator(),
              KeyValue("终端编号", terminal_id),
              KeyValue("打印时间", printed_at.strftime("%Y-%m-%d %H:%M"))]
    return ReceiptDoc(job_id=job_id, title=title, blocks=tuple(blocks))
