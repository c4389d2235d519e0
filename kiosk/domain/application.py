"""An application (申请) for one matter, as the kiosk submits it to the hall."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str = ""

    def __repr__(self) -> str:
        from kiosk.domain.identity import mask_id_number, mask_name
        return f"Applicant({mask_name(self.name)}, {mask_id_number(self.id_number)})"


@dataclass(frozen=True)
class Application:
    matter_code: str
    matter_version: int
    applicant: Applicant
    fields: dict = field(default_factory=dict)   # form field name -> value (strings)
    terminal_id: str = ""
    # Each material's disposition: ({"id": "cdqz", "disposition": "attached"}, ...) — see
    # kiosk/domain/materials.py. Empty (an older kiosk, or a matter without materials): not sent.
    materials: tuple = ()

    def to_json(self) -> dict:
        extra = {"materials": [dict(m) for m in self.materials]} if self.materials else {}
        return {
            "matter_code": self.matter_code,
            "matter_version": self.matter_version,
            "applicant": {"name": self.applicant.name, "id_number": self.applicant.id_number,
                          "phone": self.applicant.phone},
            "fields": dict(self.fields),
            "terminal_id": self.terminal_id,
            **extra,
        }

    @classmethod
    def from_json(cls, d: dict) -> "Application":
        a = d["applicant"]
        return cls(matter_code=d["matter_code"], matter_version=int(d["matter_version"]),
                   applicant=Applicant(a["name"], a["id_number"], a.get("phone", "")),
                   fields=dict(d.get("fields", {})), terminal_id=d.get("terminal_id", ""),
                   materials=tuple(dict(m) for m in d.get("materials", ())))
