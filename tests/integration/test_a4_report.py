"""The A4 credit report: a real PDF, opened with pypdf and poppler, its text extracted, each
page rasterised (pdftoppm) and its verify QR decoded with zxing-cpp; `lp` is a stand-in
script on PATH (no CUPS server here) that records its arguments. Pages: test-out/a4/."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from drivers.printer.a4 import A4ReportPrinter, credit_report_pdf, print_credit_report, send_to_cups
from drivers.printer.samples import credit_report
from kiosk.domain.credit_report import CreditSubject

OUT = Path(__file__).resolve().parents[2] / "test-out" / "a4"
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def long_pdf():
    shutil.rmtree(OUT, ignore_errors=True)
    return credit_report_pdf(credit_report(rows_per_section=30), OUT / "credit-report-long.pdf")


def test_pdf_opens_and_carries_the_chinese_text(tmp_path):
    report = credit_report()
    pdf = credit_report_pdf(report, tmp_path / "r.pdf")
    reader = PdfReader(pdf)
    # Table cells wrap inside their column: compare without the line breaks.
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    for part in ("公共信用信息报告", "杭州示例云计算科技有限公司", "91330106MA2KXXXX8X", "行政处罚",
                 "西市监罚处〔2024〕118号", "已修复", "未查询到相关记录", "核验码：7KQ4MHXD"):
        assert part in text, part
    assert reader.metadata.title == "公共信用信息报告 XY2026112800042I"


def test_every_page_has_report_number_and_a_verify_qr_that_decodes(long_pdf):
    reader = PdfReader(long_pdf)
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text()
        assert "XY2026112800042I" in text and f"第 {number} 页 / 共 {len(reader.pages)} 页" in text
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    subprocess.run(["pdftoppm", "-r", "110", "-png", str(long_pdf), str(OUT / "page")], check=True)
    pages = sorted(OUT.glob("page-*.png"))
    assert len(pages) == len(reader.pages)
    for png in pages:
        codes = [r.text for r in zxingcpp.read_barcodes(np.asarray(Image.open(png).convert("L")))]
        assert codes == [credit_report().verify_url], png.name


@needs_poppler
def test_pdftotext_reads_the_table_rows(long_pdf):
    text = subprocess.run(["pdftotext", "-layout", str(long_pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    # -layout keeps the columns apart, so a wrapped cell is split across lines: count tokens.
    assert text.count("市场监督管") >= 31 and "JY13301060000031" in text
    assert text.count("有效") >= 31 and text.count("已修复") >= 2


def test_a_person_is_masked_in_the_pdf(tmp_path):
    report = credit_report()
    report.subject = CreditSubject("欧阳小明", "330106199003071236", kind="person")
    text = "".join(p.extract_text() for p in PdfReader(credit_report_pdf(report, tmp_path / "p.pdf")).pages)
    assert "欧阳小明" not in text and "330106199003071236" not in text
    assert "欧**明" in text and "3301**********1236" in text and "（个人版）" in text


@pytest.fixture
def fake_lp(tmp_path, monkeypatch):
    """An `lp` that records its argv and answers like CUPS; exit code from $FAKE_LP_RC."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "lp-args"
    script = bin_dir / "lp"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n'
                      'if [ "${FAKE_LP_RC:-0}" != 0 ]; then echo "lp: The printer or class does not exist." >&2; '
                      'exit "$FAKE_LP_RC"; fi\necho "request id is hall-a4-17 (1 file(s))"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_sent_to_cups_when_a_queue_is_configured(tmp_path, fake_lp):
    result = print_credit_report(credit_report(), tmp_path, queue="hall-a4")
    assert result.sent and result.job == "hall-a4-17" and result.pdf.exists()
    args = fake_lp.read_text().splitlines()
    assert args[:2] == ["-d", "hall-a4"] and "media=A4" in args and args[-1] == str(result.pdf)


def test_cups_failure_keeps_the_file(tmp_path, fake_lp, monkeypatch):
    monkeypatch.setenv("FAKE_LP_RC", "1")
    result = print_credit_report(credit_report(), tmp_path, queue="nope")
    assert not result.sent and result.pdf.exists() and "已保存为文件" in result.message


def test_no_queue_keeps_the_file(tmp_path):
    result = print_credit_report(credit_report(), tmp_path)
    assert not result.sent and result.pdf.name == "credit-report-XY2026112800042I.pdf"
    assert result.message == "未配置 A4 打印机，报告已保存为文件"


def test_no_lp_installed_keeps_the_file(tmp_path):
    pdf = credit_report_pdf(credit_report(), tmp_path / "r.pdf")
    result = send_to_cups(pdf, "hall-a4", "t", lp="lp-that-is-not-installed")
    assert not result.sent and "lp" in result.message


def test_the_kiosk_deletes_its_copy_once_cups_has_the_job(tmp_path, fake_lp):
    printer = A4ReportPrinter(tmp_path / "reports", "hall-a4")
    result = printer.print_report(credit_report())
    assert result.sent and result.job == "hall-a4-17"
    assert fake_lp.read_text().splitlines()[-1] == str(result.pdf)        # lp was given the file…
    assert not result.pdf.exists() and list((tmp_path / "reports").iterdir()) == []   # …and it is gone


def test_an_unsent_report_waits_a_day_for_the_window_then_goes(tmp_path, fake_lp, monkeypatch):
    monkeypatch.setenv("FAKE_LP_RC", "1")
    printer = A4ReportPrinter(tmp_path / "reports", "hall-a4")
    kept = printer.print_report(credit_report())
    assert not kept.sent and kept.pdf.exists() and "已保存为文件" in kept.message
    assert printer.prune_unsent() == 0 and kept.pdf.exists()               # young: staff may still print it
    day_old = time.time() - A4ReportPrinter.KEEP_UNSENT_S - 60
    os.utime(kept.pdf, (day_old, day_old))
    monkeypatch.setenv("FAKE_LP_RC", "0")
    report = credit_report()
    report.report_no = "XY2026112800043J"
    sent = printer.print_report(report)                                    # the next print prunes it
    assert sent.sent and not kept.pdf.exists() and list((tmp_path / "reports").iterdir()) == []
