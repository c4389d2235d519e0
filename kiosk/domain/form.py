"""Forms generated from a matter's schema: pre-fill from the ID card, validate in plain Chinese."""
from __future__ import annotations

import datetime as dt
import re

from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc

from kiosk.domain.catalogue import FormField, Matter
from kiosk.domain.identity import IdentityCard, is_valid_id_number
from kiosk.domain.message import Msg

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


# Every message validate() can give: a template with {placeholders} (the key of the i18n
# catalogue, screens/i18n.py) made into a Msg. The label is the hall's, shown as it wrote it.
REQUIRED = "请填写{label}"
TOO_LONG = "{label}最多{n}个字"
CONTROL_CHARS = "{label}含有无法识别的字符"
NOT_NUMBER = "{label}请填写数字"
BAD_PHONE = "请填写11位手机号码或带区号的固定电话"
ID_LENGTH = "身份证号码应为18位，现在是{n}位"
ID_FORMAT = "身份证号码只能是数字，最后一位可以是X"
ID_CHECK = "身份证号码校验位不符，请逐位核对"
USCC_LENGTH = "统一社会信用代码应为18位，现在是{n}位"
USCC_DIGITS = "统一社会信用代码前8位应为数字"
USCC_FORMAT = "统一社会信用代码含有不使用的字母或符号（不用 I、O、S、V、Z）"
USCC_CHECK = "统一社会信用代码校验位不符，请逐位核对"
USCC_BAD = "统一社会信用代码有误，请核对（18位）"       # a rule python-stdnum may add one day
NOT_A_CHOICE = "请从选项中选择{label}"
DATE_FORMAT = "日期格式应为 2026-01-31"
NO_SUCH_DATE = "没有{date}这一天，请核对"
BAD_PATTERN = "{label}格式不正确"
MESSAGES = (REQUIRED, TOO_LONG, CONTROL_CHARS, NOT_NUMBER, BAD_PHONE, ID_LENGTH, ID_FORMAT, ID_CHECK,
            USCC_LENGTH, USCC_DIGITS, USCC_FORMAT, USCC_CHECK, NOT_A_CHOICE, DATE_FORMAT, NO_SUCH_DATE,
            BAD_PATTERN)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _check(f: FormField, v: str) -> str:
    if not v:
        return Msg(REQUIRED, label=f.label) if f.required else ""
    limit = f.max_length or _DEFAULT_MAX[f.type]
    if len(v) > limit:
        return Msg(TOO_LONG, label=f.label, n=limit)
    if any(ord(c) < 32 for c in v):
        return Msg(CONTROL_CHARS, label=f.label)
    if f.type == "number" and not re.fullmatch(r"\d+(\.\d+)?", v):
        return Msg(NOT_NUMBER, label=f.label)
    if f.type == "phone" and not _PHONE.match(v):
        return Msg(BAD_PHONE)
    if f.type == "id_number" and not is_valid_id_number(v):
        if len(v) != 18:
            return Msg(ID_LENGTH, n=len(v))
        if not re.fullmatch(r"\d{17}[\dXx]", v):
            return Msg(ID_FORMAT)
        return Msg(ID_CHECK)
    if f.type == "uscc":
        message = _uscc_problem(v)
        if message:
            return message
    if f.type == "choice" and v not in f.choices:
        return Msg(NOT_A_CHOICE, label=f.label)
    if f.type == "date":
        if not _DATE.fullmatch(v):
            return Msg(DATE_FORMAT)
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            return Msg(NO_SUCH_DATE, date=v)
    if f.pattern and not re.fullmatch(f.pattern, v):
        return f.hint or Msg(BAD_PATTERN, label=f.label)     # the hall's own hint, as it wrote it
    return ""


def _uscc_problem(v: str) -> str:
    """Which of the 统一社会信用代码's rules (GB 32100) the value breaks, in words."""
    try:
        uscc.validate(v)
    except stdnum_errors.InvalidLength:
        return Msg(USCC_LENGTH, n=len(uscc.compact(v)))
    except stdnum_errors.InvalidFormat:
        return Msg(USCC_DIGITS) if not uscc.compact(v)[:8].isdigit() else Msg(USCC_FORMAT)
    except stdnum_errors.InvalidChecksum:
        return Msg(USCC_CHECK)
    except stdnum_errors.ValidationError:
        return Msg(USCC_BAD)
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
