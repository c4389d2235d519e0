"""`kiosk device print` / `printer-status`, called the way terminal/cli.py calls them."""
import argparse
import json

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from drivers.printer import cli
from drivers.printer.samples import APPLICATION_NO
from drivers.printer.virtual import EscposInterpreter, VirtualPrinterServer
from kiosk.config import KioskConfig


def run(argv, cfg=None):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = p.parse_args(argv)
    return args.func(args, cfg or KioskConfig())


def test_print_to_file_and_png(tmp_path, capsys):
    out, png = tmp_path / "a.bin", tmp_path / "a.png"
    assert run(["print", "--template", "application", "--sample", "--width", "58",
                "--out", str(out), "--png", str(png)]) == 0
    interp = EscposInterpreter(32)
    interp.feed(out.read_bytes())
    assert "受理回执" in interp.jobs[0].text_lines
    image = Image.open(png)
    assert image.width == 384
    assert [r.text for r in zxingcpp.read_barcodes(np.asarray(image.convert("L")))] == [APPLICATION_NO]
    assert "欧阳小明" not in capsys.readouterr().out


def test_raster_mode_file_is_bigger_and_has_no_chinese_mode(tmp_path):
    native, raster = tmp_path / "n.bin", tmp_path / "r.bin"
    assert run(["print", "--template", "test", "--sample", "--out", str(native)]) == 0
    assert run(["print", "--template", "test", "--sample", "--mode", "raster", "--out", str(raster)]) == 0
    assert raster.stat().st_size > 20 * native.stat().st_size
    assert b"\x1c&" not in raster.read_bytes() and b"\x1c&" in native.read_bytes()


def test_print_on_a_network_printer_and_its_status(capsys):
    srv = VirtualPrinterServer()
    host, port = srv.start()
    try:
        assert run(["print", "--template", "progress", "--sample", "--printer", f"tcp://{host}:{port}"]) == 0
        assert run(["print", "--template", "progress", "--sample", "--printer", f"tcp://{host}:{port}"]) == 0
        srv.paper = "near_end"
        assert run(["printer-status", "--printer", f"tcp://{host}:{port}", "--json"]) == 0
        srv.paper = "out"
        assert run(["printer-status", "--printer", f"tcp://{host}:{port}"]) == 1
        assert run(["print", "--template", "test", "--sample", "--printer", f"tcp://{host}:{port}"]) == 1
    finally:
        srv.stop()
    assert len(srv.jobs) == 2                    # a technician's repeat is a new job
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[2])["state"] == "paper_near_end"
    assert "paper_out" in lines[3] and "缺纸" in lines[4]


def test_print_on_the_configured_virtual_printer(tmp_path):
    png = tmp_path / "v.png"
    assert run(["print", "--template", "evaluation", "--sample", "--printer", "receipt", "--png", str(png)]) == 0
    assert Image.open(png).width == 576


def test_credit_pdf(tmp_path):
    pdf = tmp_path / "r.pdf"
    assert run(["print", "--template", "credit", "--sample", "--out", str(tmp_path / "c.bin"),
                "--pdf", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run(["print", "--template", "credit", "--sample", "--out", str(tmp_path / "c.bin"),
                "--pdf", str(pdf), "--a4"]) == 1          # no a4_queue configured
    assert run(["print", "--template", "test", "--sample", "--out", str(tmp_path / "t.bin"),
                "--pdf", str(pdf)]) == 2


@pytest.mark.parametrize("argv", [
    ["print", "--template", "test", "--out", "x.bin"],                       # no --sample
    ["print", "--template", "test", "--sample", "--printer", "lp0"],         # unknown target
    ["printer-status"],                                                      # config is virtual
])
def test_usage_errors_exit_2(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(argv) == 2


def test_absent_printer_exits_1():
    assert run(["printer-status", "--printer", "tcp://127.0.0.1:9"]) == 1
