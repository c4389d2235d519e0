"""The technician menu's 被退回的上传 section in a real offscreen window
(tests/e2e/tech_rejected_driver.py, in a subprocess): rows say what, when, why and whose
(masked), 再试一次 and 移交窗口 are real buttons a finger taps, nothing is cut off, and the
screenshots are in test-out/tech-rejected/ for a person to look at."""
from pathlib import Path

import pytest

from tests.e2e.offscreen import run_driver

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-out" / "tech-rejected"


@pytest.mark.e2e
def test_rejected_items_in_the_technician_menu():
    res = run_driver("tech_rejected_driver.py", OUT, timeout_s=120)
    assert res["problems_before"] == [] and res["problems_after"] == [] and res["problems_elder"] == []
    first, second = res["labels"][:2]
    assert "DS01A7C3E9F1B2" in first and "320102-XK-CG-001" in first and "事项已停止受理" in first
    assert "张*丰 1101**********002X" in first and "11010519491231002X" not in "".join(res["labels"])
    assert "联系电话" in second and "李*" in second
    assert res["states"] == {k: v for k, v in res["states"].items()} and list(res["states"].values()) == [
        "handed_over", "rejected"]                     # handed over; retried and refused again
    assert res["open_after"] == 2                      # the second application and its signature
    assert "退回申请移交单" in res["slip"] and "13800000000" in res["slip"]
    assert "2 件待处理" in res["title_after"]
    for shot in res["shots"]:
        assert Path(shot).stat().st_size > 10_000
