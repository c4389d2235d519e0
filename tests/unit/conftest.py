import datetime as dt

import pytest

from kiosk.domain.catalogue import Matter
from kiosk.domain.identity import IdentityCard, ric_check_symbol
from kiosk.domain.signature import Signature

MATTER = {
    "code": "TEST-001", "name": "户外广告设施设置审批", "version": 2, "type": "行政许可",
    "audience": ["个人", "法人"], "department": "城市管理局",
    "basis": [{"law": "《城市市容和环境卫生管理条例》", "article": "第十一条"}],
    "conditions": ["设置地点符合规划"],
    "materials": [{"id": "m1", "name": "申请表", "form": "原件", "window_allowed": True}],
    "steps": [{"name": "受理", "description": "窗口受理", "materials": ["m1"]}],
    "promised_days": 5, "legal_days": 20, "fee": "不收费", "fee_basis": "",
    "location": "一楼大厅", "hours": "工作日 9:00-17:00", "visits": 0,
    "consult_phone": "025-0000-0001（示例）", "complaint_phone": "025-0000-0002（示例）",
    "form": [
        {"name": "applicant_name", "label": "申请人", "type": "text", "prefill": "idcard.name"},
        {"name": "id_number", "label": "身份证号码", "type": "id_number", "prefill": "idcard.id_number"},
        {"name": "phone", "label": "联系电话", "type": "phone"},
        {"name": "site", "label": "设置地点", "type": "address"},
        {"name": "period", "label": "设置期限", "type": "choice", "choices": ["一年以内", "一至三年"]},
        {"name": "note", "label": "备注", "type": "text", "required": False},
    ],
}


def make_card(name="张三", first17="32010219900307123") -> IdentityCard:
    return IdentityCard(name, "男", "汉", dt.date(1990, 3, 7), "江苏省南京市玄武区中山路1号",
                        first17 + ric_check_symbol(first17), "南京市公安局玄武分局",
                        dt.date(2020, 1, 1), dt.date(2040, 1, 1))


@pytest.fixture
def matter() -> Matter:
    return Matter.from_dict(MATTER)


@pytest.fixture
def card() -> IdentityCard:
    return make_card()


# A plausible handwritten name for the 申请人承诺 (kiosk/domain/signature.py): 三 and a zigzag.
SIGNED = Signature((((0.14, 0.36), (0.34, 0.34)), ((0.12, 0.56), (0.36, 0.55)), ((0.09, 0.78), (0.40, 0.76)),
                    ((0.48, 0.30), (0.54, 0.80), (0.62, 0.36), (0.70, 0.80), (0.80, 0.28))))
GOOD_VALUES = {"phone": "13912345678", "site": "江苏省南京市玄武区中山路1号", "period": "一年以内"}
