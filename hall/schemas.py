"""Request and response bodies of the kiosk API (pydantic). The generated OpenAPI document is
the contract the kiosk's client is tested against (ARCHITECTURE §6).

Requests are strict (no type coercion) and closed (a misspelt key is an error, not ignored),
every string is length-limited and free of control characters, so nothing a client sends can
reach the database in a shape that makes it fail with a 500.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from kiosk.domain.identity import is_valid_id_number
from kiosk.ports import DeviceState


def _printable(s: str) -> str:
    # Lone surrogates cannot be encoded for the database; control characters have no place in
    # a form and NUL is rejected by PostgreSQL. Newline and tab may appear in free text.
    if any(0xD800 <= ord(c) <= 0xDFFF or (ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7F for c in s):
        raise ValueError("contains control characters or invalid Unicode")
    return s


def Str(max_length: int, min_length: int = 0):
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_printable)]


def _id_number(s: str) -> str:
    # isascii(): is_valid_id_number relies on str.isdigit(), which also accepts full-width digits.
    if not (s.isascii() and is_valid_id_number(s)):
        raise ValueError("not a valid 18-digit ID number (GB 11643 check digit)")
    return s.upper()


IdNumber = Annotated[str, Field(min_length=18, max_length=18), AfterValidator(_id_number)]


class _Strict(BaseModel):
    # strict: "1" is not 1 and 1 is not "1"; forbid: a misspelt key is an error, not ignored.
    model_config = ConfigDict(strict=True, extra="forbid")


# ---- applications ----------------------------------------------------------------------------

class ApplicantIn(_Strict):
    name: Str(64, min_length=1)
    id_number: IdNumber
    phone: Str(32) = ""


_EXAMPLE_APPLICATION = {
    "matter_code": "320102-XK-CG-001", "matter_version": 1,
    "applicant": {"name": "张三", "id_number": "11010519491231002X", "phone": "13800000000"},
    "fields": {"applicant_name": "张三", "applicant_id_number": "11010519491231002X", "phone": "13800000000",
               "site_address": "玄武区长江路1号沿街外墙", "carrier": "墙面附着式", "size": "6×3", "period": "1年"},
    "terminal_id": "",
    "materials": [{"id": "sqb", "disposition": "window"}, {"id": "sfzm", "disposition": "exempt"},
                  {"id": "cdqz", "disposition": "attached"}, {"id": "xgt", "disposition": "attached"},
                  {"id": "jgsm", "disposition": "none"}, {"id": "wts", "disposition": "none"}]}


MaterialDisposition = Literal["attached", "exempt", "window", "none"]


class MaterialIn(_Strict):
    """What became of one material (kiosk/domain/materials.py): attached 拍照上传 (the image
    follows by PUT …/materials/{id}), exempt 免提交, window 窗口补交, none 未提交 (optional only)."""
    id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    disposition: MaterialDisposition


class ApplicationIn(_Strict):
    """Application.to_json() (kiosk/domain/application.py)."""
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [_EXAMPLE_APPLICATION]})
    matter_code: Str(64, min_length=1)
    matter_version: int = Field(ge=1, le=1_000_000)
    applicant: ApplicantIn
    fields: dict[Str(64, min_length=1), Str(2000)] = Field(default_factory=dict, max_length=64)
    terminal_id: Str(64) = ""
    materials: list[MaterialIn] = Field(
        default_factory=list, max_length=64,
        description="each material's disposition; absent from kiosks older than the materials step")


class SubmitOut(BaseModel):
    application_no: str
    status: str
    status_text: str
    matter_name: str
    matter_version: int
    time_limit_text: str
    received_at: str          # ISO 8601, China time (+08:00)
    promised_due: str | None  # YYYY-MM-DD; None for 即办
    legal_due: str | None


class TimelineEntry(BaseModel):
    status: str
    status_text: str
    at: str
    note: str


class ProgressOut(SubmitOut):
    matter_code: str
    note: str                 # 不予受理 reason or what 补正 needs; "" otherwise
    overdue: str              # "" / "promised" (超承诺时限) / "legal" (超法定时限)
    updated_at: str
    timeline: list[TimelineEntry]
    materials: list[str]      # material ids received
    to_bring: list[str] = []  # 待补交: names of the materials declared 窗口补交 not yet received (open applications)


class ApplicationListOut(BaseModel):
    applications: list[ProgressOut]


class MaterialOut(BaseModel):
    application_no: str
    material_id: str
    content_type: str
    size: int
    sha256: str


# ---- terminals -------------------------------------------------------------------------------

class DeviceIn(_Strict):
    state: Literal[tuple(s.value for s in DeviceState)]
    code: Str(64) = ""
    detail: Str(500) = ""


class HeartbeatIn(_Strict):
    """The terminal's status snapshot. Unknown extra keys are kept, so a newer kiosk can report
    more without being refused: a refused heartbeat would make a healthy terminal look dead."""
    model_config = ConfigDict(strict=True, extra="allow")
    app_version: Str(64) = ""
    uptime_s: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    screen: Str(64) = ""
    devices: dict[Str(64, min_length=1), DeviceIn] = Field(default_factory=dict, max_length=32)
    outbox_pending: int = Field(default=0, ge=0, le=10_000_000)
    interval_s: int | None = Field(default=None, ge=1, le=3600,
                                   description="the terminal's heartbeat interval; offline after 3 missed")
    paper: Literal["ok", "near_end", "out", "unknown"] | None = Field(
        default=None, description="paper state; derived from devices.printer when absent")
    today: dict[Str(32, min_length=1), int] = Field(default_factory=dict, max_length=16,
                                                    description="today's counts, e.g. sessions, applications, prints")
    last_error: Str(500) = ""
    clock_offset_s: float | None = Field(default=None, ge=-1e9, le=1e9, allow_inf_nan=False,
                                         description="hall time minus terminal time, seconds, as the terminal "
                                                     "measured it against X-Hall-Time (negative: terminal fast)")
    clock_rtt_s: float | None = Field(default=None, ge=0, le=3600, allow_inf_nan=False,
                                      description="the round trip of that measurement (its error is half of it)")

    @model_validator(mode="after")
    def _shallow_extras(self):
        # Deeply nested extras would be stored as JSON and could exhaust the encoder's recursion.
        if any(_depth(v) > 8 for v in (self.model_extra or {}).values()):
            raise ValueError("extra keys may nest at most 8 levels")
        # Their strings obey the same rule as every other string (a lone surrogate could not
        # even be written back out as JSON; found by fuzzing, issue #12).
        for s in _strings(self.model_extra or {}):
            _printable(s)
        if any(not 0 <= v <= 10_000_000 for v in self.today.values()):
            raise ValueError("today's counts must be 0..10000000")
        return self


def _depth(v) -> int:
    """Nesting depth of a JSON value, without recursion (the value may be thousands deep)."""
    deepest, stack = 0, [(v, 0)]
    while stack:
        x, d = stack.pop()
        deepest = max(deepest, d)
        if d <= 8 and isinstance(x, (dict, list)):
            stack.extend((c, d + 1) for c in (x.values() if isinstance(x, dict) else x))
    return deepest


def _strings(v):
    """Every key and string value of a JSON value (already known to nest at most 8 deep)."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            yield x
        elif isinstance(x, dict):
            yield from (k for k in x if isinstance(k, str))
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


