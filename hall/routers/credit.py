"""Credit reports for terminals, 电子营业执照 resolution, and the public /verify page."""
from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from hall import audit, db
from hall.api_deps import DbSession, Terminal, china_time
from hall.credit import CreditDenied, issue_report, resolve_licence
from hall.schemas import CreditReportIn, CreditReportOut, LicenceIn, LicenceOut, VerifyOut
from kiosk.domain.credit import is_valid_report_no, normalise_verify_code

router = APIRouter()


@router.post("/api/v1/credit-reports", status_code=201, response_model=CreditReportOut,
             responses={403: {"description": "the requester may not have this subject's report"},
                        404: {"description": "no such enterprise in the hall's credit data"}})
def credit_report(body: CreditReportIn, request: Request, terminal_id: Terminal, s: DbSession):
    try:
        report = issue_report(s, terminal_id, body.subject.kind, body.subject.code, body.requester.name,
                              body.requester.id_number, body.licence_qr, body.purpose,
                              str(request.base_url).rstrip("/"))
    except CreditDenied as e:
        raise HTTPException(e.status, e.message) from None
    # Issued to be printed at the kiosk: a read of the subject's credit data, audited under the
    # person it is about (a person's own report) or the legal representative who asked.
    person = body.subject.kind == "person"
    audit.record_read(s, f"terminal:{terminal_id}", "credit_report_issued", report.get("report_no", ""),
                      body.subject.code if person else body.requester.id_number, body.requester.name,
                      detail="" if person else f"enterprise {body.subject.code[:18]}",
                      client=request.client.host if request.client else "")
    s.commit()
    return report


@router.post("/api/v1/identity/business-licence", response_model=LicenceOut,
             responses={404: {"description": "the QR is not an 电子营业执照 this hall can resolve"}})
def business_licence(body: LicenceIn, _t: Terminal, s: DbSession):
    subject = resolve_licence(s, body.payload)
    if subject is None:
        raise HTTPException(404, "无法识别该电子营业执照，请使用“统一社会信用代码”查询（unknown licence QR）")
    return {"uscc": subject.code, "name": subject.name, "legal_representative": subject.legal_rep_name,
            "address": subject.address}


# The same check of the same paper from the same address, within this, is one audit row.
VERIFY_AUDIT_WINDOW = dt.timedelta(minutes=10)


@router.get("/verify/{report_no}", response_model=VerifyOut,
            responses={200: {"content": {"text/html": {}}, "description": "JSON, or a page for a browser"}})
def verify(request: Request, s: DbSession, report_no: Annotated[str, Path(max_length=32)],
           code: Annotated[str, Query(max_length=32, description="the verify code printed on the report")] = ""):
    """Public: anyone holding a printed report can check it. Without the code only the fact of
    the report and its time are confirmed; with it, that this paper is the one issued."""
    row = None
    if is_valid_report_no(report_no):
        row = s.scalar(select(db.CreditReport).where(db.CreditReport.report_no == report_no))
    given = normalise_verify_code(code)
    authentic = None
    if row is not None and given:
        authentic = hmac.compare_digest(row.verify_code.encode(), given.encode("utf-8"))
    out = {"report_no": report_no if row is not None else report_no[:32], "found": row is not None,
           "code_checked": bool(given), "authentic": authentic,
           "generated_at": china_time(row.generated_at) if row else None,
           "subject_kind": row.subject_kind if row else None,
           "subject_name": row.subject_name_masked if row else None,
           # Only counts survive a code check: without the code a number alone reveals nothing more.
           "counts": dict(row.counts) if row is not None and authentic else {}}
    if row is not None:
        # Public (the paper's holder checks it): the subject is known, the reader is not.
        audit.record_read(s, "public", "verify_credit_report", row.report_no,
                          row.subject_code if row.subject_kind == "person" else "",
                          detail=f"code {'right' if authentic else 'wrong' if given else 'not given'}",
                          client=request.client.host if request.client else "",
                          once_within=VERIFY_AUDIT_WINDOW)
        s.commit()
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(request.app.state.templates.get_template("verify.html").render(v=out))
    return out
