"""`hall catalog check [DIR]`: lint the 区域通办 catalogue before the hall serves it.

One matter per ``*.toml`` file in DIR (default ``config/catalog``). Every file is parsed with
``Matter.from_dict`` (the one parser the hall and the kiosks share), and on top of that this
module checks what the parser cannot see or stops at after its first error:

* encoding: the file must be UTF-8 without a BOM (a BOM is reported, then the rest is checked);
  TOML syntax errors are reported with their line and column;
* every 办事指南 element present (all of them, not only the first missing one), and non-blank;
  常见问题 (``faq``) is required here although the parser treats it as optional: the issue asks
  for it on every shipped matter;
* 收费标准 (``fee``) and its 依据 (``fee_basis``) never blank: write "不收费" and the basis;
* 事项类型 one of the known kinds; 承诺时限 not longer than 法定时限;
* materials: unique ids, a known 材料形式, copies >= 1, every material referenced by a step;
  steps reference only known material ids; ``window_allowed`` (允许窗口补交) is true/false and
  not set on a material that is exempt by data sharing (免提交: nothing to hand in);
* form: unique field names, known types and pre-fill sources, valid regular expressions
  (Python ``re``, as the kiosk's form validation uses), max_length >= 0, choices only (and
  always) on a choice field;
* a pre-fill from ``licence.*`` on a matter whose 受理范围 has no 法人 is an **error**, not a
  warning: the kiosk only reads a business licence when the applicant identifies as an
  enterprise, so on a 个人-only matter such a field would always be empty and the applicant
  would have to type what the guide promised to fill in. Add 法人 to ``audience`` or drop the
  pre-fill;
* codes unique across all files;
* wrongly typed values (a string where a number or true/false belongs) are reported, never raised.

There are no warnings: every problem is an error, because the hall serves the catalogue as it
is and a kiosk shows it to citizens. ``fee_basis`` and ``faq`` are stricter here than in
``Matter.from_dict`` (which accepts them empty/absent): the parser stays lenient for what a
kiosk receives, the shipped catalogue must be complete.

Each problem names the file (and the line when it can be found), the key, what is wrong and the
fix: ``file:line: key: message — fix``. ``--json`` prints the same as a JSON array. Exit status
0 when clean, 1 otherwise. Run as ``hall catalog check [DIR]`` or ``python -m hall.catalog_check [DIR]``.
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.catalogue import (
    AUDIENCES, FIELD_TYPES, PREFILL_SOURCES, CatalogError, Matter,
)

DEFAULT_DIR = Path("config/catalog")

# 事项类型 as the national 政务服务事项 catalogue names them (行政权力 ten kinds + 公共服务).
MATTER_TYPES = frozenset({
    "行政许可", "行政处罚", "行政强制", "行政征收", "行政给付", "行政检查", "行政确认",
    "行政奖励", "行政裁决", "其他行政权力", "公共服务",
})
MATERIAL_FORMS = frozenset({"原件", "复印件", "原件和复印件", "电子材料"})

# Every element of a 办事指南 is a field of Matter; faq is required by this check (see above).
REQUIRED_KEYS = tuple(f.name for f in dataclasses.fields(Matter))
_STR_KEYS = tuple(f.name for f in dataclasses.fields(Matter) if f.type == "str")
_UTF8_BOM = b"\xef\xbb\xbf"
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str
    fix: str
    line: int = 0          # 1-based line in the file; 0 when unknown (e.g. a missing key)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message} — {self.fix}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def check_dir(path: str | Path = DEFAULT_DIR) -> list[Problem]:
    """All problems of every ``*.toml`` matter in ``path``, in file order."""
    root = Path(path)
    if not root.is_dir():
        return [Problem(str(root), "(dir)", "not a directory",
                        "pass the catalogue directory, e.g. config/catalog")]
    files = sorted(root.glob("*.toml"))
    if not files:
        return [Problem(str(root), "(dir)", "no *.toml matter files found",
                        "put one matter per .toml file in this directory")]
    problems: list[Problem] = []
    codes: dict[str, str] = {}           # code -> first file that uses it
    for f in files:
        data, text, file_problems = _load(f)
        problems += file_problems
        if data is None:
            continue
        problems += check_matter(data, str(f), text)
        code = data.get("code")
        if isinstance(code, str) and code.strip():
            if code in codes:
                problems.append(Problem(str(f), "code", f"duplicate code {code!r}, also used by {codes[code]}",
                                        "give every matter its own code", line=_Locator(text, data).find("code")))
            else:
                codes[code] = str(f)
    return problems


def _load(f: Path) -> tuple[dict | None, str, list[Problem]]:
    """Bytes -> TOML table. Encoding and syntax problems are reported with a line number."""
    name = str(f)
    try:
        raw = f.read_bytes()
    except OSError as e:
        return None, "", [Problem(name, "(file)", f"cannot be read: {e.strerror or e}", "check the file's permissions")]
    problems = []
    if raw.startswith(_UTF8_BOM):
        problems.append(Problem(name, "(encoding)", "file starts with a UTF-8 byte order mark (BOM)",
                                "save as UTF-8 without BOM", line=1))
        raw = raw[len(_UTF8_BOM):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        guess = ""
        try:
            raw.decode("gb18030")
            guess = " (it looks like GBK/GB18030)"
        except UnicodeDecodeError:
            pass
        problems.append(Problem(name, "(encoding)",
                                f"not valid UTF-8{guess}: byte 0x{raw[e.start]:02x} at offset {e.start}",
                                "re-save the file as UTF-8 (without BOM)", line=line))
        return None, "", problems
    try:
        return tomllib.loads(text), text, problems
    except tomllib.TOMLDecodeError as e:
        m = _TOML_POS.search(str(e))
        line = int(m.group(1)) if m else 0
        where = f"line {m.group(1)}, column {m.group(2)}" if m else "unknown position"
        msg = _TOML_POS.sub("", str(e)).strip()
        problems.append(Problem(name, "(syntax)", f"TOML syntax error at {where}: {msg}",
                                "fix the TOML syntax on that line (quotes, brackets, '=' and commas)",
                                line=line))
        return None, text, problems


def check_matter(d: dict, file: str = "matter", text: str = "") -> list[Problem]:
    """Problems of one matter's parsed table: the parser's verdict plus the semantic checks.
    Tolerant of wrong types: a wrongly typed key is reported once, by whichever check sees it.
    ``text`` (the file's source) only serves to give each problem a line number."""
    if not isinstance(d, dict):
        return [Problem(file, "(top)", "expected a table of matter keys", "write one matter per file")]
    out: list[Problem] = []
    where = _Locator(text, d)

    def add(key: str, message: str, fix: str, at: tuple[str, int] | None = None) -> None:
        out.append(Problem(file, key, message, fix, line=where.find(key, at)))

    for key in REQUIRED_KEYS:
        if key not in d:
            add(key, "missing; every 办事指南 element is required", _MISSING_FIX.get(key, f"add {key} = ..."))
    for key in sorted(set(d) - set(REQUIRED_KEYS)):
        near = difflib.get_close_matches(key, REQUIRED_KEYS, n=1)
        add(key, "unknown key", f"did you mean {near[0]!r}?" if near else f"remove it; allowed keys: {', '.join(REQUIRED_KEYS)}")
    for key in _STR_KEYS:
        v = d.get(key)
        if not (isinstance(v, str) and not v.strip()):
            continue
        if key == "fee":
            add(key, "blank fee statement", 'write the 收费标准, or "不收费"')
        elif key == "fee_basis":
            add(key, "blank basis of the fee statement", "name the law/document that sets the fee, or why it is free")
        else:
            add(key, "blank", _MISSING_FIX[key].replace("add ", "write ", 1))

    mtype = d.get("type")
    if isinstance(mtype, str) and mtype.strip() and mtype not in MATTER_TYPES:
        add("type", f"unknown 事项类型 {mtype!r}", f"use one of {sorted(MATTER_TYPES)}")

    pd, ld = d.get("promised_days"), d.get("legal_days")
    if _is_int(pd) and _is_int(ld) and pd > ld:
        add("promised_days", f"承诺时限 {pd} is longer than 法定时限 {ld}",
            "promise at most the legal time limit (working days; 0 = 即办)")

    _check_materials_and_steps(d, add)
    _check_form(d, add)

    # The parser has the last word; it stops at its first error, which the checks above have
    # usually reported already (same key) with a more specific fix.
    try:
        Matter.from_dict(d, where=file)
    except CatalogError as e:
        if not any(p.key == e.key or p.key in e.key.split(", ") for p in out):
            add(e.key, e.message, _fix_for(e))
    except (TypeError, ValueError, AttributeError) as e:   # wrongly typed nested values
        add("(structure)", f"cannot be read as a matter: {e}", "check the value types against the other matters")
    return out


def _check_materials_and_steps(d: dict, add) -> None:
    mats = d.get("materials")
    ids: list[str] = []
    first_index: dict[str, int] = {}
    if isinstance(mats, list):
        seen: set[str] = set()
        for i, m in enumerate(mats):
            if not isinstance(m, dict):
                continue
            mid = m.get("id")
            if not isinstance(mid, str) or not mid.strip():
                continue          # the parser reports the missing id
            if mid in seen:
                add(f"materials.{mid}", f"duplicate material id {mid!r} (materials[{i}])",
                    "give every material of the matter its own id", at=("materials", i))
            seen.add(mid)
            ids.append(mid)
            first_index.setdefault(mid, i)
            at = ("materials", i)
            form = m.get("form")
            if isinstance(form, str) and form not in MATERIAL_FORMS:
                add(f"materials.{mid}.form", f"unknown 材料形式 {form!r}", f"use one of {sorted(MATERIAL_FORMS)}", at)
            copies = m.get("copies", 1)
            if not _is_int(copies) or copies < 1:
                add(f"materials.{mid}.copies", f"copies must be an integer >= 1, got {copies!r}",
                    "write the number of copies (份数)", at)
            for flag in ("required", "exempt_by_sharing", "window_allowed"):
                if flag in m and not isinstance(m[flag], bool):
                    add(f"materials.{mid}.{flag}", f"expected true or false, got {m[flag]!r}",
                        f"write {flag} = true/false", at)
            if m.get("window_allowed") is True and m.get("exempt_by_sharing") is True:
                add(f"materials.{mid}.window_allowed", "a material exempt by data sharing (免提交) has nothing "
                    "to hand in at the window", "drop window_allowed or exempt_by_sharing", at)
            for s in ("name", "source", "blank_form", "sample"):
                if s in m and not isinstance(m[s], str):
                    add(f"materials.{mid}.{s}", "expected a string", f"quote the {s}", at)

    steps = d.get("steps")
    referenced: set[str] = set()
    if isinstance(steps, list):
        known = set(ids)
        for i, s in enumerate(steps):
            if not isinstance(s, dict):
                continue
            refs = s.get("materials", [])
            if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
                add(f"steps[{i}].materials", "expected a list of material ids", 'write materials = ["id", ...]',
                    ("steps", i))
                continue
            for r in refs:
                referenced.add(r)
                if isinstance(mats, list) and r not in known:
                    add(f"steps[{i}].materials", f"unknown material id {r!r}",
                        f"use one of {sorted(known)} or add the material", ("steps", i))
    if isinstance(mats, list) and isinstance(steps, list):
        for mid in dict.fromkeys(ids):
            if mid not in referenced:
                add(f"materials.{mid}", f"material {mid!r} is referenced by no step",
                    "list it in the materials of the step that receives or checks it (usually 受理)",
                    ("materials", first_index[mid]))


def _check_form(d: dict, add) -> None:
    form = d.get("form")
    if not isinstance(form, list):
        return
    audience = d.get("audience")
    # Judge licence pre-fills only against a well-formed audience (a bad one is reported as such).
    audience_ok = isinstance(audience, list) and bool(audience) and all(a in AUDIENCES for a in audience)
    has_legal_person = audience_ok and "法人" in audience
    seen: set[str] = set()
    for i, f in enumerate(form):
        if not isinstance(f, dict):
            continue
        name = f.get("name")
        if not isinstance(name, str) or not name.strip():
            continue              # the parser reports it
        k, at = f"form.{name}", ("form", i)
        if name in seen:
            add(k, f"duplicate form field name {name!r} (form[{i}])", "give every field of the form its own name", at)
        seen.add(name)
        ftype = f.get("type")
        if isinstance(ftype, str) and ftype not in FIELD_TYPES:
            add(f"{k}.type", f"unknown field type {ftype!r}", f"use one of {sorted(FIELD_TYPES)}", at)
        prefill = f.get("prefill", "")
        if isinstance(prefill, str):
            if prefill not in PREFILL_SOURCES:
                add(f"{k}.prefill", f"unknown pre-fill source {prefill!r}",
                    f"use one of {sorted(s for s in PREFILL_SOURCES if s)} or \"\"", at)
            elif prefill.startswith("licence.") and audience_ok and not has_legal_person:
                add(f"{k}.prefill", f"pre-fill from {prefill!r} but the 受理范围 {audience!r} has no 法人",
                    'add "法人" to audience, or pre-fill from idcard.* / nothing', at)
        elif "prefill" in f:
            add(f"{k}.prefill", "expected a string", "quote the pre-fill source", at)
        pattern = f.get("pattern", "")
        if not isinstance(pattern, str):
            add(f"{k}.pattern", "expected a string", "quote the regular expression", at)
        elif pattern:
            try:
                re.compile(pattern)
            except re.error as e:
                add(f"{k}.pattern", f"invalid regular expression: {e}",
                    "fix the pattern (TOML literal strings '...' keep backslashes as written)", at)
        ml = f.get("max_length", 0)
        if not _is_int(ml) or ml < 0:
            add(f"{k}.max_length", f"expected an integer >= 0, got {ml!r}", "write the maximum length (0 = no limit)", at)
        if "required" in f and not isinstance(f["required"], bool):
            add(f"{k}.required", f"expected true or false, got {f['required']!r}", "write required = true/false", at)
        choices = f.get("choices", [])
        if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
            add(f"{k}.choices", "expected a list of non-empty strings", 'write choices = ["...", "..."]', at)
        elif len(set(choices)) != len(choices):
            add(f"{k}.choices", "duplicate choices", "list each choice once", at)
        elif ftype == "choice" and not choices:
            add(f"{k}.choices", "a choice field needs a non-empty choices list", 'add choices = ["...", "..."]', at)
        elif choices and ftype != "choice":
            add(f"{k}.choices", f"choices given on a {ftype!r} field, which ignores them",
                'use type = "choice" or remove the choices', at)


class _Locator:
    """Line numbers for problem keys, from the file's text (best effort; 0 = unknown)."""

    _TOP_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")
    _HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\]\]")
    _INDEXED = re.compile(r"^(\w+)\[(\d+)\]")
    _NAMED = re.compile(r"^(materials|form)\.([^.]+)")

    def __init__(self, text: str, d: dict):
        self.d = d
        self.top: dict[str, int] = {}
        self.headers: dict[str, list[int]] = {}
        in_table = False
        for n, line in enumerate(text.splitlines(), start=1):
            h = self._HEADER.match(line)
            if h or line.lstrip().startswith("["):
                in_table = True
                if h:
                    self.headers.setdefault(h.group(1), []).append(n)
                continue
            m = self._TOP_KEY.match(line)
            if m and not in_table:
                self.top.setdefault(m.group(1), n)

    def find(self, key: str, at: tuple[str, int] | None = None) -> int:
        if at is None:
            if m := self._INDEXED.match(key):
                at = (m.group(1), int(m.group(2)))
            elif m := self._NAMED.match(key):
                table, ident = m.groups()
                field = "id" if table == "materials" else "name"
                rows = self.d.get(table)
                if isinstance(rows, list):
                    for i, row in enumerate(rows):
                        if isinstance(row, dict) and row.get(field) == ident:
                            at = (table, i)
                            break
        if at is not None:
            lines = self.headers.get(at[0], [])
            return lines[at[1]] if 0 <= at[1] < len(lines) else 0
        return self.top.get(key.split(", ")[0], 0)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_MISSING_FIX = {
    "code": "add code = \"...\" (事项编码, unique across the catalogue)",
    "version": "add version = 1",
    "type": f"add type = one of {sorted(MATTER_TYPES)}",
    "audience": f"add audience = a list of {sorted(AUDIENCES)}",
    "department": "add department = \"...\" (实施机构)",
    "basis": "add [[basis]] law = \"...\" article = \"第…条\" (设定依据)",
    "conditions": "add conditions = [\"...\"] (申请条件)",
    "materials": "add [[materials]] tables (申请材料)",
    "steps": "add [[steps]] tables (办理流程)",
    "promised_days": "add promised_days = N (承诺时限, working days; 0 = 即办)",
    "legal_days": "add legal_days = N (法定时限, working days; 0 = 即办)",
    "fee": "add fee = \"不收费\" or the 收费标准",
    "fee_basis": "add fee_basis = \"...\" (收费依据, or why it is free)",
    "location": "add location = \"...\" (办理地点)",
    "hours": "add hours = \"...\" (办理时间)",
    "visits": "add visits = N (到现场次数)",
    "consult_phone": "add consult_phone = \"...\" (咨询电话)",
    "complaint_phone": "add complaint_phone = \"...\" (监督投诉电话)",
    "form": "add [[form]] tables (the application form schema)",
    "faq": "add [[faq]] q = \"...\" a = \"...\" (常见问题)",
}


def _fix_for(e: CatalogError) -> str:
    if "unknown key" in e.message:
        return "remove or correct the key; allowed keys are those of the other matters"
    if e.message.startswith("missing"):
        return "add the missing key(s)"
    if e.key == "audience":
        return f"audience = a non-empty list of {sorted(AUDIENCES)}"
    if "integer" in e.message:
        return "write a whole number without quotes"
    if "string" in e.message:
        return "write a non-empty quoted string (list)"
    return "correct the value"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hall catalog check",
                                 description="Check the 区域通办 catalogue (one matter per TOML file).")
    ap.add_argument("dir", nargs="?", default=str(DEFAULT_DIR), help="catalogue directory (default: %(default)s)")
    ap.add_argument("--json", action="store_true", help="print the problems as a JSON array")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    problems = check_dir(args.dir)
    if args.json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        for p in problems:
            print(p)
        if not problems:
            n = len(list(Path(args.dir).glob("*.toml")))
            print(f"{args.dir}: {n} matter(s), no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
