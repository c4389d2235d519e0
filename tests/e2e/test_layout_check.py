"""screens/layout_check.py's contrast rule on deliberately good and bad widgets in a real
offscreen window (tests/e2e/layout_check_driver.py, in a subprocess). The check must be able
to fail: a low-contrast label is reported, a good one is not. The screenshot of the cases is in
test-out/layout-check/ for a person to compare with what the check says."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-out" / "layout-check"


@pytest.fixture(scope="module")
def run() -> dict:
    if OUT.exists():
        shutil.rmtree(OUT)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(OUT / ".kivy"), KIVY_NO_ARGS="1")
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "e2e" / "layout_check_driver.py"), str(OUT)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    res = json.loads((OUT / "results.json").read_text("utf-8"))
    assert "error" not in res, res.get("error")
    return res


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
