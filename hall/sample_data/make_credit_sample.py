"""Writes credit_sample.json: fictitious enterprises and persons for the demo and the tests.

Every code carries valid check digits (统一社会信用代码 GB 32100 with a valid GB 11714
organisation code inside; ID numbers GB 11643), but the people and companies are invented:
names are plainly made up, and birth-date/sequence blocks are chosen, not taken from anyone.
Deterministic: running it again writes the same file. `hall credit import` loads the output.

    .venv/bin/python hall/sample_data/make_credit_sample.py
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from stdnum.cn import uscc

from kiosk.domain.identity import ric_check_symbol

OUT = Path(__file__).resolve().parent / "credit_sample.json"
REGION = "320102"                   # 南京市玄武区
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code(body8: str) -> str:
    """GB 11714 organisation code: 8 characters + check character."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS))
    check = 11 - total % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(n: int) -> str:
    body = "91" + REGION + org_code(f"MA{n:06d}")[:9]
    return body + uscc.calc_check_digit(body)


def make_id(birth: str, seq: int) -> str:
    first17 = f"{REGION}{birth}{seq:03d}"
    return first17 + ric_check_symbol(first17)


def token(code: str) -> str:
    return "EBL-" + hashlib.sha256(("demo-licence:" + code).encode()).hexdigest()[:24].upper()


PERSONS = [  # (name, birth, seq): fictitious
    ("王演示", "19800101", 101), ("李样例", "19850315", 202), ("赵测试", "19720720", 303),
    ("陈示范", "19900909", 404), ("周模拟", "19681111", 505), ("吴虚构", "19951203", 606),
]
ENTERPRISES = [  # (name, legal representative = PERSONS index, address, registered)
    ("南京梅园示例餐饮有限公司", 0, "南京市玄武区长江路1号（示例地址）", "2016-04-12"),
    ("南京玄武演示文化传媒有限公司", 1, "南京市玄武区中山路2号（示例地址）", "2018-09-03"),
    ("南京样例便利店有限公司", 2, "南京市玄武区珠江路3号（示例地址）", "2012-06-28"),
    ("南京虚构美容美发有限公司", 3, "南京市玄武区太平北路4号（示例地址）", "2020-01-15"),
    ("南京模拟建筑装饰工程有限公司", 4, "南京市玄武区北京东路5号（示例地址）", "2009-11-30"),
    ("南京示范广告标识有限公司", 5, "南京市玄武区龙蟠路6号（示例地址）", "2015-03-21"),
]


def build() -> dict:
    persons = [(name, make_id(birth, seq)) for name, birth, seq in PERSONS]
    subjects = [{"code": pid, "kind": "person", "name": name} for name, pid in persons]
    codes = []
    for i, (name, rep, address, registered) in enumerate(ENTERPRISES, start=1):
        code = make_uscc(i * 7919)
        codes.append(code)
        subjects.append({"code": code, "kind": "enterprise", "name": name, "legal_rep_name": persons[rep][0],
                         "legal_rep_id_number": persons[rep][1], "address": address, "registered_on": registered,
                         "licence_token": token(code)})
    auth_mkt, auth_health, auth_city = "南京市玄武区市场监督管理局", "南京市玄武区卫生健康委员会", "南京市玄武区城市管理局"
    licences = [
        {"record_no": "JY13201020012345", "subject_code": codes[0], "type": "普通", "content": "食品经营许可（热食类食品制售）",
         "authority": auth_mkt, "decided_on": "2021-05-10", "valid_from": "2021-05-10", "valid_to": "2026-05-09"},
        {"record_no": "玄卫公字〔2022〕第0312号", "subject_code": codes[3], "type": "普通", "content": "公共场所卫生许可（美容美发）",
         "authority": auth_health, "decided_on": "2022-03-01", "valid_from": "2022-03-01", "valid_to": "2026-02-28"},
        {"record_no": "玄城管广审〔2023〕45号", "subject_code": codes[5], "type": "普通", "content": "户外广告设施设置审批（墙面附着式）",
         "authority": auth_city, "decided_on": "2023-07-18", "valid_from": "2023-07-18", "valid_to": "2025-07-17"},
        {"record_no": "玄城管广审〔2024〕12号", "subject_code": codes[1], "type": "普通", "content": "户外广告设施设置审批（店招）",
         "authority": auth_city, "decided_on": "2024-02-02", "valid_from": "2024-02-02", "valid_to": ""},
        {"record_no": "JY13201020054321", "subject_code": persons[2][1], "type": "普通", "content": "食品经营许可（个体工商户，预包装食品销售）",
         "authority": auth_mkt, "decided_on": "2020-08-08", "valid_from": "2020-08-08", "valid_to": "2025-08-07"},
    ]
    penalties = [
        {"record_no": "玄市监罚〔2023〕118号", "subject_code": codes[0], "type": "罚款", "reason": "未按规定公示食品经营许可证",
         "basis": "《中华人民共和国食品安全法》第一百二十六条", "content": "警告，罚款人民币贰仟元", "decided_on": "2023-04-20",
         "status": "已履行", "authority": auth_mkt, "repaired": True},
        {"record_no": "玄城管罚〔2024〕0207号", "subject_code": codes[5], "type": "罚款", "reason": "擅自设置户外广告设施",
         "basis": "《江苏省城市市容和环境卫生管理条例》第六十一条", "content": "责令限期拆除，罚款人民币伍仟元", "decided_on": "2024-06-11",
         "status": "已履行", "authority": auth_city, "repaired": False},
        {"record_no": "玄卫罚〔2024〕33号", "subject_code": codes[3], "type": "警告", "reason": "从业人员未取得有效健康合格证明",
         "basis": "《公共场所卫生管理条例实施细则》第三十八条", "content": "警告", "decided_on": "2024-09-02",
         "status": "已履行", "authority": auth_health, "repaired": False},
        {"record_no": "玄市监罚〔2022〕77号", "subject_code": persons[2][1], "type": "罚款", "reason": "销售超过保质期的食品",
         "basis": "《中华人民共和国食品安全法》第一百二十四条", "content": "没收违法所得，罚款人民币伍仟元", "decided_on": "2022-11-15",
         "status": "已履行", "authority": auth_mkt, "repaired": True},
    ]
    dishonest = [
        {"record_no": "SX-320102-2024-0009", "subject_code": codes[4], "list_name": "拖欠农民工工资失信联合惩戒对象名单",
         "reason": "拖欠农民工工资，经责令限期支付仍未支付（示例）", "authority": "南京市玄武区人力资源和社会保障局",
         "decided_on": "2024-03-28", "removed_on": ""},
    ]
    abnormal = [
        {"record_no": "YC-320102-2023-0456", "subject_code": codes[2], "reason": "未按照规定期限公示年度报告",
         "authority": auth_mkt, "decided_on": "2023-07-01", "removed_on": "2023-10-12", "removal_reason": "补报年度报告并公示"},
        {"record_no": "YC-320102-2024-0789", "subject_code": codes[4], "reason": "通过登记的住所无法联系",
         "authority": auth_mkt, "decided_on": "2024-05-20", "removed_on": "", "removal_reason": ""},
    ]
    return {"subjects": subjects, "licences": licences, "penalties": penalties, "dishonest": dishonest,
            "abnormal": abnormal}


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {OUT}")
