"""The 办事指南 of a matter as headed sections of plain lines: what the guide screen shows
(and what a printed guide would carry). Every element appears; nothing is left blank."""
from __future__ import annotations

from kiosk.domain.catalogue import Matter


def guide_sections(m: Matter) -> list[tuple[str, list[str]]]:
    materials = []
    for i, x in enumerate(m.materials, 1):
        extra = [x.form, f"{x.copies}份", x.source]
        if x.exempt_by_sharing:
            extra.append("可免提交（部门共享获取）")
        if not x.required:
            extra.append("视情况提交")
        materials.append(f"{i}. {x.name}（{'，'.join(extra)}）")
    limit = "即办件" if m.promised_days == 0 else f"承诺时限：{m.promised_days}个工作日"
    legal = "法定时限：即办" if m.legal_days == 0 else f"法定时限：{m.legal_days}个工作日"
    fee = [m.fee] + ([f"依据：{m.fee_basis}"] if m.fee_basis else [])
    return [
        ("基本信息", [f"事项名称：{m.name}", f"事项编码：{m.code}（第{m.version}版）", f"事项类型：{m.type}",
                   f"受理范围：{'、'.join(m.audience)}", f"实施机构：{m.department}"]),
        ("设定依据", [f"{b.law}{b.article}" for b in m.basis]),
        ("申请条件", [f"{i}. {c}" for i, c in enumerate(m.conditions, 1)]),
        ("申请材料", materials),
        ("办理流程", [f"{i}. {st.name}：{st.description}" for i, st in enumerate(m.steps, 1)]),
        ("办理时限", [limit, legal]),
        ("收费标准", fee),
        ("办理地点和时间", [f"地点：{m.location}", f"时间：{m.hours}", f"到现场次数：{m.visits}次"]),
        ("咨询与监督", [f"咨询电话：{m.consult_phone}", f"监督投诉电话：{m.complaint_phone}（或拨打12345）"]),
    ] + ([("常见问题", [f"问：{f.q}\n答：{f.a}" for f in m.faq])] if m.faq else [])
