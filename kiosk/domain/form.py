"""Forms generated from a matter's schema: pre-fill from the ID card, validate in plain Chinese."""
from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import uscc

from kiosk.domain.catalogue import FormField, Matter
from kiosk.domain.identity import IdentityCard, is_valid_id_number

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_DEFAULT_MAX = {"text": 100, "address": 120, "number": 18, "phone": 13, "uscc": 18,
                "id_number": 18, "date": 10, "choice": 50}


def prefill(matter: Matter, card: IdentityCard | None) -> dict[str, str]:
    """Values the user need not type. Licence pre-fill arrives with the licence QR (a later issue)."""
    values = {f.name: "" for f in matter.form}
    if card is None:
        return values
    source = {
        "idcard.name": card.name,
        "idcard.id_number": card.id_number,
        "idcard.sex": card.sex,
        "idcard.birth": card.birth.isoformat(),
        "idcard.address": card.address,
    }
    for f in matter.form:
        if f.prefill in source:
            values[f.name] = source[f.prefill]
    return values


def validate(matter: Matter, values: dict[str, str]) -> dict[str, str]:
    """field name -> the message shown next to that field. Empty dict = the form is fine."""
    errors = {}
    for f in matter.form:
        message = _check(f, (values.get(f.name) or "").strip())
        if message:
            errors[f.name] = message
    return errors


def _check(f: FormField, v: str) -> str:
    if not v:
        return f"请填写{f.label}" if f.required else ""
    limit = f.max_length or _DEFAULT_MAX[f.type]
    if len(v) > limit:
        return f"{f.label}最多{limit}个字"
    if any(ord(c) < 32 for c in v):
        return f"{f.label}含有无法识别的字符"
    if f.type == "number" and not re.fullmatch(r"\d+(\.\d+)?", v):
        return f"{f.label}请填写数字"
    if f.type == "phone" and not _PHONE.match(v):
        return "请填写11位手机号码或带区号的固定电话"
    if f.type == "id_number" and not is_valid_id_number(v):
        return "身份证号码有误，请核对"
    if f.type == "uscc" and not uscc.is_valid(v):
        return "统一社会信用代码有误，请核对（18位）"
    if f.type == "choice" and v not in f.choices:
        return f"请从选项中选择{f.label}"
    if f.type == "date":
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            return "日期格式应为 2026-01-31"
    if f.pattern and not re.fullmatch(f.pattern, v):
        return f.hint or f"{f.label}格式不正确"
    return ""


_EXAMPLES = {"text": "示例", "address": "江苏省南京市玄武区中山路1号", "number": "12",
             "phone": "13912345678", "date": "2026-12-31", "uscc": "91320102MA1XXXXX0T"}


def example_value(f: FormField) -> str:
    """A value that passes validation: the catalogue's own example, else one by type. Used by the
    demo's autopilot and by tests to fill a form the way a careful user would."""
    if f.example:
        return f.example
    if f.type == "choice":
        return f.choices[0]
    return _EXAMPLES.get(f.type, "示例")
