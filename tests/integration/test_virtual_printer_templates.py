"""Every template, both widths, both text modes: printed over TCP to the virtual printer and
read back — the Chinese between FS & and FS . decoded as GB18030, codes decoded by zxing-cpp
from the PNG as a phone or a counter scanner would. PNGs: test-out/printer/templates/."""
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from drivers.printer.escpos_printer import EscposReceiptPrinter
from drivers.printer.escpos_render import RenderOptions, render
from drivers.printer.samples import APPLICATION_NO, TEMPLATES, credit_report, sample
from drivers.printer.virtual import VirtualPrinterServer, render_png

OUT = Path(__file__).resolve().parents[2] / "test-out" / "printer" / "templates"
CHINESE = re.compile(rb"\x1c&(.*?)\x1c\.", re.S)

# The 58 mm 受理回执, line by line as it must come out (checked by eye against the PNG).
APPLICATION_58MM_CHINESE_LINES = [
    "杭州市西湖区便民服务中心", "受理回执",
    "办理事项：企业开办（含设立登记、", "          公章刻制、申领发票、社",
    "          保登记、公积金开户）一", "          件事",
    "申请编号：QY2026112800001K", "申请人：欧**明", "证件号码：3301**********1236",
    "提交时间：2026-11-28 09:30", "办理时限：3个工作日", "终端编号：XH-KIOSK-07",
    "扫码查询办理进度", "咨询电话：0571-87654321",
    "监督投诉：0571-12345678（或拨打", "          12345）",
]


def decode(image: Image.Image) -> list[str]:
    pixels = np.asarray(image.convert("L"))
    return sorted(r.text for r in zxingcpp.read_barcodes(pixels))


@pytest.fixture(scope="module", autouse=True)
def clean_out():
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)


def test_chinese_between_fs_markers_is_exactly_the_intended_lines():
    data = render(sample("application", 32), 32)
    segments = [m.group(1).decode("gb18030") for m in CHINESE.finditer(data)]
    assert segments == APPLICATION_58MM_CHINESE_LINES
    # Outside Chinese mode only ASCII and command bytes: no byte a printer would take from
    # its code page (PC437) and print as junk.
    assert all(b < 0x80 for b in CHINESE.sub(b"", data))


@pytest.mark.parametrize("columns", [32, 48], ids=["58mm", "80mm"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_template_prints_and_reads_back(template, columns):
    srv = VirtualPrinterServer(columns=columns)
    host, port = srv.start()
    try:
        doc = sample(template, columns)
        result = EscposReceiptPrinter(host, port, columns=columns, timeout=2).print(doc)
    finally:
        srv.stop()
    assert result.ok
    [job] = srv.jobs
    assert job.overflow_lines == 0 and job.cut
    # Every Chinese segment the printer decoded is a line it printed, in order.
    segments = [m.group(1).decode("gb18030") for m in CHINESE.finditer(job.raw)]
    printed_chinese = [line for line in job.text_lines if not line.isascii()]
    assert [s.rstrip() for s in segments] == printed_chinese
    assert all("?" not in line for line in job.text_lines)
    name = f"{template}-{'58' if columns == 32 else '80'}mm.png"
    job.image.save(OUT / name)
    expected = {"application": [APPLICATION_NO], "progress": [APPLICATION_NO],
                "credit": [credit_report().verify_url], "test": ["TEST-XH-KIOSK-07", "TEST202611280930"]}
    assert decode(Image.open(OUT / name)) == expected.get(template, [])
    assert sorted(job.qr_codes + job.barcodes) == expected.get(template, [])


@pytest.mark.parametrize("columns", [32, 48], ids=["58mm", "80mm"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_raster_mode_prints_the_same_dots_as_native(template, columns):
    native = render_png(render(sample(template, columns), columns), OUT / "n.png", columns)[0]
    opts = RenderOptions(columns, "raster", "raster")
    raster = render_png(render(sample(template, columns), options=opts), OUT / "r.png", columns)[0]
    a, b = np.asarray(native.image), np.asarray(raster.image)
    assert a.shape == b.shape
    assert (a != b).sum() == 0
    if template == "application":
        raster.image.save(OUT / f"application-{'58' if columns == 32 else '80'}mm-raster.png")
        assert decode(raster.image) == [APPLICATION_NO]
