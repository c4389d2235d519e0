"""Receipt templates: wording, masking and the parts each slip must carry (no printer involved)."""
import dataclasses
import datetime as dt

import pytest

from drivers.printer.samples import APPLICATION_NO, TEMPLATES, credit_report, sample
from kiosk.domain.credit_report import CreditSubject
from kiosk.domain.receipt import Barcode, QrCode, Row, Text, evaluation_thanks

FULL_ID = "330106199003071236"
FULL_NAME = "欧阳小明"


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_template_carries_a_full_id_number_or_name(template):
    text = sample(template).plain_text()
    assert FULL_ID not in text and FULL_NAME not in text
    assert "杭州市西湖区便民服务中心" in text and "XH-KIOSK-07" in text


def test_application_receipt_has_everything_the_issue_lists():
    doc = sample("application")
    text = doc.plain_text()
    for part in ("受理回执", "办理事项：企业开办", f"申请编号：{APPLICATION_NO}", "申请人：欧**明",
                 "证件号码：3301**********1236", "提交时间：2026-11-28 09:30", "办理时限：3个工作日",
                 "咨询电话：0571-87654321", "监督投诉：0571-12345678（或拨打12345）"):
        assert part in text, part
    assert [b.data for b in doc.blocks if isinstance(b, QrCode)] == [APPLICATION_NO]


def test_queued_receipt_says_it_will_be_reported_and_has_no_qr():
    doc = sample("queued")
    assert doc.title == "待上传回执"
    assert "本地编号：DS3F2A9C41B07E" in doc.plain_text()
    assert "网络恢复后自动上报" in doc.plain_text()
    assert not any(isinstance(b, QrCode) for b in doc.blocks)


def test_credit_summary_counts_sections_and_repaired_records():
    doc = sample("credit")
    rows = {b.label: b.value for b in doc.blocks if isinstance(b, Row)}
    assert rows == {"行政许可": "2 条", "行政处罚": "1 条（已修复 1 条）", "严重失信主体名单": "0 条",
                    "经营异常名录": "0 条", "信用承诺": "1 条"}
    assert [b.data for b in doc.blocks if isinstance(b, QrCode)] == [credit_report().verify_url]
    assert "核验码：7KQ4MHXD" in doc.plain_text()


def test_credit_section_count_may_exceed_rows_sent():
    report = credit_report()
    report.sections[0].count = 40
    assert report.sections[0].total == 40 and report.sections[1].repaired == 1


def test_a_person_subject_is_masked_on_the_slip():
    report = credit_report()
    report.subject = CreditSubject(FULL_NAME, FULL_ID, kind="person")
    assert report.subject.printed_name == "欧**明"
    assert report.subject.printed_code == "3301**********1236"
    assert report.subject.code_label == "证件号码"


def test_progress_slip_lists_steps_and_carries_a_barcode():
    doc = sample("progress")
    text = doc.plain_text()
    assert "11-28 14:05 材料审核 通过" in text and "当前状态：审批中" in text
    assert [b.data for b in doc.blocks if isinstance(b, Barcode)] == [APPLICATION_NO]


@pytest.mark.parametrize("level, follow_up", [(5, False), (3, False), (2, True), (1, True)])
def test_evaluation_slip_promises_follow_up_only_for_bad_ratings(level, follow_up):
    doc = evaluation_thanks(job_id="e", hall_name="h", terminal_id="t", level=level,
                            printed_at=dt.datetime(2026, 1, 1))
    assert ("3个工作日内联系您" in doc.plain_text()) is follow_up


def test_test_page_ruler_matches_the_paper():
    for columns in (32, 48):
        doc = sample("test", columns=columns)
        ruler = next(b.text for b in doc.blocks if isinstance(b, Text) and b.text.startswith("1234"))
        assert len(ruler) == columns


def test_reprint_keeps_the_content():
    doc = sample("application")
    again = doc.as_reprint("job-2")
    assert again.reprint and again.job_id == "job-2" and again.blocks == doc.blocks
    assert dataclasses.replace(doc, reprint=True).job_id == doc.job_id
