"""好差评: the five levels of the national 政务服务好差评 scheme and when a reason is required.

Levels are integers 5 (非常满意) … 1 (非常不满意) on the wire; the two lowest need a reason
(one of DISSATISFIED_REASONS, or the citizen's own words) and become follow-up items for the
hall (处理, then 回访). Pure: no I/O.
"""
from __future__ import annotations

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
LEVELS_EN = {5: "Very satisfied", 4: "Satisfied", 3: "Fair", 2: "Dissatisfied", 1: "Very dissatisfied"}
REASON_REQUIRED = frozenset({1, 2})

# Offered as buttons on the kiosk; the hall accepts any short text as well.
DISSATISFIED_REASONS = (
    "办事指南不清楚", "材料要求多、重复提交", "办理时间长", "设备操作不方便", "设备故障",
    "工作人员服务态度差", "多次跑腿", "其他",
)


def level_text(level: int) -> str:
    return LEVELS.get(level, "")


def needs_reason(level: int) -> bool:
    return level in REASON_REQUIRED
