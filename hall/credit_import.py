"""`hall credit import FILE`: 双公示 data and credit lists from JSON or CSV into the hall.

JSON: one document {"subjects": [...], "licences": [...], "penalties": [...], "dishonest": [...],
"abnormal": [...]} (any of the keys). CSV: one category per file, named by --kind or by the
file name (licences.csv, penalties.csv, …); headers in English (the JSON keys) or in the
Chinese of the 信用中国 双公示 templates (行政相对人代码, 处罚决定书文号, …).

Every row is checked before anything is written: one bad row stops the import with the file,
the row and the field, and the database is unchanged. Re-importing is safe: records are keyed
by (category, record number) and subjects by their code, so a second import updates in place
(e.g. a penalty that has since been repaired).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from hall import db
from kiosk.domain.identity import is_valid_id_number

CATEGORIES = ("subjects", "licences", "penalties", "dishonest", "abnormal")
_RECORD_CATEGORY = {"licences": "licence", "penalties": "penalty", "dishonest": "dishonest", "abnormal": "abnormal"}


class ImportError_(ValueError):
    """A bad file or row; the message names the file, the row and the field."""


def _code(s: str) -> str:
    s = s.strip().upper()
    if not (s.isascii() and (uscc.is_valid(s) or is_valid_id_number(s))):
        raise ValueError("not a valid 统一社会信用代码 or ID number (check digit)")
    return s


def _blank_to_none(v):
    return None if isinstance(v, str) and not v.strip() else v


def _bool(v):
    if isinstance(v, str):
        t = v.strip().lower()
        if t in ("", "0", "false", "no", "否", "未修复"):
            return False
        if t in ("1", "true", "yes", "是", "已修复"):
            return True
    return v


Code = Annotated[str, AfterValidator(_code)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
OptDate = Annotated[dt.date | None, BeforeValidator(_blank_to_none)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SubjectRow(_Row):
    code: Code
    kind: Literal["person", "enterprise"]
    name: Annotated[str, Field(min_length=1, max_length=128)]
    legal_rep_name: Annotated[str, Field(max_length=64)] = ""
    legal_rep_id_number: Annotated[str, Field(max_length=18)] = ""
    address: Annotated[str, Field(max_length=256)] = ""
    registered_on: OptDate = None
    licence_token: Annotated[str | None, BeforeValidator(_blank_to_none), Field(max_length=128)] = None


class LicenceRow(_Row):
    record_no: Text
    subject_code: Code
    type: Text
    content: Text
    authority: Text
    decided_on: dt.date
    valid_from: OptDate = None
    valid_to: OptDate = None


class PenaltyRow(_Row):
    record_no: Text
    subject_code: Code
    type: Text
    reason: Text
    basis: Text
    content: Text
    decided_on: dt.date
    status: Text
    authority: Text
    repaired: Annotated[bool, BeforeValidator(_bool)] = False


class DishonestRow(_Row):
    record_no: Text
    subject_code: Code
    list_name: Text
    reason: Text
    authority: Text
    decided_on: dt.date
    removed_on: OptDate = None


class AbnormalRow(_Row):
    record_no: Text
    subject_code: Code
    reason: Text
    authority: Text
    decided_on: dt.date
    removed_on: OptDate = None
    removal_reason: Annotated[str, Field(max_length=500)] = ""


MODELS = {"subjects": SubjectRow, "licences": LicenceRow, "penalties": PenaltyRow, "dishonest": DishonestRow,
          "abnormal": AbnormalRow}

# The Chinese column names of the 双公示 templates (and plain equivalents) -> our keys.
ALIASES = {
    "行政相对人代码": "subject_code", "行政相对人代码_1(统一社会信用代码)": "subject_code", "统一社会信用代码": "subject_code",
    "主体代码": "subject_code", "行政许可决定文书号": "record_no", "许可证书编号": "record_no",
    "行政处罚决定书文号": "record_no", "处罚决定书文号": "record_no", "编号": "record_no", "许可类别": "type",
    "许可内容": "content", "许可机关": "authority", "许可决定日期": "decided_on", "有效期自": "valid_from",
    "有效期至": "valid_to", "处罚类别": "type", "违法行为类型": "reason", "违法事实": "reason", "处罚依据": "basis",
    "处罚内容": "content", "处罚决定日期": "decided_on", "处罚机关": "authority", "状态": "status", "已修复": "repaired",
    "名单名称": "list_name", "列入原因": "reason", "认定机关": "authority", "作出决定机关": "authority",
    "列入日期": "decided_on", "移出日期": "removed_on", "移出原因": "removal_reason", "主体类型": "kind",
    "名称": "name", "法定代表人": "legal_rep_name", "法定代表人证件号码": "legal_rep_id_number", "住所": "address",
    "成立日期": "registered_on", "电子营业执照令牌": "licence_token", "代码": "code",
}


def read_file(path: Path, kind: str | None = None) -> dict[str, list[dict]]:
    """{category: [raw row dicts]} from a JSON or CSV file. Raises ImportError_."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ImportError_(f"{path}: cannot be read: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{path}: not UTF-8 (save the file as UTF-8; GBK exports need converting)") from None
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise ImportError_(f"{path}: not valid JSON: {e}") from None
        if not isinstance(doc, dict) or not set(doc) <= set(CATEGORIES) or not all(isinstance(v, list) for v in doc.values()):
            raise ImportError_(f"{path}: expected an object with lists under {list(CATEGORIES)}")
        return doc
    if path.suffix.lower() != ".csv":
        raise ImportError_(f"{path}: expected a .json or .csv file")
    kind = kind or path.stem.lower()
    if kind not in CATEGORIES:
        raise ImportError_(f"{path}: cannot tell the category from the file name; pass --kind {'|'.join(CATEGORIES)}")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ImportError_(f"{path}: empty CSV")
    rows = []
    for row in reader:
        if None in row:
            raise ImportError_(f"{path}: row {reader.line_num}: more cells than header columns")
        rows.append({ALIASES.get(k.strip(), k.strip()): v for k, v in row.items()})
    return {kind: rows}


