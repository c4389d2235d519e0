"""The on-screen keyboard in a real offscreen Kivy window (SDL offscreen, EGL/llvmpipe), driven by
touches at the keys' positions (tests/e2e/keyboard_driver.py, in a subprocess: Kivy opens one
window per process). Screenshots stay in test-out/keyboard/ for a person to look at."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.e2e.offscreen import run_driver

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-out" / "keyboard"
SHOTS = ["01-pinyin-gongsi", "02-pinyin-partial-sheng", "03-numeric", "04-letters", "05-pinyin-elder-english"]


@pytest.fixture(scope="module")
def run() -> dict:
    return run_driver("keyboard_driver.py", OUT)


@pytest.mark.e2e
def test_typing_gongsi_and_choosing_the_first_candidate_gives_gongsi(run):
    assert run["after_gongsi"]["composition"] == "gongsi"
    assert run["after_gongsi"]["bar"] == "gong si"               # shown cut into syllables
    assert run["after_gongsi"]["shown"][0] == "公司"
    assert run["after_choose_first"]["address"] == "公司"
    assert run["after_choose_first"]["composition"] == ""


@pytest.mark.e2e
def test_partial_candidate_keeps_the_rest_of_the_pinyin(run):
    assert run["after_hubeisheng"]["shown"][:2] == ["湖北省", "湖北"]
    assert run["after_hubei"]["address"] == "公司湖北"
    assert run["after_hubei"]["composition"] == "sheng"
    assert run["after_sheng"]["address"] == "公司湖北省"


@pytest.mark.e2e
def test_delete_removes_letters_first_then_text(run):
    assert run["after_del_letter"]["composition"] == "sh"
    assert run["after_del_letter"]["address"] == "公司湖北省"
    assert run["after_del_text"]["address"] == "公司湖北"


@pytest.mark.e2e
def test_candidate_pages(run):
    assert run["page2"]["shown"] and run["page2"]["shown"][0] not in run["page1"]["shown"]
    assert run["page1"]["shown"][0] == "中"
    assert run["after_clear"]["address"] == "" and run["after_clear"]["composition"] == ""


@pytest.mark.e2e
def test_numeric_and_letters_modes_on_another_field(run):
    assert run["after_digits"]["phone"] == "1390"               # "-" refused by the field's int filter
    assert run["after_letters"]["address"] == "AB1c"             # upper case by default, digits, then 小写
    assert run["after_done"]["address"] == "AB1cxyz"             # 完成 keeps unconverted letters
    assert run["done_count"] == 1
    assert run["after_space"]["address"] == "AB1cxyz公司"        # 空格 takes the first candidate


@pytest.mark.e2e
def test_keys_are_big_readable_and_inside_the_window(run):
    assert run["hanzi_differ"], "hanzi render as tofu: the CJK font is not in use"
    for name in ("sizes", "sizes_numeric", "sizes_letters", "sizes_elder_en"):
        sizes = run[name]
        assert sizes["keys"] >= 20, name
        assert sizes["small"] == [], (name, sizes["small"])            # every key >= 60x60 dp
        assert sizes["overflow"] == [], (name, sizes["overflow"])      # no label wider than its key
        assert sizes["low_contrast"] == [], (name, sizes["low_contrast"])
        assert sizes["inside_window"], name


@pytest.mark.e2e
def test_keystrokes_are_fast(run):
    letters = [ms for ms, key in run["press_ms"] if len(key) == 1]
    assert len(letters) > 20
    assert sorted(letters)[int(len(letters) * 0.95)] < 50, letters    # IME + bar redraw, p95


@pytest.mark.e2e
def test_screenshots_are_drawn(run):
    shots = {Path(p).stem: Path(p) for p in run["shots"]}
    assert sorted(shots) == SHOTS
    for name, path in shots.items():
        img = np.asarray(Image.open(path).convert("RGB"))
        assert img.shape[:2] == (800, 1280), name
        assert img.std() > 10, f"{name} is blank"
    a, b = (np.asarray(Image.open(shots[n]).convert("L")) for n in ("01-pinyin-gongsi", "03-numeric"))
    assert not np.array_equal(a, b)
