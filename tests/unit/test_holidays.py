"""The working-day calendar (hall/holidays.py) with the shipped config/holidays/ and real dates
from the State Council's notices (国办发明电〔2024〕12号 for 2025, 国办发明电〔2025〕7号 for 2026)."""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from hall import holidays
from hall.applications import add_working_days, due_dates, overdue
from hall.config import ConfigError, HallSettings, load_config
from hall.holidays import HolidayError, load_calendar

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "config" / "holidays"
D = dt.date


@pytest.fixture(scope="module")
def cal():
    return load_calendar(SHIPPED)


def test_the_shipped_files_load_and_cover_2025_and_2026(cal):
    assert cal.covers(2025) and cal.covers(2026) and not cal.covers(2027)
    assert "国办发明电〔2025〕7号" in cal.sources[2026] and "国办发明电〔2024〕12号" in cal.sources[2025]
    # Days off per the notices: 2025 = 1+8+3+5+3+8, 2026 = 3+9+3+5+3+3+7.
    assert sum(d.year == 2025 for d in cal.holidays) == 28
    assert sum(d.year == 2026 for d in cal.holidays) == 33
    assert all(d.weekday() >= 5 for d in cal.workdays)          # make-up days are weekend days


def test_received_before_national_day_is_due_after_it(cal):
    # Wed 2026-09-30 + 5 working days: 10/1–10/7 off, Thu 8, Fri 9, Sat 10 (调休上班), Mon 12, Tue 13.
    assert cal.add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert add_working_days(D(2026, 9, 30), 5, cal) == D(2026, 10, 13)
    # Weekends only would have said Wed 2026-10-07, in the middle of the holiday.
    assert holidays.HolidayCalendar().add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 7)


def test_a_make_up_saturday_is_a_working_day(cal):
    assert cal.is_working_day(D(2026, 10, 10))                  # Saturday, 国庆 调休上班
    assert cal.is_working_day(D(2026, 2, 14)) and cal.is_working_day(D(2026, 2, 28))   # 春节
    assert cal.is_working_day(D(2026, 1, 4))                    # Sunday, 元旦
    assert not cal.is_working_day(D(2026, 10, 17))              # an ordinary Saturday
    # Fri 2026-02-13 + 1 → Sat 2026-02-14 (调休上班), not the Monday.
    assert cal.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)


@pytest.mark.parametrize("day", [D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 16), D(2026, 2, 23), D(2026, 4, 6),
                                 D(2026, 5, 4), D(2026, 5, 5), D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 7),
                                 D(2025, 1, 1), D(2025, 1, 28), D(2025, 2, 4), D(2025, 5, 5), D(2025, 6, 2),
                                 D(2025, 10, 8)])
def test_weekday_holidays_are_not_working_days(cal, day):
    assert day.weekday() < 5 and not cal.is_working_day(day)


def test_spring_festival_and_may_day(cal):
    # Fri 2026-02-13 + 2: Sat 14 (调休), then 15–23 off, so Tue 24.
    assert cal.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    # 2025 劳动节: Sun 4/27 works; Wed 4/30 + 1 → Tue 5/6.
    assert cal.add_working_days(D(2025, 4, 30), 1) == D(2025, 5, 6)
    assert cal.add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 27)


def test_received_on_a_holiday_counts_from_the_next_working_day(cal):
    assert cal.add_working_days(D(2026, 10, 3), 1) == D(2026, 10, 8)
    assert cal.add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)


def test_due_dates_and_overdue_use_the_calendar(cal):
    promised, legal = due_dates(D(2026, 9, 30), 5, 20, cal)
    assert promised == D(2026, 10, 13)
    # 20 working days: Oct 8,9,10,12–16 (8), 19–23 (13), 26–30 (18), Nov 2, 3 → Tue 2026-11-03.
    assert legal == D(2026, 11, 3)
    rec = SimpleNamespace(status="submitted", promised_due=promised, legal_due=legal)
    assert overdue(rec, D(2026, 10, 9)) == ""              # inside the holiday-extended limit
    assert overdue(rec, D(2026, 10, 13)) == ""
    assert overdue(rec, D(2026, 10, 14)) == "promised"
    assert overdue(rec, D(2026, 11, 4)) == "legal"
    assert overdue(SimpleNamespace(**{**vars(rec), "status": "completed"}), D(2027, 1, 1)) == ""


def test_the_app_counts_with_its_settings_calendar(tmp_path):
    # create_app hands the router the settings' calendar (app.state.calendar); nothing process-wide.
    from hall.app import create_app
    shipped = create_app(upgrade=True, settings=HallSettings("127.0.0.1", 8700, f"sqlite:///{tmp_path}/a.db", REPO / "config" / "catalog",
                                      "测试", holidays_dir=str(SHIPPED)))
    other = create_app(upgrade=True, settings=HallSettings("127.0.0.1", 8700, f"sqlite:///{tmp_path}/b.db", REPO / "config" / "catalog",
                                    "测试", holidays_dir=str(write(tmp_path, GOOD))))
    assert due_dates(D(2026, 9, 30), 5, 20, shipped.state.calendar) == (D(2026, 10, 13), D(2026, 11, 3))
    assert not shipped.state.calendar.is_working_day(D(2026, 2, 16))           # 春节
    assert other.state.calendar.is_working_day(D(2026, 2, 16))                 # that directory has no 春节


