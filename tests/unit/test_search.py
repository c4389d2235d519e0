from pathlib import Path

from hall.catalog_store import load_catalog
from kiosk.domain.search import filter_matters, initials

ROOT = Path(__file__).resolve().parents[2]
MATTERS = load_catalog(ROOT / "config" / "catalog").catalog.matters


def names(ms):
    return [m.name for m in ms]


def test_pinyin_initials_find_the_matter():
    assert initials("户外广告设施设置审批") == "hwggssszsp"
    assert names(filter_matters(MATTERS, query="hwgg")) == ["户外广告设施设置审批"]
    assert "公共场所卫生许可证注销" in names(filter_matters(MATTERS, query="GGCS"))   # case-insensitive


def test_hanzi_query_and_audience_filter():
    found = names(filter_matters(MATTERS, query="卫生许可"))
    assert found and all("卫生许可" in n for n in found)
    enterprises = filter_matters(MATTERS, audience="法人")
    people = filter_matters(MATTERS, audience="个人")
    assert all("法人" in m.audience for m in enterprises) and all("个人" in m.audience for m in people)
    assert len(enterprises) < len(MATTERS) and len(people) < len(MATTERS)
    assert "公共场所卫生许可证注销" not in names(people)   # 法人 only


def test_no_match_and_hostile_query():
    assert filter_matters(MATTERS, query="zzzzzz") == ()
    assert filter_matters(MATTERS, query="'; DROP TABLE--") == ()
    assert len(filter_matters(MATTERS, query="   ")) == len(MATTERS)
