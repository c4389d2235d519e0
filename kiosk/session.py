"""The customer session: a pure state machine.

`transition(session, event, now)` returns the next Session and does nothing else; the
controller performs the side effects a new state asks for (submit, print). Identity data lives
only in a Session object: wiping is returning a fresh Session().

    ATTRACT --card--> HOME --matters--> MATTERS --choose--> GUIDE --start--> FORM
    FORM --submit ok--> MATERIALS --all required settled--> REVIEW --confirm--> SIGN
    SIGN (申请人承诺) --a plausible handwritten signature--> SUBMITTING --done--> DONE --finish / timeout--> ATTRACT
    MATERIALS (申请材料): per material OpenCamera -> TakePhoto -> (controller) PhotoTaken ->
        UsePhoto | Retake ; DeferToWindow (窗口补交) ; ClearMaterial ; 免提交 are settled from the start
    DONE --evaluate--> EVALUATE --rated--> THANKS --finish / timeout--> ATTRACT   (好差评)
    ATTRACT --guest--> MATTERS (no card: guides only; placing the card there keeps the place)

Idle: after `idle_s` without a touch the screen warns (a countdown of `warn_s`); a touch
(KeepAlive) continues, otherwise the session is wiped.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

from kiosk.domain.catalogue import Matter
from kiosk.domain.evaluation import LEVELS, needs_reason
from kiosk.domain.form import prefill, validate
from kiosk.domain.identity import IdentityCard
from kiosk.domain import materials as M
from kiosk.domain.signature import Signature


class State(enum.Enum):
    ATTRACT = "attract"
    HOME = "home"
    MATTERS = "matters"
    GUIDE = "guide"
    FORM = "form"
    MATERIALS = "materials"              # 申请材料: photograph, 免提交 or 窗口补交 each
    REVIEW = "review"
    SIGN = "sign"                        # 申请人承诺: signed by hand before submitting
    SUBMITTING = "submitting"
    DONE = "done"
    CREDIT = "credit"                    # 信用报告: whose report (本人 / 企业)
    CREDIT_REPORT = "credit_report"      # the summary on screen, print it
    TECH_PIN = "tech_pin"                # technician menu: the PIN first
    TECH = "tech"                        # technician menu
    PROGRESS = "progress"                # an identified person's applications
    PROGRESS_DETAIL = "progress_detail"  # one application's timeline
    EVALUATE = "evaluate"
    THANKS = "thanks"


_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Outcome:
    application_no: str
    queued: bool                 # True: the hall was unreachable, the application waits in the outbox
    time_limit_text: str
    key: str = ""                # the application's idempotency key (links a 好差评 to it)
    print_ok: bool | None = None  # None = not printed yet
    print_message: str = ""


@dataclass(frozen=True)
class Session:
    state: State = State.ATTRACT
    card: IdentityCard | None = None
    matter: Matter | None = None
    values: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    errors: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    outcome: Outcome | None = None
    message: str = ""            # a plain-Chinese message for the current screen, e.g. a failed submit
    lang: str = "zh"             # "zh" | "en": the next user starts in Chinese again
    elder: bool = False          # 长者模式: larger text and targets
    applications: tuple = ()     # PROGRESS: kiosk.domain.progress.Progress, newest first
    progress: object = None      # PROGRESS_DETAIL: the Progress shown
    wanted_no: str = ""          # a scanned receipt's number, waiting for the card to prove it
    credit: object = None        # CREDIT_REPORT: kiosk.domain.credit_report.CreditReport
    credit_request: tuple = ()   # (kind, code, licence_qr) being fetched
    fetching: str = ""           # what the controller must ask the hall for now: "" | "applications"
                                 # | "progress" | "credit"; the Show* answer clears it
    waiting_licence: bool = False  # CREDIT: the enterprise's 电子营业执照 QR is expected
    audience: str = ""           # matter list filter: "" everyone, "个人", "法人"
    query: str = ""              # matter list search: hanzi or pinyin initials
    last_activity: float = 0.0   # monotonic seconds
    # 申请材料 (kiosk/domain/materials.py). Photos live here only: wiped with the session,
    # handed to the outbox at submission.
    dispositions: Mapping[str, str] = field(default_factory=lambda: _EMPTY)   # material id -> disposition
    attachments: Mapping[str, M.Attachment] = field(default_factory=lambda: _EMPTY)
    capturing: str = ""          # the material being photographed: the camera view is open
    photo: M.Attachment | None = None   # the photo just taken, shown large: 使用此照片 / 重拍
    material_errors: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    signature: Signature | None = None   # SIGN: kept so that a failed submit need not be signed again


@dataclass(frozen=True)
class Timeouts:
    idle_s: float = 60.0         # silence before the countdown appears
    warn_s: float = 15.0         # the countdown: a touch on 继续办理 keeps the session
    done_s: float = 30.0         # the result screen: the user is finished, no countdown

    def for_state(self, state: State) -> float | None:
        """Seconds of silence after which the session is wiped (None: never)."""
        if state in (State.ATTRACT, State.SUBMITTING):
            return None          # nothing to wipe / we owe the user an answer first
        return self.done_s if state in (State.DONE, State.THANKS) else self.idle_s + self.warn_s

    def seconds_left(self, s: "Session", now: float) -> int | None:
        """Whole seconds before the wipe while the countdown shows, else None."""
        limit = self.for_state(s.state)
        if limit is None or s.state in (State.DONE, State.THANKS):
            return None
        left = limit - (now - s.last_activity)
        return max(0, int(left + 0.999)) if left <= self.warn_s else None


# ---- events -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardRead:
    card: IdentityCard


@dataclass(frozen=True)
class OpenMatters:
    pass


@dataclass(frozen=True)
class CardProblem:
    """A card that cannot be used (unreadable, expired): say so, start nothing."""
    message: str


@dataclass(frozen=True)
class Say:
    """A one-line message on the current screen (e.g. what a scanned code was)."""
    message: str


@dataclass(frozen=True)
class ReceiptScanned:
    application_no: str


@dataclass(frozen=True)
class OpenProgress:
    pass


@dataclass(frozen=True)
class ShowApplications:
    """The controller fetched the list (or why it could not)."""
    applications: tuple = ()
    message: str = ""


@dataclass(frozen=True)
class OpenApplication:
    application_no: str


@dataclass(frozen=True)
class ShowProgress:
    progress: object = None
    message: str = ""


@dataclass(frozen=True)
class OpenCredit:
    pass


@dataclass(frozen=True)
class RequestCredit:
    kind: str                    # "person" (the card holder's own) | "enterprise"
    code: str = ""               # enterprise: 统一社会信用代码 (from the licence QR)
    licence_qr: str = ""


@dataclass(frozen=True)
class ShowCredit:
    report: object = None
    message: str = ""


@dataclass(frozen=True)
class PrintCredit:
    a4: bool = False             # False: the summary slip; True: the full report on A4


@dataclass(frozen=True)
class LicenceScanned:
    uscc: str
    payload: str


@dataclass(frozen=True)
class OpenTechnician:
    """The hidden gesture (five taps on the hall's name) on the attract screen."""


@dataclass(frozen=True)
class PinChecked:
    ok: bool                     # the controller compares the PIN with the config, not the session


@dataclass(frozen=True)
class ToggleLanguage:
    pass


@dataclass(frozen=True)
class ToggleElder:
    pass


@dataclass(frozen=True)
class FilterMatters:
    audience: str = ""
    query: str = ""


@dataclass(frozen=True)
class BrowseAsGuest:
    """游客: read 办事指南 without identifying."""


@dataclass(frozen=True)
class StartApplication:
    """开始办理 on a guide."""


@dataclass(frozen=True)
class KeepAlive:
    """Any touch: the user is still there."""


@dataclass(frozen=True)
class ChooseMatter:
    matter: Matter


@dataclass(frozen=True)
class SubmitForm:
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenCamera:
    """拍照 on a material: the live preview opens for it."""
    material_id: str


@dataclass(frozen=True)
class TakePhoto:
    """The big 拍照 button under the preview: the controller takes the still."""


@dataclass(frozen=True)
class PhotoTaken:
    data: bytes                  # JPEG (controller thread, StillCamera.capture_jpeg)
    content_type: str = "image/jpeg"

    def __repr__(self) -> str:
        return f"PhotoTaken({len(self.data)} B)"


@dataclass(frozen=True)
class PhotoFailed:
    message: str


@dataclass(frozen=True)
class Retake:
    """重拍: back to the live preview, the photo discarded."""


@dataclass(frozen=True)
class UsePhoto:
    """使用此照片: the photo is attached to the material."""


@dataclass(frozen=True)
class CancelCapture:
    pass


@dataclass(frozen=True)
class DeferToWindow:
    """窗口补交 (only where the matter allows it for this material)."""
    material_id: str


@dataclass(frozen=True)
class ClearMaterial:
    """Undo a photo or a 窗口补交 choice."""
    material_id: str


@dataclass(frozen=True)
class SubmitMaterials:
    """下一步 on the materials screen. camera_ok is filled in by the controller (the session
    does not see devices): it decides what a missing material's message tells the user."""
    camera_ok: bool = True


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Confirm:
    pass


@dataclass(frozen=True)
class Signing:
    """A finger wrote on the pad: an earlier "还没有签名" no longer applies."""


@dataclass(frozen=True)
class Sign:
    """确认签名并提交: the strokes drawn on the pad (the session judges whether they are a signature)."""
    signature: Signature


@dataclass(frozen=True)
class Submitted:
    outcome: Outcome


@dataclass(frozen=True)
class SubmitFailed:
    message: str


@dataclass(frozen=True)
class Printed:
    ok: bool
    message: str


@dataclass(frozen=True)
class Reprint:
    """补打: the user asks for the receipt again (explicitly: never a silent retry)."""


@dataclass(frozen=True)
class Evaluate:
    """评价本次服务 on the result screen."""


@dataclass(frozen=True)
class Rate:
    level: int                   # 5 非常满意 … 1 非常不满意
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finish:
    """The user is done (or walked away): wipe everything."""


@dataclass(frozen=True)
class Tick:
    pass


_BACK = {State.MATTERS: State.HOME, State.GUIDE: State.MATTERS, State.FORM: State.GUIDE, State.PROGRESS: State.HOME,
         State.CREDIT: State.HOME,
         State.REVIEW: State.MATERIALS, State.SIGN: State.REVIEW, State.MATERIALS: State.FORM, State.EVALUATE: State.DONE}


def transition(s: Session, event, now: float, timeouts: Timeouts) -> Session:
    if isinstance(event, Tick):
        limit = timeouts.for_state(s.state)
        if limit is not None and now - s.last_activity >= limit:
            return Session()
        return s
    if isinstance(event, Finish):
        return Session()
    if isinstance(event, CardProblem):
        if s.state in (State.ATTRACT, State.MATTERS, State.GUIDE, State.PROGRESS_DETAIL) and s.card is None:
            return replace(s, message=event.message)
        return s                 # an identified user keeps their session; the card problem is not theirs
    if isinstance(event, Say):
        return s if s.state is State.SUBMITTING else replace(s, message=event.message)
    if isinstance(event, CardRead):
        if s.state is State.SUBMITTING:
            return s             # finish this user's submission before anyone else's begins
        if s.state is State.PROGRESS_DETAIL and s.card is None and s.wanted_no:
            return replace(s, card=event.card, last_activity=now, message="正在查询…",
                           fetching="progress")   # the card proves the scanned receipt
        if s.card is None and s.state in (State.MATTERS, State.GUIDE):
            return replace(s, card=event.card, last_activity=now, message="")   # a guest identifies
        if s.card is None:       # the person who set language / 长者模式 on the attract screen
            return Session(state=State.HOME, card=event.card, lang=s.lang, elder=s.elder, last_activity=now)
        return Session(state=State.HOME, card=event.card, last_activity=now)   # another person
    if isinstance(event, KeepAlive):
        return s if s.state is State.ATTRACT else replace(s, last_activity=now)

    nxt = _apply(s, event)
    if nxt is None:
        return s                 # an event that does not apply here (a stale tap) changes nothing
    return nxt if nxt.state is State.ATTRACT else replace(nxt, last_activity=now)


def _apply(s: Session, event) -> Session | None:
    if isinstance(event, ToggleLanguage) and s.state is not State.SUBMITTING:
        return replace(s, lang="en" if s.lang == "zh" else "zh")
    if isinstance(event, ToggleElder) and s.state is not State.SUBMITTING:
        return replace(s, elder=not s.elder)
    s = replace(s, message="")
    match (s.state, event):
        case (State.HOME, OpenMatters()):
            return replace(s, state=State.MATTERS)
        case (State.ATTRACT, OpenTechnician()):
            return replace(s, state=State.TECH_PIN)
        case (State.TECH_PIN, PinChecked(ok=ok)):
            return replace(s, state=State.TECH) if ok else replace(s, message="PIN 错误")
        case (State.TECH_PIN | State.TECH, Back()):
            return Session()
        case (State.HOME, OpenCredit()):
            return replace(s, state=State.CREDIT, waiting_licence=False)
        case (State.CREDIT, RequestCredit(kind="enterprise", code="")):
            return replace(s, waiting_licence=True, message="请将企业电子营业执照二维码对准摄像头")
        case (State.CREDIT, LicenceScanned(uscc=code, payload=payload)):
            return replace(s, credit_request=("enterprise", code, payload), waiting_licence=False,
                           message="正在查询…", fetching="credit")
        case (State.CREDIT, RequestCredit(kind=kind, code=code, licence_qr=qr)):
            code = s.card.id_number if kind == "person" else code
            return replace(s, credit_request=(kind, code, qr), waiting_licence=False, message="正在查询…",
                           fetching="credit")
        case (State.CREDIT, ShowCredit(report=r, message=msg)):
            if r is None:
                return replace(s, credit_request=(), message=msg, fetching="")
            return replace(s, state=State.CREDIT_REPORT, credit=r, credit_request=(), message=msg, fetching="")
        case (State.CREDIT_REPORT, Back()):
            return replace(s, state=State.CREDIT, credit=None)
        case (State.HOME, OpenProgress()):
            return replace(s, state=State.PROGRESS, applications=(), message="正在查询…", fetching="applications")
        case (State.PROGRESS, ShowApplications(applications=apps, message=msg)):
            return replace(s, applications=tuple(apps), fetching="",
                           message=msg or ("" if apps else "没有查到您在本系统提交的申请"))
        case (State.PROGRESS, OpenApplication(application_no=no)):
            return replace(s, state=State.PROGRESS_DETAIL, wanted_no=no, progress=None, message="正在查询…",
                           fetching="progress")
        case (state, ReceiptScanned(application_no=no)) if state in (State.ATTRACT, State.HOME, State.PROGRESS):
            if s.card:
                return replace(s, state=State.PROGRESS_DETAIL, wanted_no=no, progress=None,
                               message="正在查询…", fetching="progress")
            return replace(s, state=State.PROGRESS_DETAIL, wanted_no=no, progress=None,
                           message="请将身份证放在感应区，以确认是本人的申请")
        case (State.PROGRESS_DETAIL, ShowProgress(progress=p, message=msg)):
            return replace(s, progress=p, message=msg, fetching="")
        case (State.PROGRESS_DETAIL, Back()):
            if s.card is None:
                return Session()
            return replace(s, state=State.PROGRESS if s.applications else State.HOME, progress=None, wanted_no="")
        case (State.ATTRACT, BrowseAsGuest()):
            return replace(s, state=State.MATTERS)
        case (State.MATTERS, FilterMatters(audience=a, query=q)):
            return replace(s, audience=a if a in ("个人", "法人") else "", query=q[:20])
        case (State.MATTERS, ChooseMatter(matter=m)):
            return replace(s, state=State.GUIDE, matter=m)
        case (State.GUIDE, StartApplication()):
            if s.card is None:
                return replace(s, message="请先将身份证放在感应区，识别身份后即可办理")
            if "个人" not in s.matter.audience:
                return replace(s, message="本事项仅受理法人（企业）申请，请由法定代表人持营业执照办理")
            return replace(s, state=State.FORM, values=MappingProxyType(prefill(s.matter, s.card)),
                           errors=_EMPTY, **_fresh_materials(s.matter))
        case (State.MATTERS, Back()) if s.card is None:
            return Session()     # a guest going back leaves: nothing to keep
        case (State.FORM, SubmitForm(values=v)):
            # The screen sends what the user edited; card pre-fills stay as read from the card.
            merged = {**s.values, **{k: (x or "").strip() for k, x in v.items()}}
            errors = validate(s.matter, merged)
            values = MappingProxyType(merged)
            return replace(s, state=State.FORM if errors else State.MATERIALS, values=values,
                           errors=MappingProxyType(errors), material_errors=_EMPTY)
        case (State.MATERIALS, _):
            return _materials(s, event)
        case (State.REVIEW, Confirm()):
            return replace(s, state=State.SIGN, message="")
        case (State.SIGN, Signing()):
            return replace(s, message="") if s.message else s
        case (State.SIGN, Sign(signature=sig)):
            reason = sig.reason()
            if reason:
                return replace(s, message=reason)
            # The signature rides with the photos: one more image, material id "signature".
            png = M.Attachment(M.SIGNATURE_ID, "image/png", sig.to_png())
            return replace(s, state=State.SUBMITTING, signature=sig, message="",
                           attachments=_set(s.attachments, M.SIGNATURE_ID, png))
        case (State.SUBMITTING, Submitted(outcome=o)):
            # the photos are in the outbox now: none stays in memory longer than needed
            return replace(s, state=State.DONE, outcome=o, attachments=_EMPTY, photo=None, signature=None)
        case (State.SUBMITTING, SubmitFailed(message=msg)):
            return replace(s, state=State.REVIEW, message=msg)
        case (State.DONE, Printed(ok=ok, message=msg)):
            return replace(s, outcome=replace(s.outcome, print_ok=ok, print_message=msg))
        case (State.DONE, Evaluate()):
            return replace(s, state=State.EVALUATE)
        case (State.EVALUATE, Rate(level=level, reasons=reasons)):
            if level not in LEVELS:
                return replace(s, message="请选择一个评价等级")
            if needs_reason(level) and not reasons:
                return replace(s, message="请至少选择一项不满意的原因")
            return replace(s, state=State.THANKS)
        case (State.REVIEW, Back()):
            # going back to change what was declared: a signature given for the old content goes
            return replace(s, state=State.MATERIALS, signature=None,
                           attachments=_set(s.attachments, M.SIGNATURE_ID))
        case (state, Back()) if state in _BACK:
            return replace(s, state=_BACK[state])
    return None


def _fresh_materials(matter: Matter) -> dict:
    return dict(dispositions=MappingProxyType(M.initial_dispositions(matter)), attachments=_EMPTY,
                capturing="", photo=None, material_errors=_EMPTY, signature=None)


def _material(s: Session, material_id: str):
    return next((m for m in s.matter.materials if m.id == material_id), None)


def _set(mapping: Mapping, key: str, value=None) -> Mapping:
    d = dict(mapping)
    if value is None:
        d.pop(key, None)
    else:
        d[key] = value
    return MappingProxyType(d)


def _materials(s: Session, event) -> Session | None:
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
                               attachments=_set(s.attachments, mid, s.photo),
                               dispositions=_set(s.dispositions, mid, M.ATTACHED),
                               material_errors=_set(s.material_errors, mid))
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
                return replace(s, material_errors=_set(s.material_errors, mid, "此材料不能窗口补交，请拍照上传"))
            return replace(s, dispositions=_set(s.dispositions, mid, M.WINDOW),
                           attachments=_set(s.attachments, mid),
                           material_errors=_set(s.material_errors, mid))
        case ClearMaterial(material_id=mid):
            m = _material(s, mid)
            if m is None or m.exempt_by_sharing:
                return None
            return replace(s, dispositions=_set(s.dispositions, mid), attachments=_set(s.attachments, mid))
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