class CommandOut(BaseModel):
    id: str
    kind: str                 # maintenance_on / maintenance_off / notice / restart / reload_catalog
    payload: dict


class HeartbeatOut(BaseModel):
    commands: list[CommandOut]


# ---- 好差评 ----------------------------------------------------------------------------------

class EvaluationIn(_Strict):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"level": 5}, {"level": 1, "reasons": ["办理时间长"], "comment": ""}]})
    level: int = Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    reasons: list[Str(50, min_length=1)] = Field(default_factory=list, max_length=10)
    comment: Str(500) = ""
    application_no: Str(16) | None = None
    matter_code: Str(64) = ""


class EvaluationOut(BaseModel):
    id: int
    level: int
    level_text: str
    follow_up: bool           # 不满意 / 非常不满意: the hall will follow up


# ---- credit ----------------------------------------------------------------------------------

class CreditSubjectIn(_Strict):
    kind: Literal["person", "enterprise"]
    code: Str(18, min_length=18) = Field(description="ID number (person) or 统一社会信用代码 (enterprise)")


class RequesterIn(_Strict):
    name: Str(64, min_length=1)
    id_number: IdNumber


class CreditReportIn(_Strict):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"subject": {"kind": "person", "code": "320102198001011019"},
         "requester": {"name": "王演示", "id_number": "320102198001011019"}},
        {"subject": {"kind": "enterprise", "code": "91320102MA0079192H"},
         "requester": {"name": "王演示", "id_number": "320102198001011019"}}]})
    subject: CreditSubjectIn
    requester: RequesterIn
    licence_qr: Str(2000) = Field(default="", description="the enterprise's 电子营业执照 QR payload, if scanned")
    purpose: Str(100) = ""


class CreditRowOut(BaseModel):
    cells: list[str]
    repaired: bool


class CreditSectionOut(BaseModel):
    title: str
    columns: list[str]
    rows: list[CreditRowOut]
    count: int | None
    note: str


class CreditSubjectOut(BaseModel):
    name: str
    code: str
    kind: str


class CreditReportOut(BaseModel):
    """kiosk.domain.credit.report_to_json(CreditReport)."""
    report_no: str
    subject: CreditSubjectOut
    generated_at: str
    verify_code: str
    verify_url: str
    issuer: str
    purpose: str
    sections: list[CreditSectionOut]
    notes: list[str]


class LicenceIn(_Strict):
    payload: Str(2000, min_length=1)


class LicenceOut(BaseModel):
    uscc: str
    name: str
    legal_representative: str
    address: str


class VerifyOut(BaseModel):
    report_no: str
    found: bool
    code_checked: bool        # a verify code was given
    authentic: bool | None    # None when no code was given
    generated_at: str | None
    subject_kind: str | None
    subject_name: str | None  # masked for persons
    counts: dict[str, int]


# ---- errors ----------------------------------------------------------------------------------

class ErrorOut(BaseModel):
    """Every 4xx answer of the API: `detail` in plain words (Chinese first where a citizen sees
    it); a 422 also lists each problem in `errors`."""
    detail: str
    errors: list[str] | None = None


ERROR_RESPONSES = {
    **{code: {"model": ErrorOut, "description": text} for code, text in (
        (400, "malformed request (e.g. not JSON, a missing or malformed Idempotency-Key)"),
        (401, "missing, unknown or revoked terminal token"),
        (403, "not allowed for this terminal or requester"),
        (404, "not found"), (409, "conflicts with an earlier request"),
        (415, "unsupported Content-Type"), (422, "the body or a parameter is invalid"),
        (503, "busy or out of numbers: retry later"))},
    413: {"description": "body too large", "content": {"text/plain": {"schema": {"type": "string"}}}},
}
