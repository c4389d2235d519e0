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


# -- raster mode, barcodes, rows ------------------------------------------------------------
from drivers.printer.escpos_render import GS_RASTER, RenderOptions, code128_stream  # noqa: E402
from drivers.printer.layout import display_width, format_row  # noqa: E402
from kiosk.domain.receipt import Barcode, Row  # noqa: E402


def test_raster_mode_sends_no_text_and_no_chinese_mode():
    data = render(receipt(), text_mode="raster", qr_mode="raster")
    assert FS_CHINESE_ON not in data and GS_QR not in data
    assert "受理".encode("gb18030") not in data
    assert data.count(GS_RASTER) >= 5 and data.endswith(b"\x1dV\x00")
    job = printed(data)
    assert job.text_lines == [] and job.image.width == 576


def test_raster_qr_with_native_text():
    data = render(receipt(), qr_mode="raster")
    assert GS_QR not in data and FS_CHINESE_ON in data and GS_RASTER in data


def test_render_options_reject_unknown_modes_and_widths():
    with pytest.raises(ValueError):
        RenderOptions(48, text_mode="bitmap")
    with pytest.raises(ValueError):
        RenderOptions(40)


@pytest.mark.parametrize("data, stream", [
    ("QY2026112800001K", b"{BQY{C\x14\x1a\x0b\x1c\x00\x00{B1K"),   # digit run in code set C
    ("TEST-01", b"{BTEST-01"),
    ("12345678", b"{C\x0c\x22\x38\x4e"),
])
def test_code128_stream_uses_code_sets_like_python_barcode(data, stream):
    assert code128_stream(data) == stream


def test_native_barcode_is_gs_k_code128_and_reads_back():
    data = render(ReceiptDoc("j", "t", (Barcode(APP_NO, caption="窗口扫码"),)))
    assert b"\x1dkI" + bytes([len(code128_stream(APP_NO))]) + code128_stream(APP_NO) in data
    job = printed(data)
    assert job.barcodes == [APP_NO]
    assert job.text_lines == [APP_NO, "窗口扫码"]


def test_barcode_too_long_for_the_paper_becomes_text():
    long = "X" * 40
    job = printed(render(ReceiptDoc("j", "t", (Barcode(long),)), 32), 32)
    assert job.barcodes == [] and "".join(job.text_lines) == long and job.overflow_lines == 0


@pytest.mark.parametrize("columns", [32, 48])
def test_rows_put_the_value_flush_right(columns):
    [line] = format_row("行政处罚", "1 条（已修复 1 条）", columns)
    assert line.startswith("行政处罚") and line.endswith("条）") and display_width(line) == columns
    lines = format_row("很长的类别名称" * 4, "12 条", columns)
    assert all(display_width(x) <= columns for x in lines) and lines[-1].endswith("12 条")
    job = printed(render(ReceiptDoc("j", "t", (Row("严重失信主体名单", "0 条"),)), columns), columns)
    assert job.text_lines[0].endswith("0 条") and job.overflow_lines == 0


def test_logo_is_printed_first_as_raster(tmp_path):
    from PIL import Image
    logo = tmp_path / "logo.png"
    Image.new("L", (200, 80), 0).save(logo)
    data = render(receipt(), logo=str(logo))
    assert data.index(GS_RASTER) < data.index(FS_CHINESE_ON)
