"""`hall catalog check`: the shipped catalogue is clean, and every deliberately broken fixture in
tests/fixtures/catalog_broken/<case>/ (a minimal matter with one defect) is reported with the
right file, key and line."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hall.catalog_check import Problem, check_dir, check_matter, main
from kiosk.domain.catalogue import Matter

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "config" / "catalog"
BROKEN = REPO / "tests" / "fixtures" / "catalog_broken"

# A minimal clean matter (the fixtures are this text with one defect each).
MINIMAL = '''code = "TEST-001"
name = "测试事项"
version = 1
type = "公共服务"
audience = ["个人", "法人"]
department = "测试部门"
conditions = ["测试条件"]
promised_days = 1
legal_days = 5
fee = "不收费"
fee_basis = "未列入收费目录清单"
location = "测试地点"
hours = "周一至周五"
visits = 0
consult_phone = "025-0000-0001（示例）"
complaint_phone = "025-0000-0009（示例）"

[[basis]]
law = "《测试条例》"
article = "第一条"

[[materials]]
id = "sqb"
name = "申请表"
form = "原件"

[[steps]]
name = "申请"
description = "提交申请"
materials = ["sqb"]

[[form]]
name = "applicant_name"
label = "姓名"
type = "text"
prefill = "idcard.name"

[[faq]]
q = "问题"
a = "回答"
'''

# case -> the exact set of (file name, key, line) the checker must report (line 0 = none known).
CASES = {
    "missing_element": {("matter.toml", "hours", 0)},
    "missing_faq": {("matter.toml", "faq", 0)},
    "blank_fee": {("matter.toml", "fee", 11)},
    "blank_fee_basis": {("matter.toml", "fee_basis", 12)},
    "duplicate_code": {("b.toml", "code", 2)},
    "unknown_field_type": {("matter.toml", "form.phone.type", 49)},
    "unknown_prefill": {("matter.toml", "form.applicant_name.prefill", 43)},
    "licence_prefill_individual": {("matter.toml", "form.unit_name.prefill", 54)},
    "unreferenced_material": {("matter.toml", "materials.extra", 34)},
    "unknown_material_ref": {("matter.toml", "steps[1].materials", 39)},
    "duplicate_material_id": {("matter.toml", "materials.sqb", 34)},
    "duplicate_field_name": {("matter.toml", "form.phone", 54)},
    "promised_gt_legal": {("matter.toml", "promised_days", 9)},
    "bad_pattern": {("matter.toml", "form.phone.pattern", 49)},
    "unknown_matter_type": {("matter.toml", "type", 5)},
    "misspelled_key": {("matter.toml", "hours", 0), ("matter.toml", "hour", 14)},
    "bad_audience": {("matter.toml", "audience", 6)},
    "bad_material_form": {("matter.toml", "materials.sqb.form", 23)},
    "unknown_material_key": {("matter.toml", "materials[0]", 23)},
    "choice_without_choices": {("matter.toml", "form.phone.choices", 49)},
    "toml_syntax": {("matter.toml", "(syntax)", 13)},
    "not_utf8": {("matter.toml", "(encoding)", 3)},
    "bom": {("matter.toml", "(encoding)", 1)},
}


def _found(problems: list[Problem]) -> set[tuple[str, str, int]]:
    return {(Path(p.file).name, p.key, p.line) for p in problems}


def test_every_fixture_directory_has_a_case():
    assert sorted(p.name for p in BROKEN.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_fixture_reports_exactly_its_defect(case):
    problems = check_dir(BROKEN / case)
    assert _found(problems) == CASES[case], [str(p) for p in problems]
    for p in problems:
        assert Path(p.file).parent == BROKEN / case
        assert p.message.strip() and p.fix.strip()


def test_syntax_error_names_line_and_column():
    [p] = check_dir(BROKEN / "toml_syntax")
    assert "line 13, column" in p.message


def test_gbk_file_is_recognised():
    [p] = check_dir(BROKEN / "not_utf8")
    assert "GB18030" in p.message and "UTF-8" in p.fix


def test_licence_prefill_on_individual_matter_is_an_error_with_the_fix():
    [p] = check_dir(BROKEN / "licence_prefill_individual")
    assert "法人" in p.message and "audience" in p.fix


def test_duplicate_code_names_the_other_file():
    [p] = check_dir(BROKEN / "duplicate_code")
    assert "a.toml" in p.message


# --- the shipped catalogue -------------------------------------------------------------------

def _shipped() -> list[Matter]:
    return [Matter.from_dict(tomllib.loads(f.read_text("utf-8")), str(f)) for f in sorted(CATALOG.glob("*.toml"))]


def test_shipped_catalog_is_clean():
    problems = check_dir(CATALOG)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_shipped_catalog_has_the_required_matters():
    matters = _shipped()
    names = {m.name for m in matters}
    assert len(matters) >= 28
    assert "户外广告设施设置审批" in names
    assert "公共场所卫生许可证注销" in names
    assert len({m.code for m in matters}) == len(matters)
    assert all(m.version == 1 for m in matters)


def test_shipped_phone_numbers_are_marked_as_examples():
    for m in _shipped():
        assert "示例" in m.consult_phone and "示例" in m.complaint_phone, m.name


def test_shipped_forms_prefill_identity_and_licence():
    for m in _shipped():
        prefills = {f.prefill for f in m.form}
        assert {"idcard.name", "idcard.id_number"} <= prefills, m.name
        assert any(f.type == "phone" for f in m.form), m.name
        if "法人" in m.audience:
            assert any(p.startswith("licence.") for p in prefills), m.name


# --- robustness and the command line ---------------------------------------------------------

def test_minimal_matter_is_clean(tmp_path):
    (tmp_path / "m.toml").write_text(MINIMAL, encoding="utf-8")
    assert check_dir(tmp_path) == []


def test_wrongly_typed_values_are_reported_not_raised():
    d = tomllib.loads(MINIMAL)
    d["materials"][0]["copies"] = "2"
    d["steps"][0]["materials"] = "sqb"
    d["form"][0]["max_length"] = -1
    d["form"][0]["required"] = "yes"
    keys = {p.key for p in check_matter(d, "m.toml")}
    assert {"materials.sqb.copies", "steps[0].materials", "form.applicant_name.max_length",
            "form.applicant_name.required"} <= keys
    assert check_matter({"materials": 5, "steps": "x", "form": [1, 2]}, "m.toml")   # no exception


def test_empty_and_missing_directories(tmp_path):
    [p] = check_dir(tmp_path)
    assert p.key == "(dir)"
    [p] = check_dir(tmp_path / "nope")
    assert p.key == "(dir)"


def test_main_prints_file_key_message_fix_and_returns_1(capsys):
    assert main([str(BROKEN / "blank_fee")]) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith(str(BROKEN / "blank_fee" / "matter.toml") + ":11: fee: ")
    assert " — " in out


def test_main_returns_0_when_clean(tmp_path, capsys):
    (tmp_path / "m.toml").write_text(MINIMAL, encoding="utf-8")
    assert main([str(tmp_path)]) == 0
    assert "no problems" in capsys.readouterr().out


def test_main_json(capsys):
    assert main([str(BROKEN / "duplicate_code"), "--json"]) == 1
    [p] = json.loads(capsys.readouterr().out)
    assert (Path(p["file"]).name, p["key"], p["line"]) == ("b.toml", "code", 2)
    assert set(p) == {"file", "key", "message", "fix", "line"}


def test_python_dash_m_defaults_to_config_catalog():
    r = subprocess.run([sys.executable, "-m", "hall.catalog_check"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "hall.catalog_check", str(BROKEN / "bom")], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "(encoding)" in r.stdout
