"""The real Kivy app in an offscreen window (SDL offscreen, EGL/llvmpipe), from a card placed on
the simulated reader to a receipt printed on the virtual printer, through a real hall on
127.0.0.1. Screenshots stay in test-out/e2e-*/screens for a person to look at."""
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from kiosk.domain.application_no import is_valid_application_no

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-out"
EXPECTED_SCREENS = ["01-attract", "02-home", "02b-home-english", "02c-home-english-elder",
                    "02d-home-elder", "03-matters", "03b-matters-search", "04-guide", "05-form-prefilled",
                    "06-form-errors", "06b-form-keyboard-numeric", "06c-form-keyboard-pinyin",
                    "06d-materials", "06e-materials-missing", "06f-materials-camera", "06g-materials-photo",
                    "06h-materials-ready", "06i-materials-elder", "06j-materials-camera-elder", "06k-materials-english-elder",
                    "07-review", "07b-sign-empty", "07c-sign", "07d-sign-elder", "08-done", "09-evaluate-reason-required", "10-thanks",
                    "11-attract-again", "12-progress-scan-needs-card", "13-progress-detail",
                    "14-progress-list", "15-credit-choose", "16-credit-person", "17-credit-enterprise",
                    "18-credit-a4", "19-tech-wrong-pin", "20-tech-menu"]


def run_demo(scenario: str, *extra: str) -> Path:
    out = OUT / f"e2e-{scenario}"
    if out.exists():
        shutil.rmtree(out)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(out / ".kivy"))
    proc = subprocess.run([sys.executable, "-m", "terminal.cli", "demo", "--autopilot", "--out", str(out),
                           "--scenario", scenario, *extra], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return out


def hall_applications(out: Path) -> list[tuple]:
    [db] = list((out / "hall").glob("*.db"))
    with sqlite3.connect(db) as con:
        return con.execute("SELECT application_no, idempotency_key, applicant_id_number FROM applications").fetchall()


def hall_materials(out: Path) -> tuple[list, dict]:
    """(the dispositions the application declared, {material id: (content type, size, bytes)})."""
    [db] = list((out / "hall").glob("*.db"))
    with sqlite3.connect(db) as con:
        [(declared,)] = con.execute("SELECT material_dispositions FROM applications").fetchall()
        images = {m: (ct, size, data) for m, ct, size, data in
                  con.execute("SELECT material_id, content_type, size, data FROM application_materials")}
    return json.loads(declared), images


def check_materials(out: Path, summary: dict) -> None:
    """The lease contract and the site photos were photographed, the form goes to the window."""
    assert summary["materials"] == {"sfzm": "exempt", "cdqz": "attached", "xgt": "attached", "sqb": "window"}
    declared, images = hall_materials(out)
    assert {d["id"]: d["disposition"] for d in declared} == {
        "sqb": "window", "sfzm": "exempt", "cdqz": "attached", "xgt": "attached", "jgsm": "none", "wts": "none",
        "signature": "attached"}
    assert sorted(images) == ["cdqz", "signature", "xgt"]
    # the 申请人承诺 signature the autopilot wrote with a finger: a PNG with ink on white
    ct, size, data = images.pop("signature")
    assert ct == "image/png" and data.startswith(b"\x89PNG") and size < 20_000
    sig = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    assert sig.shape == (200, 600) and 0.003 < (sig < 128).mean() < 0.2
    for ct, size, data in images.values():
        assert ct == "image/jpeg" and data[:3] == b"\xff\xd8\xff" and 20_000 < size < 3 * 1024 * 1024
        img = Image.open(io.BytesIO(data))
        assert max(img.size) <= 1600
    # what was photographed is the document the dock laid there: mostly paper-white, with ink
    photo = np.asarray(Image.open(io.BytesIO(images["cdqz"][2])).convert("L"))
    assert photo.std() > 30 and (photo > 200).mean() > 0.2


def decode_qr(png: Path) -> list[str]:
    img = np.asarray(Image.open(png).convert("L"))
    return [r.text for r in zxingcpp.read_barcodes(img)]


def check_screens(out: Path, expected=EXPECTED_SCREENS) -> None:
    shots = {p.stem: p for p in (out / "screens").glob("*.png")}
    assert sorted(shots) == expected
    for name, path in shots.items():
        img = np.asarray(Image.open(path).convert("RGB"))
        assert img.shape[0] >= 700 and img.shape[1] >= 1200, name
        assert img.std() > 10, f"{name} is blank"          # not an all-black grab
    first = np.asarray(Image.open(shots["01-attract"]).convert("L"))
    assert not np.array_equal(first, np.asarray(Image.open(shots["02-home"]).convert("L")))


@pytest.mark.e2e
def test_card_to_printed_receipt_online():
    out = run_demo("online")
    check_screens(out)
    summary = json.loads((out / "autopilot.json").read_text("utf-8"))
    assert summary.get("layout_problems", {}) == {}       # no text cut off, no small targets
    assert summary["queued"] is False and summary["printed"] is True
    assert summary["typed"] == {"phone": "13912345678", "site_address": "玄武区"}   # keyed on screen
    assert summary["progress_status"] == "已提交"          # the hall's answer to the scanned receipt
    number = summary["application_no"]
    assert is_valid_application_no(number)
    receipts = sorted((out / "receipts").glob("*.png"))
    assert decode_qr(receipts[0]) == [number]                 # the QR on paper is the hall's number
    # credit: the summary slip printed (its QR verifies the report), the enterprise's A4 report a PDF
    assert len(receipts) == 3 and summary["credit_enterprise"] != summary["credit_person"]   # + test page
    assert any(summary["credit_person"] in text for text in decode_qr(receipts[1]))
    [pdf] = (out / "reports").glob("*.pdf")
    assert summary["credit_enterprise"] in pdf.name
    rows = hall_applications(out)
    assert [r[0] for r in rows] == [number]                   # ... and the hall's database holds it
    check_materials(out, summary)


@pytest.mark.e2e
def test_hall_down_gives_pending_receipt_then_uploads_once():
    out = run_demo("offline")
    check_screens(out, [s for s in EXPECTED_SCREENS if s < "12"])
    summary = json.loads((out / "autopilot.json").read_text("utf-8"))
    assert summary["queued"] is True and summary["application_no"].startswith("DS")
    assert summary["uploaded"] is True
    receipts = sorted((out / "receipts").glob("*.png"))
    assert len(receipts) == 1 and decode_qr(receipts[0]) == []   # no QR: no hall number yet
    rows = hall_applications(out)
    assert len(rows) == 1                                        # sent once, after the hall came back
    check_materials(out, summary)                                # ... and its photos after it
    assert rows[0][1].upper().startswith(summary["application_no"][2:])


@pytest.mark.e2e
def test_guest_identifies_on_guide_then_idle_wipes_everything():
    out = run_demo("guest", "--idle-timeout", "2", "--idle-warning", "3")
    summary = json.loads((out / "autopilot.json").read_text("utf-8"))
    shots = sorted(p.stem for p in (out / "screens").glob("*.png"))
    assert shots == ["01-guest-matters", "02-guide-needs-card", "03-countdown", "04-wiped"]
    assert summary["leftover_widgets"] == [] and summary["card_after"] is False
    assert summary.get("layout_problems", {}) == {}
    countdown = np.asarray(Image.open(out / "screens" / "03-countdown.png").convert("L"))
    wiped = np.asarray(Image.open(out / "screens" / "04-wiped.png").convert("L"))
    assert countdown.mean() < wiped.mean() - 20      # the dimmed overlay is really drawn
    assert not list((out / "receipts").glob("*.png"))   # nothing submitted, nothing printed
