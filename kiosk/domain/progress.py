"""办件进度: what the hall says about one application, as the kiosk shows it. No personal data:
the hall's progress answer carries none (ARCHITECTURE §5)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    status_text: str
    at: str                 # ISO 8601 from the hall
    note: str = ""


@dataclass(frozen=True)
class Progress:
    application_no: str
    matter_name: str
    status_text: str
    time_limit_text: str
    received_at: str
    promised_due: str | None
    note: str               # 不予受理 reason or what 补正 needs
    overdue: str            # "" / "promised" / "legal"
    timeline: tuple[Step, ...]
    to_bring: tuple[str, ...] = ()   # 待补交: materials to bring to the window

    @classmethod
    def from_json(cls, d: dict) -> "Progress":
        return cls(application_no=str(d["application_no"]), matter_name=str(d.get("matter_name", "")),
                   status_text=str(d.get("status_text", d.get("status", ""))),
                   time_limit_text=str(d.get("time_limit_text", "")),
                   received_at=str(d.get("received_at", "")), promised_due=d.get("promised_due"),
                   note=str(d.get("note", "")), overdue=str(d.get("overdue", "")),
                   timeline=tuple(Step(str(t.get("status_text", "")), str(t.get("at", "")), str(t.get("note", "")))
                                  for t in d.get("timeline", [])),
                   to_bring=tuple(str(x) for x in d.get("to_bring", []) if isinstance(x, str)))

    @property
    def overdue_text(self) -> str:
        return {"promised": "已超承诺时限", "legal": "已超法定时限"}.get(self.overdue, "")


def short_time(iso: str) -> str:
    """2026-11-28T09:30:00+08:00 -> 2026-11-28 09:30 (the hall sends China time)."""
    return iso[:16].replace("T", " ") if len(iso) >= 16 else iso
