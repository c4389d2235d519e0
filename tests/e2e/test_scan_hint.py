"""How to hold a code, in a real offscreen window: a receipt's code too small on the simulated
camera (a PNG read through OpenCV, the production scanner and cascade) shows 请把二维码拿近一些
under the prompt -- bigger in 长者模式, in English too -- and the same code held closer is read;
on 信用报告 a moving licence shows 请拿稳，不要晃动. Screenshots stay in test-out/scan-hint."""
from pathlib import Path

from screens.i18n import EN
from tests.e2e.offscreen import run_driver

OUT = Path(__file__).resolve().parents[2] / "test-out" / "scan-hint"


def test_the_hint_shows_on_screen_and_then_the_code_reads():
    res = run_driver("scan_hint_driver.py", OUT, timeout_s=180)
    assert res["attract_empty"]["text"] == "" and res["attract_empty"]["height"] == 0

    closer = res["closer"]
    assert closer["text"] == "请把二维码拿近一些"
    assert closer["height"] > 60 and closer["problems"] == []          # big, nothing cut off, contrast
    assert closer["texture"][0] <= closer["box"][2] and closer["box"][1] >= 0
    # One sentence while the phone stays where it is: no flicker between hints.
    assert res["hints_while_far"] == ["closer"]

    elder = res["closer_elder"]
    assert elder["text"] == closer["text"] and elder["font_size"] > closer["font_size"] * 1.2
    assert elder["problems"] == []
    english = res["closer_english"]
    assert english["text"] == EN["请把二维码拿近一些"]
    assert english["problems"] == []

    # Held closer: read, the receipt's page, and the hint gone with it.
    assert res["read"]["wanted_no"] == res["receipt_no"] and res["read"]["hint"] == "None"

    steadier = res["steadier"]
    assert steadier["text"] == "请拿稳，不要晃动" and steadier["problems"] == []
    assert res["hints"] == ["closer", None, "steadier"]
    for shot in ("scan-hint-1-attract-closer", "scan-hint-2-attract-closer-elder", "scan-hint-5-credit-steadier"):
        assert (OUT / f"{shot}.png").stat().st_size > 10_000
