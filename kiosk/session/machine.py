"""transition(session, event, now, timeouts) -> the next Session, and nothing else: one small
function per flow (identify, technician, credit, progress, apply, materials, sign and submit,
the result). The controller performs the side effects a new state asks for (kiosk/usecases/)."""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from kiosk.domain import materials as M
from kiosk.domain.evaluation import LEVELS, needs_reason
from kiosk.domain.form import prefill, validate
from kiosk.session.events import (Back, BrowseAsGuest, CardProblem, CardRead, ChooseMatter, Confirm, Evaluate,
                                  FilterMatters, Finish, KeepAlive, LicenceScanned, OpenApplication, OpenCredit,
                                  OpenMatters, OpenProgress, OpenTechnician, PinChecked, Printed, Rate,
                                  ReceiptScanned, RequestCredit, Say, ShowApplications, ShowCredit,
                                  ShowProgress, ShowScanHint, Sign, Signing, StartApplication, SubmitFailed, SubmitForm,
                                  Submitted, Tick, ToggleElder, ToggleLanguage)
from kiosk.session.materials import fresh_materials, materials, set_item
from kiosk.session.model import _EMPTY, Session, State, Timeouts

_BACK = {State.MATTERS: State.HOME, State.GUIDE: State.MATTERS, State.FORM: State.GUIDE, State.PROGRESS: State.HOME,
         State.CREDIT: State.HOME,
         State.REVIEW: State.MATERIALS, State.SIGN: State.REVIEW, State.MATERIALS: State.FORM, State.EVALUATE: State.DONE}


# A code read (or its message) ends the hint about holding it: the scanner says so too, but the
# session must not show "closer" next to what the code turned out to be.
_READS = (Say, ReceiptScanned, LicenceScanned)


def transition(s: Session, event, now: float, timeouts: Timeouts) -> Session:
    if isinstance(event, ShowScanHint):
        # Not a touch: holding a phone up keeps nothing alive. Screens that show no hint hold none.
        return replace(s, scan_hint=event.hint) if _shows_scan_hint(s) else s
    nxt = _transition(s, event, now, timeouts)
    if nxt.scan_hint is not None and (isinstance(event, _READS) or not _shows_scan_hint(nxt)):
        return replace(nxt, scan_hint=None)
    return nxt


def _shows_scan_hint(s: Session) -> bool:
    """The screens that ask for a code: attract (receipt, licence), 信用报告 awaiting the licence."""
    return s.state is State.ATTRACT or (s.state is State.CREDIT and s.waiting_licence)


def _transition(s: Session, event, now: float, timeouts: Timeouts) -> Session:
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
        return _card(s, event, now)
    if isinstance(event, KeepAlive):
        return s if s.state is State.ATTRACT else replace(s, last_activity=now)

    nxt = _apply(s, event)
    if nxt is None:
        return s                 # an event that does not apply here (a stale tap) changes nothing
    return nxt if nxt.state is State.ATTRACT else replace(nxt, last_activity=now)


def _card(s: Session, event: CardRead, now: float) -> Session:
    """Identify: who is at the terminal now."""
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


def _apply(s: Session, event) -> Session | None:
    if isinstance(event, ToggleLanguage) and s.state is not State.SUBMITTING:
        return replace(s, lang="en" if s.lang == "zh" else "zh")
    if isinstance(event, ToggleElder) and s.state is not State.SUBMITTING:
        return replace(s, elder=not s.elder)
    s = replace(s, message="")
    if s.state is State.MATERIALS:
        return materials(s, event)       # it owns its Back (the camera view closes first)
    # No two flows answer the same (state, event), except the generic Back, which comes last.
    for flow in (_technician, _credit, _progress, _apply_flow, _sign_and_submit, _result):
        nxt = flow(s, event)
        if nxt is not None:
            return nxt
    if isinstance(event, Back) and s.state in _BACK:
        return replace(s, state=_BACK[s.state])
    return None


def _technician(s: Session, event) -> Session | None:
    match (s.state, event):
        case (State.ATTRACT, OpenTechnician()):
            return replace(s, state=State.TECH_PIN)
        case (State.TECH_PIN, PinChecked(ok=ok)):
            return replace(s, state=State.TECH) if ok else replace(s, message="PIN 错误")
        case (State.TECH_PIN | State.TECH, Back()):
            return Session()
    return None


def _credit(s: Session, event) -> Session | None:
    match (s.state, event):
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
    return None


def _progress(s: Session, event) -> Session | None:
    match (s.state, event):
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
    return None


def _apply_flow(s: Session, event) -> Session | None:
    """办事: the matter list, its guide, the form."""
    match (s.state, event):
        case (State.HOME, OpenMatters()) | (State.ATTRACT, BrowseAsGuest()):
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
                           errors=_EMPTY, **fresh_materials(s.matter))
        case (State.MATTERS, Back()) if s.card is None:
            return Session()     # a guest going back leaves: nothing to keep
        case (State.FORM, SubmitForm(values=v)):
            # The screen sends what the user edited; card pre-fills stay as read from the card.
            merged = {**s.values, **{k: (x or "").strip() for k, x in v.items()}}
            errors = validate(s.matter, merged)
            return replace(s, state=State.FORM if errors else State.MATERIALS, values=MappingProxyType(merged),
                           errors=MappingProxyType(errors), material_errors=_EMPTY)
    return None


def _sign_and_submit(s: Session, event) -> Session | None:
    match (s.state, event):
        case (State.REVIEW, Confirm()):
            return replace(s, state=State.SIGN, message="")
        case (State.REVIEW, Back()):
            # going back to change what was declared: a signature given for the old content goes
            return replace(s, state=State.MATERIALS, signature=None,
                           attachments=set_item(s.attachments, M.SIGNATURE_ID))
        case (State.SIGN, Signing()):
            return replace(s, message="") if s.message else s
        case (State.SIGN, Sign(signature=sig)):
            reason = sig.reason()
            if reason:
                return replace(s, message=reason)
            # The signature rides with the photos: one more image, material id "signature".
            png = M.Attachment(M.SIGNATURE_ID, "image/png", sig.to_png())
            return replace(s, state=State.SUBMITTING, signature=sig, message="",
                           attachments=set_item(s.attachments, M.SIGNATURE_ID, png))
        case (State.SUBMITTING, Submitted(outcome=o)):
            # the photos are in the outbox now: none stays in memory longer than needed
            return replace(s, state=State.DONE, outcome=o, attachments=_EMPTY, photo=None, signature=None)
        case (State.SUBMITTING, SubmitFailed(message=msg)):
            return replace(s, state=State.REVIEW, message=msg)
    return None


def _result(s: Session, event) -> Session | None:
    """The result screen: the receipt printed, 好差评."""
    match (s.state, event):
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
    return None

