"""Credit reports over HTTP: import (JSON, CSV, bad rows), who may have which report, the
report's sections and number, /verify, the 电子营业执照 QR, and the request log."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from hall import db as hall_db
from hall.credit_import import ImportError_
from kiosk.domain.credit import is_valid_report_no, report_from_json
from tests.integration.conftest import MANAGER, REPO, add_console_users, console_as

TIMEOUT = 10
SAMPLE = REPO / "hall" / "sample_data" / "credit_sample.json"
DOC = json.loads(SAMPLE.read_text("utf-8"))
PERSON = next(s for s in DOC["subjects"] if s["kind"] == "person")              # 王演示
FIRM = next(s for s in DOC["subjects"] if s["kind"] == "enterprise")             # 南京梅园示例餐饮, rep 王演示
OTHER_FIRM = [s for s in DOC["subjects"] if s["kind"] == "enterprise"][1]        # rep 李样例


@pytest.fixture
def credit_hall(hall):
    counts = hall.server.import_credit(SAMPLE)
    assert counts["subjects"] == 12 and counts["penalties"] == 4
    return hall


def ask(hall, subject_kind, code, requester, licence_qr=""):
    body = {"subject": {"kind": subject_kind, "code": code},
            "requester": {"name": requester["name"], "id_number": requester["code"]}}
    if licence_qr:
        body["licence_qr"] = licence_qr
    return requests.post(f"{hall.base_url}/api/v1/credit-reports", json=body, headers=hall.headers, timeout=TIMEOUT)


def test_enterprise_report_for_its_legal_representative(credit_hall):
    hall = credit_hall
    r = ask(hall, "enterprise", FIRM["code"], PERSON)
    assert r.status_code == 201, r.text
    report = report_from_json(r.json())                      # the kiosk's parser takes it
    assert is_valid_report_no(report.report_no) and len(report.verify_code) == 8
    assert report.subject.name == FIRM["name"] and report.subject.code == FIRM["code"]
    assert report.verify_url.endswith(f"/verify/{report.report_no}?code={report.verify_code}")
    titles = [s.title for s in report.sections]
    assert titles == ["基本信息", "行政许可", "行政处罚", "严重失信主体名单", "经营异常名录"]
    penalties = report.sections[2]
    assert penalties.total == 1 and penalties.rows[0].repaired and "已修复" in penalties.rows[0].cells[6]
    assert report.sections[3].note == "未查询到相关记录" and report.sections[3].total == 0
    assert ["法定代表人", "王*示"] in [row.cells for row in report.sections[0].rows]   # masked on the report

    # /verify: the number alone confirms existence; with the code, authenticity.
    v = requests.get(f"{hall.base_url}/verify/{report.report_no}", timeout=TIMEOUT).json()
    assert v["found"] and v["authentic"] is None and v["counts"] == {}
    v = requests.get(f"{hall.base_url}/verify/{report.report_no}", params={"code": report.verify_code.lower()},
                     timeout=TIMEOUT).json()
    assert v["authentic"] is True and v["counts"]["行政处罚"] == 1 and v["counts"]["已修复"] == 1
    v = requests.get(f"{hall.base_url}/verify/{report.report_no}", params={"code": "AAAAAAAA"}, timeout=TIMEOUT).json()
    assert v["authentic"] is False
    html = requests.get(f"{hall.base_url}/verify/{report.report_no}", params={"code": report.verify_code},
                        headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert "真实报告" in html.text and html.headers["x-frame-options"] == "DENY"
    for bad in ("XY0000", "x" * 40, report.report_no[:-1] + "?", "%00"):
        r = requests.get(f"{hall.base_url}/verify/{bad}", timeout=TIMEOUT)
        assert r.status_code in (200, 404, 422) and (r.status_code != 200 or not r.json()["found"])


def test_a_person_gets_only_their_own_report(credit_hall):
    hall = credit_hall
    r = ask(hall, "person", PERSON["code"], PERSON)
    assert r.status_code == 201
    sections = {s["title"]: s for s in r.json()["sections"]}
    assert set(sections) == {"行政许可", "行政处罚", "严重失信主体名单"} and r.json()["subject"]["kind"] == "person"
    someone_else = {"name": "李样例", "code": DOC["subjects"][1]["code"]}
    r = ask(hall, "person", PERSON["code"], someone_else)
    assert r.status_code == 403 and "本人" in r.json()["detail"]
    # A person with no records still gets a (clean) report.
    nobody = {"name": "张三", "code": "11010519491231002X"}
    r = ask(hall, "person", nobody["code"], nobody)
    assert r.status_code == 201 and all(s["note"] == "未查询到相关记录" for s in r.json()["sections"])


def test_enterprise_report_refused_to_others_unless_licence_qr(credit_hall):
    hall = credit_hall
    stranger = DOC["subjects"][1]                           # 李样例: not 梅园's representative
    r = ask(hall, "enterprise", FIRM["code"], stranger)
    assert r.status_code == 403 and "法定代表人" in r.json()["detail"]
    r = ask(hall, "enterprise", FIRM["code"], stranger, licence_qr=OTHER_FIRM["licence_token"])   # another firm's QR
    assert r.status_code == 403
    r = ask(hall, "enterprise", FIRM["code"], stranger, licence_qr=f"https://licence.example/q?t={FIRM['licence_token']}")
    assert r.status_code == 201 and r.json()["subject"]["code"] == FIRM["code"]
    assert ask(hall, "enterprise", "91320102MA0000000X", PERSON).status_code == 422          # bad check digit
    unknown = "91110000100000000" + __import__("stdnum.cn.uscc", fromlist=["x"]).calc_check_digit("91110000100000000")
    assert ask(hall, "enterprise", unknown, PERSON).status_code == 404


def test_business_licence_qr_resolves(credit_hall):
    hall = credit_hall
    url = f"{hall.base_url}/api/v1/identity/business-licence"
    r = requests.post(url, json={"payload": FIRM["licence_token"]}, headers=hall.headers, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"uscc": FIRM["code"], "name": FIRM["name"],
                                                 "legal_representative": FIRM["legal_rep_name"], "address": FIRM["address"]}
    for payload in ("EBL-FORGED", "https://x/y/", "a" * 2000):
        assert requests.post(url, json={"payload": payload}, headers=hall.headers, timeout=TIMEOUT).status_code == 404
    for body in ({}, {"payload": ""}, {"payload": 5}, {"payload": "a" * 2001}):
        assert requests.post(url, json=body, headers=hall.headers, timeout=TIMEOUT).status_code == 422


def test_every_request_is_logged_without_full_numbers(credit_hall):
    hall = credit_hall
    add_console_users(hall)
    ask(hall, "enterprise", FIRM["code"], PERSON)
    ask(hall, "person", PERSON["code"], DOC["subjects"][1])
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        rows = list(s.scalars(select(hall_db.CreditRequest).order_by(hall_db.CreditRequest.id)))
    d.dispose()
    assert [(r.outcome, r.authorised_by) for r in rows] == [("issued", "legal_rep"), ("denied", "")]
    assert rows[0].requester_masked == "3201**********1019" and rows[0].report_no
    assert rows[1].subject_masked == "3201**********1019"
    assert PERSON["code"] not in {r.requester_masked for r in rows} | {r.subject_masked for r in rows}
    assert len({r.requester_hash for r in rows}) == 2
    page = console_as(hall, MANAGER).get("/console/credit")
    assert "法定代表人" in page.text and "拒绝" in page.text and PERSON["code"] not in page.text


def test_reimport_updates_and_csv_with_chinese_headers(sqlite_hall, tmp_path):
    hall = sqlite_hall
    hall.server.import_credit(SAMPLE)
    csv_path = tmp_path / "penalties.csv"
    csv_path.write_text(
        "行政处罚决定书文号,行政相对人代码,处罚类别,违法行为类型,处罚依据,处罚内容,处罚决定日期,状态,处罚机关,已修复\n"
        f"玄城管罚〔2024〕0207号,{OTHER_FIRM['code'] if False else DOC['subjects'][-1]['code']},罚款,擅自设置户外广告设施,"
        "《江苏省城市市容和环境卫生管理条例》第六十一条,罚款,2024-06-11,已履行,南京市玄武区城市管理局,是\n", "utf-8-sig")
    assert hall.server.import_credit(csv_path) == {"subjects": 0, "penalties": 1}
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        rows = list(s.scalars(select(hall_db.CreditRecord).where(hall_db.CreditRecord.record_no == "玄城管罚〔2024〕0207号")))
    d.dispose()
    assert len(rows) == 1 and rows[0].data["repaired"] is True                  # updated in place, now repaired


@pytest.mark.parametrize("content, name, fragment", [
    ('{"penalties": [{"record_no": "1"}]}', "x.json", "penalties row 1"),
    ('{"subjects": [{"code": "91320102MA0079192X", "kind": "enterprise", "name": "坏"}]}', "x.json", "code"),
    ('{"licences": [{"record_no": "1", "subject_code": "11010519491231002X", "type": "普通", "content": "c", '
     '"authority": "a", "decided_on": "2024-02-30"}]}', "x.json", "decided_on"),
    ('{"aliens": []}', "x.json", "expected an object"),
    ("not json", "x.json", "not valid JSON"),
    ("record_no,subject_code\n1,2,3\n", "penalties.csv", "more cells"),
    ("a,b\n", "whatever.csv", "--kind"),
    ("x", "data.xlsx", ".json or .csv"),
])
def test_bad_files_are_refused_whole_naming_the_row(sqlite_hall, tmp_path, content, name, fragment):
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(ImportError_) as e:
        sqlite_hall.server.import_credit(path)
    assert fragment in str(e.value) and name in str(e.value)


def test_gbk_file_is_refused_with_a_hint(sqlite_hall, tmp_path):
    path = tmp_path / "penalties.csv"
    path.write_bytes("行政处罚决定书文号\n".encode("gbk"))
    with pytest.raises(ImportError_, match="UTF-8"):
        sqlite_hall.server.import_credit(path)


def test_cli_import(sqlite_hall, tmp_path):
    config = tmp_path / "hall.toml"
    config.write_text(f'host = "127.0.0.1"\nport = 8700\ndatabase_url = "{sqlite_hall.server.database_url}"\n'
                      f'catalog_dir = "{REPO / "config" / "catalog"}"\nhall_name = "测试"\n', "utf-8")
    r = subprocess.run([sys.executable, "-m", "hall.cli", "credit", "import", str(SAMPLE), "--config", str(config)],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "subjects 12" in r.stdout and "penalties 4" in r.stdout
    bad = tmp_path / "licences.csv"
    bad.write_text("record_no\n1\n", "utf-8")
    r = subprocess.run([sys.executable, "-m", "hall.cli", "credit", "import", str(bad), "--config", str(config)],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 1 and "nothing was imported" in r.stderr and "licences row 1" in r.stderr
    assert Path(bad).exists()
