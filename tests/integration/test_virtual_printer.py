"""EscposReceiptPrinter -> VirtualPrinterServer over real TCP on 127.0.0.1.

PNGs land in test-out/printer/<test>/ (receipt-80mm.png and receipt-58mm.png are the ones
to look at); the QR in them is decoded back with zxing-cpp, as a phone would.
"""
import datetime as dt
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image

from drivers.printer.escpos_printer import EscposReceiptPrinter, status_from_bytes
from drivers.printer.escpos_render import render
from drivers.printer.glyphs import Cell as _Cell
from drivers.printer.glyphs import glyph as _glyph
from drivers.printer.virtual import EscposInterpreter, VirtualPrinterServer, render_png
from kiosk.domain.receipt import application_receipt
from kiosk.ports import DeviceState

APP_NO = "QY2026112800001K"
FULL_ID = "33010619900307123X"
OUT = Path(__file__).resolve().parents[2] / "test-out" / "printer"


def receipt(job_id="job-1", queued=False):
    return application_receipt(
        job_id=job_id, hall_name="杭州市西湖区便民服务中心", terminal_id="XH-KIOSK-07",
        matter_name="企业开办（含设立登记、公章刻制、申领发票、社保登记、公积金开户）一件事",
        application_no=APP_NO, applicant_name="欧阳小明", applicant_id_number=FULL_ID,
        submitted_at=dt.datetime(2026, 11, 28, 9, 30), time_limit_text="3个工作日",
        consult_phone="0571-87654321", complaint_phone="0571-12345678", queued=queued)


def decode_qr(path: Path) -> list[str]:
    pixels = np.asarray(Image.open(path).convert("L"))
    return [r.text for r in zxingcpp.read_barcodes(pixels)]


@pytest.fixture
def out_dir(request):
    path = OUT / request.node.name.replace("[", "-").rstrip("]")
    shutil.rmtree(path, ignore_errors=True)
    return path


@pytest.fixture
def server(out_dir):
    srv = VirtualPrinterServer(out_dir=out_dir)
    srv.start()
    yield srv
    srv.stop()


def printer_for(srv, **kw) -> EscposReceiptPrinter:
    host, port = srv._server.server_address[:2]
    return EscposReceiptPrinter(host, port, timeout=2.0, **kw)


@pytest.mark.parametrize("columns, width_px, name", [(48, 576, "receipt-80mm.png"),
                                                     (32, 384, "receipt-58mm.png")],
                         ids=["80mm", "58mm"])
def test_prints_application_receipt_with_chinese_and_scannable_qr(out_dir, columns, width_px, name):
    srv = VirtualPrinterServer(out_dir=out_dir, columns=columns)
    host, port = srv.start()
    try:
        result = EscposReceiptPrinter(host, port, columns=columns).print(receipt())
    finally:
        srv.stop()
    assert result.ok and result.status.state is DeviceState.OK and result.job_id == "job-1"
    [job] = srv.jobs
    lines = job.text_lines
    assert "受理回执" in lines
    assert "杭州市西湖区便民服务中心" in lines
    assert lines[lines.index("受理回执") + 2].startswith("办理事项：企业开办（含设立登记")
    assert "申请编号：" + APP_NO in lines
    assert "证件号码：3301**********123X" in lines
    assert "申请人：欧**明" in lines
    assert not any(FULL_ID in line or "欧阳小明" in line for line in lines)
    assert job.overflow_lines == 0 and job.qr_codes == [APP_NO]

    png = out_dir / "job-1.png"
    assert png.exists() and (out_dir / "job-1.bin").read_bytes() == job.raw
    assert Image.open(png).width == width_px
    assert decode_qr(png) == [APP_NO]
    shutil.copy(png, OUT / name)


def test_font_draws_hanzi_not_boxes():
    tofu = _glyph(_Cell("\U0010FFFD", 2, 1, 1, False)).tobytes()
    glyphs = {_glyph(_Cell(ch, 2, 1, 1, False)).tobytes() for ch in "受理回执补打"}
    assert len(glyphs) == 6 and tofu not in glyphs


def test_paper_out_refuses_and_prints_nothing(server):
    printer = printer_for(server)
    server.paper = "out"
    result = printer.print(receipt())
    assert not result.ok
    assert result.status.state is DeviceState.PAPER_OUT
    assert result.message == "打印机缺纸，请联系工作人员"
    assert server.jobs == []
    assert printer.status().state is DeviceState.PAPER_OUT

    server.paper = "ok"                          # staff reloads paper: the same job now prints
    assert printer.print(receipt()).ok
    assert len(server.jobs) == 1


