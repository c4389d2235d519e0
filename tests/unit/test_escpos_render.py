"""ReceiptDoc -> ESC/POS bytes: Chinese mode, GB18030 text, native QR, cut, reprint marker."""
import datetime as dt

import pytest

from drivers.printer.escpos_render import (FS_CHINESE_OFF, FS_CHINESE_ON, encode_line,
                                           printable, render)
from drivers.printer.virtual import EscposInterpreter
from kiosk.domain.receipt import (Feed, KeyValue, QrCode, ReceiptDoc, Separator, Text,
                                  application_receipt)

APP_NO = "QY2026112800001K"
GS_QR = b"\x1d(k"
CUT = b"\x1dV"


def receipt(queued=False) -> ReceiptDoc:
    return application_receipt(
        job_id="job-1", hall_name="杭州市西湖区便民服务中心", terminal_id="XH-07",
        matter_name="个体工商户设立登记", application_no=APP_NO, applicant_name="欧阳小明",
        applicant_id_number="33010619900307123X", submitted_at=dt.datetime(2026, 11, 28, 9, 30),
        time_limit_text="3个工作日", consult_phone="0571-87654321",
        complaint_phone="0571-12345678", queued=queued)


def printed(data: bytes, columns: int = 48):
    interp = EscposInterpreter(columns)
    interp.feed(data)
    assert len(interp.jobs) == 1
    return interp.jobs[0]


def test_starts_with_init_and_ends_with_cut():
    data = render(receipt())
    assert data.startswith(b"\x1b@")
    assert data.endswith(b"\x1dV\x00")


def test_chinese_is_in_chinese_mode_and_gb18030():
    data = render(receipt())
    for text in ("受理回执", "办理事项：个体工商户设立登记", "扫码查询办理进度"):
        assert FS_CHINESE_ON + text.encode("gb18030") in data
    assert data.count(FS_CHINESE_ON) == data.count(FS_CHINESE_OFF)
    assert "受理回执".encode("utf-8") not in data


def test_ascii_lines_stay_out_of_chinese_mode():
    assert encode_line("QY2026") == b"QY2026\n"
    assert encode_line("编号QY") == FS_CHINESE_ON + "编号QY".encode("gb18030") + FS_CHINESE_OFF + b"\n"


def test_qr_is_native_with_the_application_number():
    data = render(receipt())
    assert GS_QR + b"\x13\x001P0" + APP_NO.encode() in data   # fn 80: store the data
    assert GS_QR + b"\x03\x001Q0" in data                     # fn 81: print it
    assert data.index(GS_QR) < data.index(CUT)


def test_queued_receipt_has_no_qr_and_says_so():
    data = render(receipt(queued=True))
    assert GS_QR not in data
    assert "待上传回执".encode("gb18030") in data


def test_id_number_is_masked_on_paper():
    data = render(receipt())
    assert b"33010619900307123X" not in data
    assert b"3301**********123X" in data


def test_title_is_double_size_and_bold():
    data = render(receipt())
    title = data.index("受理回执".encode("gb18030"))
    assert b"\x1b!\x30" in data[:title]          # ESC ! double width + height
    assert b"\x1bE\x01" in data[:title]          # ESC E bold


def test_reprint_prints_a_visible_mark_first():
    doc = receipt().as_reprint("job-2")
    job = printed(render(doc))
    assert job.text_lines[0] == "【补打】"
    assert "【补打】" not in printed(render(receipt())).text_lines


@pytest.mark.parametrize("columns", [32, 48])
def test_every_line_fits_the_paper(columns):
    long = ReceiptDoc("j", "t", (
        Text("网络暂时中断，申请已安全保存在本机，网络恢复后自动上报，无需再次办理。" * 2, size=2),
        KeyValue("办理事项", "企业开办（含设立登记、公章刻制、申领发票、社保登记、公积金开户）一件事"),
        Separator("="), QrCode(APP_NO, caption="扫码查询办理进度"), Feed(2)))
    job = printed(render(long, columns), columns)
    assert job.overflow_lines == 0               # the printer never had to wrap by itself
    assert job.qr_codes == [APP_NO]


def test_characters_gbk_printers_cannot_print_are_replaced():
    assert printable("收费¥20") == "收费RMB20"
    assert printable("￥20元") == "RMB20元"
    assert printable("第②项 m²") == "第②项 m2"       # NFKC when it lands in GBK
    assert printable("吉\U00020BB7") == "吉?"         # CJK Ext-B: not in GBK, no glyph either
    assert printable("a\tb\x07") == "a b?"            # controls would be read as commands
    data = render(ReceiptDoc("j", "t", (KeyValue("费用", "¥0（免费）"),)))
    assert "RMB0".encode() in data and "¥".encode("gb18030") not in data


def test_newlines_in_text_start_new_lines():
    job = printed(render(ReceiptDoc("j", "t", (Text("第一行\n第二行"),))))
    assert job.text_lines == ["第一行", "第二行"]


def test_unknown_block_is_a_programming_error():
    with pytest.raises(TypeError):
        render(ReceiptDoc("j", "t", ("not a block",)))
