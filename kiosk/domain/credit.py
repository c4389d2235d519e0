"""Credit report numbers, verify codes and the report's JSON form (hall ↔ kiosk).

The report itself is kiosk.domain.credit_report.CreditReport (what the kiosk prints); the hall
fills one and sends `report_to_json(report)`, the kiosk reads it back with `report_from_json`.
Report numbers look like application numbers with their own prefix: XY + YYYYMMDD + 5-digit
daily sequence + ISO 7064 Mod 37,36 check character (e.g. XY2026112800001?), so a mistyped
number on the verify page is caught before a look-up. Pure: no I/O.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import asdict

from kiosk.domain.credit_report import CreditReport, CreditRow, CreditSection, CreditSubject
from kiosk.domain.serial_no import CREDIT_REPORT

REPORT_PREFIX = CREDIT_REPORT.prefix
MAX_SEQUENCE = CREDIT_REPORT.max_sequence
# No 0/O, 1/I/L, 5/S, 8/B, 2/Z: a verify code is read off paper and typed by a person.
VERIFY_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
VERIFY_LENGTH = 8


def make_report_no(date: dt.date, seq: int) -> str:
    return CREDIT_REPORT.make(date, seq)


def is_valid_report_no(s: object) -> bool:
    return CREDIT_REPORT.is_valid(s)


def new_verify_code() -> str:
    return "".join(secrets.choice(VERIFY_ALPHABET) for _ in range(VERIFY_LENGTH))


def normalise_verify_code(s: str) -> str:
    """What a person typed -> the stored form: upper case, spaces and dashes dropped."""
    return re.sub(r"[\s-]", "", s).upper()


def report_to_json(r: CreditReport) -> dict:
    d = asdict(r)
    d["generated_at"] = r.generated_at.isoformat(timespec="seconds")
    return d


def report_from_json(d: dict) -> CreditReport:
    """The inverse of report_to_json; raises KeyError / TypeError / ValueError on a bad body."""
    s = d["subject"]
    return CreditReport(
        report_no=d["report_no"],
        subject=CreditSubject(name=s["name"], code=s["code"], kind=s.get("kind", "enterprise")),
        generated_at=dt.datetime.fromisoformat(d["generated_at"]),
        verify_code=d["verify_code"], verify_url=d["verify_url"], issuer=d.get("issuer", ""),
        purpose=d.get("purpose", ""),
        sections=[CreditSection(title=x["title"], columns=list(x["columns"]),
                                rows=[CreditRow(cells=list(r["cells"]), repaired=bool(r.get("repaired")))
                                      for r in x.get("rows", [])],
                                count=x.get("count"), note=x.get("note", ""))
                  for x in d.get("sections", [])],
        notes=list(d.get("notes", [])))
