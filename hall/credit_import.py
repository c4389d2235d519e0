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
import re
from dataclasses import dataclass, field
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


@dataclass
class Parsed:
    """A file read into raw rows, with where each row starts (for messages people can act on)."""
    doc: dict[str, list[dict]]
    lines: dict[str, list[int]] = field(default_factory=dict)   # category -> line of each row (1-based)
    headers: dict[str, str] = field(default_factory=dict)       # our key -> the CSV's own column name


@dataclass(frozen=True)
class Problem:
    category: str
    row: int            # 1-based within its category
    line: int | None    # line of the file where the row starts (None if unknown)
    field: str          # our key, or "(row)"
    column: str         # the file's own column name for it (CSV), else the key
    message: str        # pydantic's message or ours (English)
    error_type: str = ""

    def text(self, where: str) -> str:
        return f"{where}: {self.category} row {self.row}: {self.field}: {self.message}"


def read_file(path: Path, kind: str | None = None) -> dict[str, list[dict]]:
    """{category: [raw row dicts]} from a JSON or CSV file. Raises ImportError_."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ImportError_(f"{path}: cannot be read: {e.strerror}") from None
    return parse(raw, path.name, kind, where=str(path)).doc


def parse(raw: bytes, filename: str, kind: str | None = None, where: str | None = None) -> Parsed:
    """Read a JSON or CSV file's bytes (the type from `filename`'s suffix). Raises ImportError_."""
    where = where or filename
    name = Path(filename)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{where}: not UTF-8 (save the file as UTF-8; GBK exports need converting)") from None
    if name.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise ImportError_(f"{where}: not valid JSON: {e}") from None
        if not isinstance(doc, dict) or not set(doc) <= set(CATEGORIES) or not all(isinstance(v, list) for v in doc.values()):
            raise ImportError_(f"{where}: expected an object with lists under {list(CATEGORIES)}")
        return Parsed(doc, _json_row_lines(text))
    if name.suffix.lower() != ".csv":
        raise ImportError_(f"{where}: expected a .json or .csv file")
    kind = kind or name.stem.lower()
    if kind not in CATEGORIES:
        raise ImportError_(f"{where}: cannot tell the category from the file name; pass --kind {'|'.join(CATEGORIES)}")
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames      # reads the first line: it can be bad CSV too (found by fuzzing)
    except csv.Error as e:
        raise ImportError_(f"{where}: line 1: not valid CSV: {e}") from None
    if not header:
        raise ImportError_(f"{where}: empty CSV")
    headers = {ALIASES.get(k.strip(), k.strip()): k.strip() for k in reader.fieldnames if k is not None}
    rows, lines = [], []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise ImportError_(f"{where}: line {start}: not valid CSV: {e}") from None
        if None in row:
            raise ImportError_(f"{where}: row {reader.line_num}: more cells than header columns")
        rows.append({ALIASES.get(k.strip(), k.strip()): v for k, v in row.items()})
        lines.append(start)
    return Parsed({kind: rows}, {kind: lines}, headers)


def _json_row_lines(text: str) -> dict[str, list[int]]:
    """The line each row of a (valid) {"category": [row, …]} document starts on."""
    dec, out = json.JSONDecoder(), {}
    ws = re.compile(r"[ \t\n\r]*")
    i = ws.match(text, 0).end() + 1                       # past "{"
    while True:
        i = ws.match(text, i).end()
        if text[i] == "}":
            return out
        key, i = dec.raw_decode(text, i)
        i = ws.match(text, i).end() + 1                   # past ":"
        i = ws.match(text, i).end()
        lines = out.setdefault(key, [])
        i += 1                                            # past "["
        while True:
            i = ws.match(text, i).end()
            if text[i] == "]":
                i += 1
                break
            lines.append(text.count("\n", 0, i) + 1)
            _, i = dec.raw_decode(text, i)
            i = ws.match(text, i).end()
            if text[i] == ",":
                i += 1
        i = ws.match(text, i).end()
        if text[i] == ",":
            i += 1


def check(parsed: Parsed) -> tuple[dict[str, list[BaseModel]], list[Problem]]:
    """Every row checked: (the good rows per category, every problem found), in file order."""
    out: dict[str, list[BaseModel]] = {}
    problems: list[Problem] = []
    for category, rows in parsed.doc.items():
        model = MODELS[category]
        lines = parsed.lines.get(category, [])
        checked = []
        for i, row in enumerate(rows, start=1):
            line = lines[i - 1] if i - 1 < len(lines) else None
            if not isinstance(row, dict):
                problems.append(Problem(category, i, line, "(row)", "(row)", "expected an object"))
                continue
            try:
                m = model.model_validate(row)
            except ValidationError as e:
                first = e.errors()[0]
                key = ".".join(str(p) for p in first.get("loc", ())) or "(row)"
                problems.append(Problem(category, i, line, key, parsed.headers.get(key, key), str(first.get("msg")),
                                        str(first.get("type", ""))))
                continue
            bad = _cross_check(category, m)
            if bad:
                problems.append(Problem(category, i, line, bad[0], parsed.headers.get(bad[0], bad[0]), bad[1]))
                continue
            checked.append(m)
        out[category] = checked
    return out, problems


def _cross_check(category: str, row: BaseModel) -> tuple[str, str] | None:
    if category == "subjects":
        if row.kind == "enterprise" and not uscc.is_valid(row.code):
            return "code", "an enterprise needs a 统一社会信用代码"
        if row.legal_rep_id_number and not is_valid_id_number(row.legal_rep_id_number):
            return "legal_rep_id_number", "fails its check digit"
    return None


def validate(doc: dict[str, list[dict]], where: str) -> dict[str, list[BaseModel]]:
    """All rows, or ImportError_ naming the first bad one (`hall credit import`: all or nothing)."""
    checked, problems = check(Parsed(doc))
    if problems:
        raise ImportError_(problems[0].text(where))
    return checked


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


@dataclass
class ImportResult:
    rows: int                        # rows in the file
    counts: dict[str, int]           # written per category (empty when nothing was written)
    problems: list[Problem]          # rejected rows, in file order

    @property
    def imported(self) -> int:
        return sum(self.counts.values())


def import_bytes(s: Session, raw: bytes, filename: str, kind: str | None, actor: str, client: str = "",
                 skip_bad_rows: bool = False) -> ImportResult:
    """The console's upload: parse and check every row; write all rows (or, with skip_bad_rows,
    the good ones) and audit; with a bad row and no skip_bad_rows nothing is written.
    Raises ImportError_ for a file that cannot be read at all (encoding, syntax, category)."""
    parsed = parse(raw, filename, kind)
    checked, problems = check(parsed)
    rows = sum(len(v) for v in parsed.doc.values())
    if problems and not skip_bad_rows:
        db.audit(s, actor, "credit_import_refused", target=filename[:128],
                 detail=f"{len(problems)} of {rows} rows rejected; nothing imported", client=client)
        s.commit()
        return ImportResult(rows, {}, problems)
    counts = store(s, checked)
    detail = ", ".join(f"{k}={v}" for k, v in counts.items())
    if problems:
        detail += f"; {len(problems)} rows rejected (" + ", ".join(
            f"{p.category} row {p.row}" for p in problems[:20]) + (", …" if len(problems) > 20 else "") + ")"
    db.audit(s, actor, "credit_import", target=filename[:128], detail=detail, client=client)
    s.commit()
    return ImportResult(rows, counts, problems)


def import_file(s: Session, path: Path, kind: str | None = None) -> dict[str, int]:
    checked = validate(read_file(path, kind), str(path))
    counts = store(s, checked)
    db.audit(s, "cli", "credit_import", target=path.name,
             detail=", ".join(f"{k}={v}" for k, v in counts.items()))
    s.commit()
    return counts