def test_printer_discards_data_while_out_of_paper(server):
    server.paper = "out"
    with socket.create_connection(server._server.server_address[:2]) as sock:
        sock.sendall(render(receipt()) + b"\x10\x04\x04")
        assert sock.recv(1) == b"\x7e"           # paper end + near end + fixed bits
    assert server.jobs == []


def test_near_end_still_prints(server):
    server.paper = "near_end"
    printer = printer_for(server)
    result = printer.print(receipt())
    assert result.ok and result.status.state is DeviceState.PAPER_NEAR_END
    assert len(server.jobs) == 1
    assert printer.status().state is DeviceState.PAPER_NEAR_END


def test_cover_open_refuses(server):
    server.cover_open = True
    result = printer_for(server).print(receipt())
    assert not result.ok and result.status.state is DeviceState.COVER_OPEN
    assert "盖" in result.message and server.jobs == []


def test_same_job_id_prints_once_and_reprint_prints_again(server):
    printer = printer_for(server)
    first, again = printer.print(receipt("job-7")), printer.print(receipt("job-7"))
    assert first.ok and again.ok and again.message == "已打印"
    assert len(server.jobs) == 1

    reprint = printer.print(receipt("job-7").as_reprint("job-8"))
    assert reprint.ok and len(server.jobs) == 2
    assert server.jobs[1].text_lines[0] == "【补打】"


def test_stopped_printer_is_absent_without_exception(server):
    printer = printer_for(server)
    server.stop()
    result = printer.print(receipt())
    assert not result.ok and result.status.state is DeviceState.ABSENT
    assert result.message.startswith("打印机未连接")
    assert printer.status().state is DeviceState.ABSENT


def test_silent_device_is_a_fault_not_a_hang():
    with socket.create_server(("127.0.0.1", 0)) as silent:   # accepts (backlog), never answers
        printer = EscposReceiptPrinter("127.0.0.1", silent.getsockname()[1], timeout=0.3)
        status = printer.status()
        result = printer.print(receipt())
    assert status.state is DeviceState.FAULT and status.code == "no_status_reply"
    assert not result.ok and result.message == "打印机故障，请联系工作人员"


def test_status_byte_mapping():
    assert status_from_bytes(0x12, 0x12, 0x12).state is DeviceState.OK
    assert status_from_bytes(0x12, 0x12, 0x1E).state is DeviceState.PAPER_NEAR_END
    assert status_from_bytes(0x1A, 0x32, 0x72).state is DeviceState.PAPER_OUT
    assert status_from_bytes(0x1A, 0x16, 0x12).state is DeviceState.COVER_OPEN
    assert status_from_bytes(0x1A, 0x52, 0x12).code == "printer_error"
    assert status_from_bytes(0x1A, 0x1A, 0x12).state is DeviceState.BUSY
    assert status_from_bytes(0x00, 0x12, 0x12).code == "bad_status_reply"


def test_interpreter_handles_any_chunking_and_unknown_commands():
    data = render(receipt())
    whole = EscposInterpreter()
    whole.feed(data)
    bytewise = EscposInterpreter()
    for i in range(len(data)):
        bytewise.feed(data[i:i + 1])
    assert bytewise.jobs[0].text_lines == whole.jobs[0].text_lines

    noisy = EscposInterpreter()
    noisy.feed(b"\x1b@\x1bt\x00\x1d\x7f\x1b\x7f\x1c\x7f\x1dL\x00\x00\x1bD\x08\x10\x00"
               b"\x1d(A\x02\x00\x00\x00\x1c&" + "中文".encode("gb18030") + b"\x1c.OK\n\x1dV\x00")
    assert noisy.jobs[0].text_lines == ["中文OK"]


def test_hanzi_without_fs_ampersand_print_as_junk():
    """Why escpos_render wraps Chinese in FS & ... FS .: python-escpos's own text() does not."""
    p = Dummy()
    p.text("受理回执\n")
    p.cut()
    interp = EscposInterpreter()
    interp.feed(p.output)
    assert interp.jobs[0].text_lines[0] != "受理回执"


def test_raster_image_is_drawn(tmp_path):
    p = Dummy()
    p.image(Image.new("1", (64, 32), 0))         # all black, sent as GS v 0
    p.cut()
    [job] = render_png(p.output, tmp_path / "img.png")
    assert np.asarray(job.image).min() == 0 and (tmp_path / "img.png").exists()
