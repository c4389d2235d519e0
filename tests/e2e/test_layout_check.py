"""screens/layout_check.py's contrast rule on deliberately good and bad widgets in a real
offscreen window (tests/e2e/layout_check_driver.py, in a subprocess). The check must be able
to fail: a low-contrast label is reported, a good one is not. The screenshot of the cases is in
test-out/layout-check/ for a person to compare with what the check says."""
from pathlib import Path

import pytest

from tests.e2e.offscreen import run_driver

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-out" / "layout-check"


@pytest.fixture(scope="module")
def run() -> dict:
    return run_driver("layout_check_driver.py", OUT)


def contrast(problems: list[str]) -> list[str]:
    return [p for p in problems if " contrast " in p]


@pytest.mark.e2e
def test_low_contrast_text_is_reported_and_good_text_is_not(run):
    got = {name: bool(contrast(problems)) for name, problems in run["standard"].items()}
    assert got == run["expected"]
    assert "contrast" in run["standard"]["grey_on_bg"][0] and ":1 < 4.5:1" in run["standard"]["grey_on_bg"][0]


@pytest.mark.e2e
def test_elder_mode_wants_4_5_to_1_even_for_large_text(run):
    assert contrast(run["elder"]["large_3_to_1"]) and contrast(run["elder"]["large_bold_3_to_1"])
    assert not contrast(run["elder"]["text_on_bg"]) and not contrast(run["elder"]["white_on_header"])


@pytest.mark.e2e
def test_ratio_is_wcags(run):
    assert run["ratios"]["black_white"] == pytest.approx(21.0)
    assert run["ratios"]["text_on_bg"] > 7


@pytest.mark.e2e
def test_scrollview_bar_color_bindings_do_not_pile_up(run):
    """screens/kivy_fixes.py: Kivy's ScrollView binds bar_color again on every scroll update."""
    assert run["scrollview_bar_observers"]["kivy"] > 10          # the bug is there without the fix
    assert run["scrollview_bar_observers"]["fixed"] <= 1