def test_an_unpublished_year_counts_weekdays_and_says_so(cal, caplog):
    with caplog.at_level(logging.WARNING, logger="hall.holidays"):
        # Thu 2026-12-31 + 1 → Fri 2027-01-01: 2027's 元旦 is not known yet, so it is not guessed.
        assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    assert "2027" in caplog.text and "Monday–Friday" in caplog.text
    with caplog.at_level(logging.WARNING, logger="hall.holidays"):
        load_calendar(SHIPPED)
    assert "2027.toml" in caplog.text and "not published" in caplog.text


# ---- validation: a broken file stops the hall naming the file and the key ------------------------

GOOD = """year = 2026
published = true
source = "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"
[[holiday]]
name = "国庆节"
first = 2026-10-01
last = 2026-10-07
[[workday]]
date = 2026-10-10
for = "国庆节"
"""


def write(tmp_path, text: str, name: str = "2026.toml") -> Path:
    d = tmp_path / "holidays"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text, "utf-8")
    return d


def test_a_good_file(tmp_path):
    c = load_calendar(write(tmp_path, GOOD))
    assert c.holidays[D(2026, 10, 3)] == "国庆节" and c.workdays == {D(2026, 10, 10): "国庆节"}


@pytest.mark.parametrize("old, new, key, words", [
    ("year = 2026", "year = 2025", "year", "expected 2026"),
    ("published = true", 'published = "yes"', "published", "true or false"),
    ('source = "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"', 'source = ""', "source", "notice"),
    ("first = 2026-10-01", 'first = "2026-10-01"', "holiday[1].first", "no quotes"),
    ("last = 2026-10-07", "last = 2026-09-07", "holiday[1].last", "before first"),
    ("first = 2026-10-01", "first = 2027-10-01", "holiday[1].first", "outside this file's year"),
    ("date = 2026-10-10", "date = 2026-10-09", "workday[1].date", "weekday"),
    ("date = 2026-10-10", "date = 2026-10-03", "workday[1].date", "listed twice"),
    ('name = "国庆节"', 'name = ""', "holiday[1].name", "festival"),
    ('for = "国庆节"', 'for = "国庆节"\nwhen = 1', "workday[1].when", "unknown key"),
    ("year = 2026", "year = 2026\nyaer = 2026", "yaer", "unknown key"),
    ("[[holiday]]", "[[holiday]", "(syntax)", "not valid TOML"),
])
def test_mistakes_name_file_and_key(tmp_path, old, new, key, words):
    d = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(HolidayError) as e:
        load_calendar(d)
    assert e.value.key == key and words in e.value.message and e.value.path.endswith("2026.toml"), str(e.value)


def test_unpublished_year_lists_no_dates(tmp_path):
    d = write(tmp_path, GOOD.replace("published = true", "published = false"))
    with pytest.raises(HolidayError) as e:
        load_calendar(d)
    assert e.value.key == "holiday" and "published = false" in e.value.message


def test_file_name_must_be_the_year(tmp_path):
    with pytest.raises(HolidayError) as e:
        load_calendar(write(tmp_path, GOOD, "holidays-2026.toml"))
    assert e.value.key == "(file name)"


def test_hall_settings_check_the_holidays_at_start(tmp_path):
    d = write(tmp_path, GOOD.replace("date = 2026-10-10", "date = 2026-10-09"))
    cfg = tmp_path / "hall.toml"
    cfg.write_text(f'host = "127.0.0.1"\nport = 8700\ndatabase_url = "sqlite:///x.db"\ncatalog_dir = "config/catalog"\n'
                   f'hall_name = "测试"\nholidays_dir = "{d}"\n', "utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    assert e.value.path.endswith("2026.toml") and e.value.key == "workday[1].date" and "weekday" in str(e.value)
    with pytest.raises(ConfigError) as e:
        HallSettings("127.0.0.1", 8700, "sqlite:///x.db", Path("config/catalog"), "测试", holidays_dir=str(tmp_path / "nope"))
    assert e.value.key == "(directory)" and "nope" in e.value.path


def test_settings_give_their_own_calendar(tmp_path):
    settings = HallSettings("127.0.0.1", 8700, "sqlite:///x.db", Path("config/catalog"), "测试",
                            holidays_dir=str(write(tmp_path, GOOD)))
    cal = settings.holiday_calendar()
    assert cal.is_working_day(D(2026, 10, 10)) and cal.is_working_day(D(2026, 2, 16))   # no 春节 there
    assert add_working_days(D(2026, 9, 30), 5, cal) == D(2026, 10, 13)

