import json
import subprocess
import sys
from pathlib import Path

from hall.catalog_store import load_catalog
from kiosk.domain.catalogue import Catalog
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


def test_the_hall_serves_each_matters_initials_and_the_kiosk_keeps_them():
    snap = load_catalog(ROOT / "config" / "catalog")
    served = json.loads(snap.body)
    assert served["initials"][snap.catalog.matters[0].code] == initials(snap.catalog.matters[0].name)
    assert set(served["initials"]) == {m.code for m in snap.catalog.matters}
    back = Catalog.from_json(served)
    assert back.initials == served["initials"] and back.matters == snap.catalog.matters


def test_search_by_the_served_initials_does_not_load_pypinyin():
    """The kiosk process must not hold pypinyin's ~48 MB phrase dictionary (docs/memory.md):
    searching a catalogue that carries its initials, in a fresh interpreter, never imports it."""
    code = (
        "import json, sys\n"
        "from kiosk.domain.catalogue import Catalog\n"
        "from kiosk.domain.search import filter_matters\n"
        "cat = Catalog.from_json(json.loads(sys.stdin.read()))\n"
        "found = [m.name for m in filter_matters(cat.matters, query='hwgg', known=cat.initials)]\n"
        "print(json.dumps({'found': found, 'pypinyin': 'pypinyin' in sys.modules}))\n")
    body = load_catalog(ROOT / "config" / "catalog").body
    out = subprocess.run([sys.executable, "-c", code], input=body, capture_output=True, cwd=ROOT, check=True)
    res = json.loads(out.stdout)
    assert res == {"found": ["户外广告设施设置审批"], "pypinyin": False}


def test_an_older_halls_catalogue_without_initials_is_still_searchable():
    served = json.loads(load_catalog(ROOT / "config" / "catalog").body)
    del served["initials"]
    cat = Catalog.from_json(served)
    assert cat.initials == {}
    assert names(filter_matters(cat.matters, query="hwgg", known=cat.initials)) == ["户外广告设施设置审批"]


def test_initials_that_are_not_plain_initials_are_dropped_not_trusted():
    served = json.loads(load_catalog(ROOT / "config" / "catalog").body)
    codes = [m["code"] for m in served["matters"]]
    served["initials"] = {codes[0]: "HWGG", codes[1]: None, codes[2]: ["x"], "no-such-matter": "abc",
                          codes[3]: "a" * 500, codes[4]: "ok\n", codes[5]: "\u202ecba"}
    assert Catalog.from_json(served).initials == {}
    served["initials"] = "not a table"
    assert Catalog.from_json(served).initials == {}
