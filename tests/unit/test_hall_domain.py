"""Pure parts of the hall: terminal assessment, working days, report numbers, evaluation levels."""
from __future__ import annotations

import datetime as dt

import pytest

from hall.applications import add_working_days, due_dates
from hall.holidays import HolidayCalendar
from hall.monitoring import assess, paper_state
from kiosk.domain.credit import is_valid_report_no, make_report_no, normalise_verify_code, new_verify_code
from kiosk.domain.evaluation import LEVELS, needs_reason


def test_working_days_skip_weekends():
    fri, weekdays = dt.date(2026, 11, 27), HolidayCalendar()     # no holiday files: Monday–Friday
    assert add_working_days(fri, 1, weekdays) == dt.date(2026, 11, 30)          # Monday
    assert add_working_days(fri, 5, weekdays) == dt.date(2026, 12, 4)
    assert add_working_days(dt.date(2026, 11, 28), 1, weekdays) == dt.date(2026, 11, 30)   # from a Saturday
    assert add_working_days(fri, 0, weekdays) == fri
    assert due_dates(fri, 0, 0, weekdays) == (None, None)                          # 即办


@pytest.mark.parametrize("snap, expected", [
    ({}, ("green", "正常")),
    ({"devices": {"printer": {"state": "busy"}}}, ("green", "正常")),
    ({"devices": {"printer": {"state": "cover_open"}}}, ("red", "打印机机盖打开")),
    ({"devices": {"printer": {"state": "paper_near_end"}}, "outbox_pending": 5}, ("amber", "打印机纸将用尽；待上传 5 件")),
    ({"devices": {"printer": {"state": "paper_out"}, "idcard": {"state": "fault", "code": "e1"}}},
     ("red", "身份证阅读器故障（e1）；打印机缺纸")),
    ({"paper": "out"}, ("red", "打印机缺纸")),
    ({"devices": {"camera": {"state": "absent"}}, "screen": "maintenance"}, ("red", "摄像头未连接；维护模式")),
])
def test_assessment(snap, expected):
    assert assess(snap) == expected


def test_paper_state():
    assert paper_state({"devices": {"printer": {"state": "paper_out"}}}) == "out"
    assert paper_state({"paper": "near_end", "devices": {"printer": {"state": "ok"}}}) == "near_end"
    assert paper_state({}) == "unknown"


def test_report_numbers():
    no = make_report_no(dt.date(2026, 11, 28), 7)
    assert no.startswith("XY2026112800007") and is_valid_report_no(no)
    assert not is_valid_report_no(no[:-1] + ("0" if no[-1] != "0" else "1"))
    assert not is_valid_report_no("QY2026112800007C") and not is_valid_report_no(None)
    with pytest.raises(ValueError):
        make_report_no(dt.date(2026, 11, 28), 0)
    code = new_verify_code()
    assert len(code) == 8 and normalise_verify_code(f" {code[:4].lower()}-{code[4:]} ") == code


def test_evaluation_levels():
    assert [LEVELS[k] for k in (5, 4, 3, 2, 1)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert needs_reason(1) and needs_reason(2) and not needs_reason(3)
