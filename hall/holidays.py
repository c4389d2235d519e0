"""The working-day calendar: statutory holidays and 调休 make-up working days.

One TOML file per year in a directory (config/holidays/2026.toml …), transcribed from the State
Council's yearly notice (国务院办公厅关于YYYY年部分节假日安排的通知, 国办发明电). A working day is
Monday–Friday unless it is a holiday, plus every make-up working day (a Saturday or Sunday the
notice declares a working day). A year with no file, or whose file says `published = false`
(the notice is issued each November for the next year), counts Monday–Friday only and says so
in the log: dates are never invented.

    year = 2026
    published = true
    source = "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025年11月4日）"

    [[holiday]]
    name = "元旦"
    first = 2026-01-01          # TOML dates, no quotes
    last = 2026-01-03

    [[workday]]
    date = 2026-01-04
    for = "元旦"

A mistake stops the hall at start (HallSettings validates the directory) with the file, the key
and what is expected. There is no process-wide calendar: `create_app` loads the settings' one into
`app.state.calendar` and whoever counts days is handed it (tests build their own).
"""
from __future__ import annotations

import datetime as dt
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("hall.holidays")

DEFAULT_DIR = Path("config/holidays")       # relative to the working directory, like catalog_dir


class HolidayError(ValueError):
    """A holiday file is wrong: names the file and the key."""

    def __init__(self, path: Path | str, key: str, message: str):
        super().__init__(f"{path}: {key}: {message}")
        self.path, self.key, self.message = str(path), key, message


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: dict[dt.date, str] = field(default_factory=dict)     # date -> festival name
    workdays: dict[dt.date, str] = field(default_factory=dict)     # make-up working day -> festival
    years: frozenset[int] = frozenset()                            # years with a published notice
    sources: dict[int, str] = field(default_factory=dict)
    directory: str = ""
    # (year) already warned about as unpublished: one log line per year, not one per application
    warned: set[int] = field(default_factory=set, compare=False, repr=False)

    def is_working_day(self, d: dt.date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def covers(self, year: int) -> bool:
        return year in self.years

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start` (the day of receipt is day 0, whatever it is)."""
        d, left = start, days
        while left > 0:
            d += dt.timedelta(days=1)
            if self.is_working_day(d):
                left -= 1
        if days > 0:
            _warn_uncovered(self, start, d)
        return d


_EXPECTED_KEYS = {"year", "published", "source", "holiday", "workday"}


def _warn_uncovered(cal: HolidayCalendar, start: dt.date, end: dt.date) -> None:
    for year in range(start.year, end.year + 1):
        if not cal.covers(year) and year not in cal.warned:
            cal.warned.add(year)
            log.warning("no published holiday arrangement for %d in %s: time limits in %d count Monday–Friday "
                        "only (add %d.toml when the State Council publishes it)", year, cal.directory or "(none)",
                        year, year)


def load_calendar(directory: Path | str) -> HolidayCalendar:
    """Read and check every YYYY.toml in `directory`. Raises HolidayError."""
    directory = Path(directory)
    if not directory.is_dir():
        raise HolidayError(directory, "(directory)", "not found; expected a directory of YYYY.toml holiday files "
                                                     "(the hall ships config/holidays/)")
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    years, sources = set(), {}
    files = sorted(directory.glob("*.toml"))
    for path in files:
        year, published, source, hol, work = _read_year(path)
        for d, name in hol.items():
            if d in holidays or d in workdays:
                raise HolidayError(path, "holiday", f"{d} is also listed in another year's file")
            holidays[d] = name
        for d, name in work.items():
            if d in holidays or d in workdays:
                raise HolidayError(path, "workday", f"{d} is also listed in another year's file")
            workdays[d] = name
        if published:
            years.add(year)
            sources[year] = source
        else:
            log.warning("%s: the State Council has not published %d's holiday arrangement yet: time limits in %d "
                        "count Monday–Friday only until this file is filled in", path, year, year)
    if not files:
        log.warning("%s: no holiday files: time limits count Monday–Friday only", directory)
    return HolidayCalendar(holidays, workdays, frozenset(years), sources, str(directory))


def _read_year(path: Path):
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as e:
        raise HolidayError(path, "(file)", f"cannot be read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise HolidayError(path, "(syntax)", f"not valid TOML: {e}") from None
    unknown = sorted(set(raw) - _EXPECTED_KEYS)
    if unknown:
        raise HolidayError(path, ", ".join(unknown), f"unknown key(s); allowed: {sorted(_EXPECTED_KEYS)}")
    if not path.stem.isdigit() or len(path.stem) != 4:
        raise HolidayError(path, "(file name)", "expected YYYY.toml, e.g. 2026.toml")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or year != int(path.stem):
        raise HolidayError(path, "year", f"expected {int(path.stem)} (the year in the file name), got {year!r}")
    published = raw.get("published")
    if not isinstance(published, bool):
        raise HolidayError(path, "published", f"expected true or false, got {published!r}")
    source = raw.get("source", "")
    if not isinstance(source, str) or (published and not source.strip()):
        raise HolidayError(path, "source", "expected the notice it is transcribed from, e.g. "
                                           '"国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"')
    hol_tables, work_tables = raw.get("holiday", []), raw.get("workday", [])
    if not published:
        if hol_tables or work_tables:
            raise HolidayError(path, "holiday" if hol_tables else "workday",
                               "a year marked published = false lists no dates; set published = true and the source")
        return year, published, source, {}, {}
    if not hol_tables:
        raise HolidayError(path, "holiday", "missing: a published year lists its holidays as [[holiday]] tables")
    lo, hi = dt.date(year - 1, 12, 1), dt.date(year + 1, 1, 31)    # a 元旦 may start in the December before
    holidays: dict[dt.date, str] = {}
    for i, t in enumerate(_tables(path, "holiday", hol_tables), start=1):
        key = f"holiday[{i}]"
        _only(path, key, t, {"name", "first", "last"})
        name = _name(path, key, t)
        first, last = _date(path, f"{key}.first", t.get("first"), lo, hi), _date(path, f"{key}.last", t.get("last"), lo, hi)
        if last < first:
            raise HolidayError(path, f"{key}.last", f"{last} is before first = {first}")
        if (last - first).days > 15:
            raise HolidayError(path, f"{key}.last", f"{name}: {(last - first).days + 1} days off is not plausible")
        d = first
        while d <= last:
            if d in holidays:
                raise HolidayError(path, key, f"{d} is already a holiday ({holidays[d]})")
            holidays[d] = name
            d += dt.timedelta(days=1)
    workdays: dict[dt.date, str] = {}
    for i, t in enumerate(_tables(path, "workday", work_tables), start=1):
        key = f"workday[{i}]"
        _only(path, key, t, {"date", "for"})
        d = _date(path, f"{key}.date", t.get("date"), lo, hi)
        reason = t.get("for", "")
        if not isinstance(reason, str):
            raise HolidayError(path, f"{key}.for", f"expected the festival's name, got {reason!r}")
        if d.weekday() < 5:
            raise HolidayError(path, f"{key}.date", f"{d} is a weekday; a make-up working day (调休上班) is a "
                                                    "Saturday or Sunday")
        if d in holidays or d in workdays:
            raise HolidayError(path, f"{key}.date", f"{d} is listed twice")
        workdays[d] = reason
    return year, published, source, holidays, workdays


def _tables(path: Path, key: str, value) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise HolidayError(path, key, f"expected [[{key}]] tables")
    return value


def _only(path: Path, key: str, t: dict, allowed: set[str]) -> None:
    unknown = sorted(set(t) - allowed)
    if unknown:
        raise HolidayError(path, f"{key}.{unknown[0]}", f"unknown key; allowed: {sorted(allowed)}")


def _name(path: Path, key: str, t: dict) -> str:
    name = t.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HolidayError(path, f"{key}.name", 'expected the festival\'s name, e.g. "国庆节"')
    return name


def _date(path: Path, key: str, value, lo: dt.date, hi: dt.date) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise HolidayError(path, key, f"expected a TOML date such as 2026-10-01 (no quotes), got {value!r}")
    if not lo <= value <= hi:
        raise HolidayError(path, key, f"{value} is outside this file's year ({lo} … {hi})")
    return value


def calendar_for(directory: Path | str | None) -> HolidayCalendar:
    """The calendar of a hall's `holidays_dir` setting: that directory, checked (HolidayError);
    None or "" is the shipped config/holidays when it exists, else Monday–Friday with a warning."""
    if directory in (None, ""):
        if not DEFAULT_DIR.is_dir():
            log.warning("%s not found (working directory %s): time limits count Monday–Friday only; "
                        "set holidays_dir in hall.toml", DEFAULT_DIR, Path.cwd())
            return HolidayCalendar()
        directory = DEFAULT_DIR
    return load_calendar(directory)
