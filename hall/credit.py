"""Credit reports (公共信用信息报告): who may have one, what it says, and its verification.

Authorisation: a person gets only their own report (the ID card read at the kiosk is the
proof); an enterprise's report goes to its legal representative (ID number matches the record)
or to whoever shows its 电子营业执照 QR. Every request is logged, granted or not, with masked
identities and a keyed hash of the requester's ID number (credit_requests).

The report is kiosk.domain.credit_report.CreditReport, so the kiosk prints exactly what the hall
issued; its sha256 is kept with the report number and the verify code for /verify.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from hall import db
from hall.api_deps import CHINA_TZ
from hall.catalog_store import canonical_json
from kiosk.domain.credit import MAX_SEQUENCE, make_report_no, new_verify_code, report_to_json
from kiosk.domain.credit_report import CreditReport, CreditRow, CreditSection, CreditSubject
from kiosk.domain.identity import mask_id_number, mask_name

log = logging.getLogger("hall.credit")

ISSUER = "公共信用信息服务窗口"
NOTES = [
    "本报告信息来源于各行政机关依法公示的行政许可、行政处罚信息及严重失信主体名单、经营异常名录。",
    "标注“已修复”的记录已完成信用修复，仅作展示，不作为失信依据。",
    "本报告可凭报告编号和验证码在本大厅查验真伪。",
]
NO_RECORDS = "未查询到相关记录"


class CreditDenied(Exception):
    def __init__(self, status: int, message: str, outcome: str):
        super().__init__(message)
        self.status, self.message, self.outcome = status, message, outcome


def resolve_licence(s: Session, payload: str) -> db.CreditSubject | None:
    """The enterprise an 电子营业执照 QR stands for. The QR holds an opaque token issued by the
    licence system (a bare token, or a URL with it as `t`/`token` or the last path segment);
    the hall resolves only tokens it holds, so a forged QR resolves to nothing."""
    token = payload.strip()
    if "://" in token:
        try:
            parts = urlsplit(token)
        except ValueError:      # e.g. "Invalid IPv6 URL": no licence of ours (was a 500; found by fuzzing)
            return None
        q = parse_qs(parts.query)
        token = (q.get("t") or q.get("token") or [parts.path.rstrip("/").rsplit("/", 1)[-1]])[0]
    if not token or len(token) > 128:
        return None
    return s.scalar(select(db.CreditSubject).where(db.CreditSubject.licence_token == token,
                                                   db.CreditSubject.kind == "enterprise"))


def authorise(s: Session, kind: str, code: str, requester_id: str, licence_qr: str) -> tuple[db.CreditSubject | None, str]:
    """(the subject's record or None for a person without one, how the request is authorised).
    Raises CreditDenied."""
    code = code.upper()
    if kind == "person":
        if not hmac.compare_digest(code.encode(), requester_id.upper().encode()):
            raise CreditDenied(403, "个人信用报告仅限本人查询（the subject is not the requester）", "denied")
        return s.get(db.CreditSubject, code), "self"
    if not uscc.is_valid(code):
        raise CreditDenied(422, "统一社会信用代码有误，请核对（not a valid USCC）", "denied")
    subject = s.get(db.CreditSubject, code)
    if subject is None or subject.kind != "enterprise":
        raise CreditDenied(404, "未查询到该企业的信用信息（no such enterprise in the hall's credit data）", "not_found")
    if subject.legal_rep_id_number and hmac.compare_digest(subject.legal_rep_id_number.upper().encode(),
                                                           requester_id.upper().encode()):
        return subject, "legal_rep"
    if licence_qr:
        by_qr = resolve_licence(s, licence_qr)
        if by_qr is not None and by_qr.code == subject.code:
            return subject, "licence_qr"
    raise CreditDenied(403, "企业信用报告仅限法定代表人本人查询，或出示该企业的电子营业执照（not authorised）", "denied")


def _validity(d: dict) -> str:
    start, end = d.get("valid_from") or "", d.get("valid_to") or ""
    if not start and not end:
        return "—"
    return f"{start} 至 {end or '长期'}"


def build_sections(s: Session, subject_code: str, kind: str, subject: db.CreditSubject | None) -> list[CreditSection]:
    rows: dict[str, list[db.CreditRecord]] = {"licence": [], "penalty": [], "dishonest": [], "abnormal": []}
    for r in s.scalars(select(db.CreditRecord).where(db.CreditRecord.subject_code == subject_code)
                       .order_by(db.CreditRecord.decided_on.desc(), db.CreditRecord.id)):
        rows.setdefault(r.category, []).append(r)
    sections = []
    if kind == "enterprise" and subject is not None:
        sections.append(CreditSection("基本信息", ["项目", "内容"], [
            CreditRow(["企业名称", subject.name]), CreditRow(["统一社会信用代码", subject.code]),
            CreditRow(["法定代表人", mask_name(subject.legal_rep_name) if subject.legal_rep_name else "—"]),
            CreditRow(["住所", subject.address or "—"]),
            CreditRow(["成立日期", subject.registered_on.isoformat() if subject.registered_on else "—"])]))
    sections.append(CreditSection("行政许可", ["决定文书号", "许可类别", "许可内容", "许可机关", "决定日期", "有效期"], [
        CreditRow([r.record_no, r.data["type"], r.data["content"], r.data["authority"], r.decided_on.isoformat(),
                   _validity(r.data)]) for r in rows["licence"]]))
    sections.append(CreditSection("行政处罚", ["决定文书号", "处罚类别", "违法事由", "处罚依据", "处罚内容", "决定日期",
                                           "状态", "处罚机关"], [
        CreditRow([r.record_no, r.data["type"], r.data["reason"], r.data["basis"], r.data["content"],
                   r.decided_on.isoformat(), r.data["status"] + ("（已修复）" if r.data.get("repaired") else ""),
                   r.data["authority"]], repaired=bool(r.data.get("repaired"))) for r in rows["penalty"]]))
    sections.append(CreditSection("严重失信主体名单", ["名单", "列入原因", "认定机关", "列入日期", "状态"], [
        CreditRow([r.data["list_name"], r.data["reason"], r.data["authority"], r.decided_on.isoformat(),
                   f"已移出（{r.data['removed_on']}）" if r.data.get("removed_on") else "在列"],
                  repaired=bool(r.data.get("removed_on"))) for r in rows["dishonest"]]))
    if kind == "enterprise":
        sections.append(CreditSection("经营异常名录", ["列入原因", "作出决定机关", "列入日期", "状态"], [
            CreditRow([r.data["reason"], r.data["authority"], r.decided_on.isoformat(),
                       f"已移出（{r.data['removed_on']}）" if r.data.get("removed_on") else "在列"],
                      repaired=bool(r.data.get("removed_on"))) for r in rows["abnormal"]]))
    for sec in sections:
        if not sec.rows:
            sec.note = NO_RECORDS
    return sections


def _next_report_no(s: Session, day: dt.date) -> str | None:
    seq = db.next_number(s, "credit_report", day)
    return None if seq > MAX_SEQUENCE else make_report_no(day, seq)


def requester_hash(s: Session, id_number: str) -> str:
    key = db.meta_secret(s, "credit_requester_key").encode()
    return hmac.new(key, id_number.upper().encode(), hashlib.sha256).hexdigest()


def log_request(s: Session, terminal_id: str, requester_id: str, kind: str, code: str, authorised_by: str,
                outcome: str, report_no: str = "") -> None:
    s.add(db.CreditRequest(terminal_id=terminal_id, requester_masked=mask_id_number(requester_id.upper()),
                           requester_hash=requester_hash(s, requester_id), subject_kind=kind,
                           subject_masked=mask_id_number(code.upper()) if kind == "person" else code.upper(),
                           authorised_by=authorised_by, outcome=outcome, report_no=report_no))
    s.commit()


def issue_report(s: Session, terminal_id: str, kind: str, code: str, requester_name: str, requester_id: str,
                 licence_qr: str, purpose: str, verify_base: str) -> dict:
    """Authorise, build, number and record a report; returns report_to_json(report).
    Raises CreditDenied (already logged)."""
    try:
        subject, how = authorise(s, kind, code, requester_id, licence_qr)
    except CreditDenied as e:
        s.rollback()
        log_request(s, terminal_id, requester_id, kind, code, "", e.outcome)
        log.info("credit report refused (%s) for terminal %s", e.outcome, terminal_id)
        raise
    code = code.upper()
    name = subject.name if subject is not None else requester_name
    sections = build_sections(s, code, kind, subject)
    counts = {sec.title: sec.total for sec in sections if sec.title != "基本信息"}
    counts["已修复"] = sum(sec.repaired for sec in sections if sec.title != "基本信息")
    now = db.utcnow()
    today = now.astimezone(CHINA_TZ).date()
    for _attempt in range(5):
        no = _next_report_no(s, today)
        if no is None:
            raise CreditDenied(503, "today's report numbers are used up", "denied")
        verify_code = new_verify_code()
        report = CreditReport(report_no=no, subject=CreditSubject(name=name, code=code, kind=kind),
                              generated_at=now.astimezone(CHINA_TZ).replace(microsecond=0), verify_code=verify_code,
                              verify_url=f"{verify_base}/verify/{no}?code={verify_code}", issuer=ISSUER,
                              purpose=purpose, sections=sections, notes=list(NOTES))
        body = report_to_json(report)
        s.add(db.CreditReport(report_no=no, verify_code=verify_code, subject_code=code, subject_kind=kind,
                              subject_name_masked=mask_name(name) if kind == "person" else name,
                              content_sha256=hashlib.sha256(canonical_json(body)).hexdigest(), counts=counts,
                              generated_at=now, terminal_id=terminal_id))
        try:
            s.commit()
        except IntegrityError:          # a concurrent report took the number: take the next one
            s.rollback()
            continue
        log_request(s, terminal_id, requester_id, kind, code, how, "issued", no)
        log.info("credit report %s issued (%s, %s) for terminal %s", no, kind, how, terminal_id)
        return body
    raise CreditDenied(503, "busy; try again", "denied")