def validate(doc: dict[str, list[dict]], where: str) -> dict[str, list[BaseModel]]:
    out = {}
    for category, rows in doc.items():
        model = MODELS[category]
        checked = []
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise ImportError_(f"{where}: {category}[{i}]: expected an object")
            try:
                checked.append(model.model_validate(row))
            except ValidationError as e:
                first = e.errors()[0]
                field = ".".join(str(p) for p in first.get("loc", ())) or "(row)"
                raise ImportError_(f"{where}: {category} row {i}: {field}: {first.get('msg')}") from None
        out[category] = checked
    for s in out.get("subjects", []):
        if s.kind == "enterprise" and not uscc.is_valid(s.code):
            raise ImportError_(f"{where}: subjects: {s.code}: an enterprise needs a 统一社会信用代码")
        if s.legal_rep_id_number and not is_valid_id_number(s.legal_rep_id_number):
            raise ImportError_(f"{where}: subjects: {s.code}: legal_rep_id_number fails its check digit")
    return out


def store(s: Session, checked: dict[str, list[BaseModel]]) -> dict[str, int]:
    """Upsert everything in one transaction (caller commits); returns rows written per category."""
    counts = {}
    for row in checked.get("subjects", []):
        subj = s.get(db.CreditSubject, row.code) or db.CreditSubject(code=row.code)
        for k, v in row.model_dump().items():
            setattr(subj, k, v.upper() if k == "legal_rep_id_number" else v)
        subj.updated_at = db.utcnow()
        s.add(subj)
    counts["subjects"] = len(checked.get("subjects", []))
    s.flush()
    for category, rows in checked.items():
        if category == "subjects":
            continue
        cat = _RECORD_CATEGORY[category]
        for row in rows:
            data = row.model_dump(mode="json", exclude={"record_no", "subject_code", "decided_on"})
            rec = s.scalar(select(db.CreditRecord).where(db.CreditRecord.category == cat,
                                                         db.CreditRecord.record_no == row.record_no))
            if rec is None:
                rec = db.CreditRecord(category=cat, record_no=row.record_no)
                s.add(rec)
            rec.subject_code, rec.decided_on, rec.data, rec.imported_at = row.subject_code, row.decided_on, data, db.utcnow()
        counts[category] = len(rows)
    return counts


def import_file(s: Session, path: Path, kind: str | None = None) -> dict[str, int]:
    checked = validate(read_file(path, kind), str(path))
    counts = store(s, checked)
    db.audit(s, "cli", "credit_import", target=path.name,
             detail=", ".join(f"{k}={v}" for k, v in counts.items()))
    s.commit()
    return counts
