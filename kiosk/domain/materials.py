"""申请材料 in the 区域通办 flow: what happens to each material of a matter, and the images.

Every material of the chosen matter ends with one disposition:

    attached  拍照上传: a photo taken on the kiosk, uploaded after the application (outbox)
    exempt    免提交: the hall gets it by data sharing (Material.exempt_by_sharing)
    window    窗口补交: handed in at the window later (only where Material.window_allowed)
    none      not provided: only an optional material may end like this

An Attachment is an image in memory (a material photo, later the handwritten signature with
material id "signature" and image/png); it lives in the Session only and is wiped with it,
until submission puts it in the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from kiosk.domain.catalogue import Matter

ATTACHED, EXEMPT, WINDOW, NONE = "attached", "exempt", "window", "none"
DISPOSITIONS = (ATTACHED, EXEMPT, WINDOW, NONE)
DISPOSITION_TEXT = {ATTACHED: "已拍照上传", EXEMPT: "免提交（数据共享）", WINDOW: "窗口补交", NONE: "未提交"}
SIGNATURE_ID = "signature"      # the 申请人承诺 signature rides the same way (image/png)


@dataclass(frozen=True)
class Attachment:
    material_id: str
    content_type: str           # "image/jpeg" (photos) | "image/png" (the signature)
    data: bytes = b""

    def __repr__(self) -> str:  # never the bytes in a log line
        return f"Attachment({self.material_id}, {self.content_type}, {len(self.data)} B)"


def initial_dispositions(matter: Matter) -> dict[str, str]:
    """免提交 materials are settled from the start; the rest wait for the user."""
    return {m.id: EXEMPT for m in matter.materials if m.exempt_by_sharing}


def disposition_of(matter: Matter, dispositions: Mapping[str, str], material_id: str) -> str:
    return dispositions.get(material_id, NONE)


def missing(matter: Matter, dispositions: Mapping[str, str]) -> list[str]:
    """Required materials not yet attached, exempt or deferred to the window."""
    return [m.id for m in matter.materials if m.required and dispositions.get(m.id, NONE) == NONE]


def payload(matter: Matter, dispositions: Mapping[str, str],
            extra: Mapping[str, str] | None = None) -> list[dict]:
    """What Application.materials carries: every material of the matter, in catalogue order,
    plus extra attachments that are not catalogue materials (e.g. the signature)."""
    rows = [{"id": m.id, "disposition": dispositions.get(m.id, NONE)} for m in matter.materials]
    known = {m.id for m in matter.materials}
    rows += [{"id": k, "disposition": v} for k, v in (extra or {}).items() if k not in known]
    return rows


def window_names(matter: Matter, dispositions: Mapping[str, str]) -> list[str]:
    """Names of the materials to bring to the window (the receipt lists them)."""
    return [m.name for m in matter.materials if dispositions.get(m.id) == WINDOW]
