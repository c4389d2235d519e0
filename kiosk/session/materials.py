"""The 申请材料 step's transitions (MATERIALS): photograph, 免提交 or 窗口补交 each material; the
camera view shows one at a time. Photos live in the Session only: wiped with it, handed to the
outbox at submission."""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Mapping

from kiosk.domain import materials as M
from kiosk.domain.catalogue import Matter
from kiosk.session.events import (Back, CancelCapture, ClearMaterial, DeferToWindow, OpenCamera, PhotoFailed,
                                  PhotoTaken, Retake, SubmitMaterials, TakePhoto, UsePhoto)
from kiosk.session.model import _EMPTY, Session, State


def fresh_materials(matter: Matter) -> dict:
    return dict(dispositions=MappingProxyType(M.initial_dispositions(matter)), attachments=_EMPTY,
                capturing="", photo=None, material_errors=_EMPTY, signature=None)


def _material(s: Session, material_id: str):
    return next((m for m in s.matter.materials if m.id == material_id), None)


def set_item(mapping: Mapping, key: str, value=None) -> Mapping:
    d = dict(mapping)
    if value is None:
        d.pop(key, None)
    else:
        d[key] = value
    return MappingProxyType(d)


def materials(s: Session, event) -> Session | None:
    """The materials screen: one material at a time in the camera view, the others listed."""
    if s.capturing:              # the camera view is open: only its own buttons apply
        match event:
            case TakePhoto() if s.photo is None and not s.fetching:
                return replace(s, fetching="photo", message="正在拍照，请保持材料不动…")
            case PhotoTaken(data=data, content_type=ct) if s.fetching == "photo":
                return replace(s, fetching="", photo=M.Attachment(s.capturing, ct, data))
            case PhotoFailed(message=msg) if s.fetching == "photo":
                return replace(s, fetching="", message=msg)
            case Retake() if s.photo is not None:
                return replace(s, photo=None)
            case UsePhoto() if s.photo is not None:
                mid = s.capturing
                return replace(s, capturing="", photo=None,
                               attachments=set_item(s.attachments, mid, s.photo),
                               dispositions=set_item(s.dispositions, mid, M.ATTACHED),
                               material_errors=set_item(s.material_errors, mid))
            case CancelCapture() | Back() if not s.fetching:
                return replace(s, capturing="", photo=None)
        return None
    match event:
        case OpenCamera(material_id=mid):
            m = _material(s, mid)
            if m is None or m.exempt_by_sharing:
                return None
            return replace(s, capturing=mid, photo=None)
        case DeferToWindow(material_id=mid):
            m = _material(s, mid)
            if m is None or m.exempt_by_sharing:
                return None
            if not m.window_allowed:
                return replace(s, material_errors=set_item(s.material_errors, mid, "此材料不能窗口补交，请拍照上传"))
            return replace(s, dispositions=set_item(s.dispositions, mid, M.WINDOW),
                           attachments=set_item(s.attachments, mid),
                           material_errors=set_item(s.material_errors, mid))
        case ClearMaterial(material_id=mid):
            m = _material(s, mid)
            if m is None or m.exempt_by_sharing:
                return None
            return replace(s, dispositions=set_item(s.dispositions, mid), attachments=set_item(s.attachments, mid))
        case SubmitMaterials(camera_ok=camera_ok):
            errors = {mid: missing_text(_material(s, mid), camera_ok)
                      for mid in M.missing(s.matter, s.dispositions)}
            if errors:                   # the screen says how many, next to each what to do
                return replace(s, material_errors=MappingProxyType(errors))
            return replace(s, state=State.REVIEW, material_errors=_EMPTY)
        case Back():
            return replace(s, state=State.FORM)
    return None


GO_TO_WINDOW = "摄像头暂不可用，本机无法提交此材料，请携带材料到窗口办理此事项"


def missing_text(m, camera_ok: bool) -> str:
    """Plain Chinese next to a required material that is still missing: what to do now. When
    it can be neither photographed nor deferred the user is sent to the window (the screen adds
    the matter's 办理地点): never a dead end."""
    if camera_ok:
        return "必需材料，请拍照上传，或选择窗口补交" if m.window_allowed else "必需材料，请拍照上传"
    if m.window_allowed:
        return "摄像头暂不可用，请选择窗口补交"
    return GO_TO_WINDOW
