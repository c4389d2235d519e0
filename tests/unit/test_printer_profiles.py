"""Printer profiles from config: new keys, model checks, --printer targets, factory map."""
import pytest

from drivers.factory import PRINTER_DRIVERS
from drivers.printer.profiles import ProfileError, model_problems, options_for, resolve, transport_for
from drivers.printer.transports import FileTransport, NetworkTransport, SerialTransport, UsbTransport
from kiosk.config import ConfigError, PrinterConfig, load_config


def test_old_printer_sections_still_load(tmp_path):
    p = tmp_path / "k.toml"
    p.write_text('[printer]\ndriver = "network"\nhost = "192.0.2.10"\nport = 9100\ncolumns = 32\n', "utf-8")
    cfg = load_config(p).printer
    assert (cfg.driver, cfg.host, cfg.port, cfg.columns, cfg.text_mode) == ("network", "192.0.2.10", 9100, 32, "native")


def test_full_serial_profile_loads(tmp_path):
    p = tmp_path / "k.toml"
    p.write_text('[printer]\ndriver = "serial"\nserial_port = "/dev/printer"\nbaudrate = 9600\n'
                 'flow_control = "rtscts"\ntext_mode = "raster"\nqr_mode = "raster"\nmodel = "POS-5890"\n'
                 'columns = 32\nusb_vendor_id = 0x0416\na4_queue = "hall-a4"\n', "utf-8")
    cfg = load_config(p).printer
    assert cfg.usb_vendor_id == 0x0416 and cfg.flow_control == "rtscts" and cfg.a4_queue == "hall-a4"
    assert isinstance(transport_for(cfg), SerialTransport)
    assert options_for(cfg).text_mode == "raster"


@pytest.mark.parametrize("line, key", [('text_mode = "bitmap"', "printer.text_mode"),
                                       ('driver = "bluetooth"', "printer.driver"),
                                       ('flow_control = "dtr"', "printer.flow_control")])
def test_bad_choices_name_the_key(tmp_path, line, key):
    p = tmp_path / "k.toml"
    p.write_text(f"[printer]\n{line}\n", "utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(p)


def test_model_problems_are_explained():
    assert model_problems(PrinterConfig()) == []
    assert "512" in model_problems(PrinterConfig(model="TM-T88V"))[0]          # 42-column printer
    assert "qr_mode" in model_problems(PrinterConfig(model="POS-5890", columns=32))[0]
    assert model_problems(PrinterConfig(model="POS-5890", columns=32, qr_mode="raster")) == []
    with pytest.raises(ProfileError, match="unknown model"):
        options_for(PrinterConfig(model="XP-58-imaginary"))


def test_transports_per_driver():
    assert isinstance(transport_for(PrinterConfig(driver="network")), NetworkTransport)
    assert isinstance(transport_for(PrinterConfig(driver="file")), FileTransport)
    assert isinstance(transport_for(PrinterConfig(driver="usb", usb_vendor_id=1, usb_product_id=2)), UsbTransport)
    with pytest.raises(ProfileError, match="usb_vendor_id"):
        transport_for(PrinterConfig(driver="usb"))
    assert set(PRINTER_DRIVERS) == {"network", "serial", "file", "usb", "virtual"}


@pytest.mark.parametrize("target, expect", [
    ("receipt", dict(driver="virtual")),
    ("tcp://192.0.2.7:9101", dict(driver="network", host="192.0.2.7", port=9101)),
    ("tcp://192.0.2.7", dict(driver="network", port=9100)),
    ("serial:///dev/ttyUSB1?baud=9600&flow=rtscts", dict(driver="serial", serial_port="/dev/ttyUSB1",
                                                       baudrate=9600, flow_control="rtscts")),
    ("file:///dev/usb/lp1", dict(driver="file", device="/dev/usb/lp1")),
    ("usb://0416:5011", dict(driver="usb", usb_vendor_id=0x0416, usb_product_id=0x5011)),
])
def test_printer_targets(target, expect):
    cfg = resolve(target, PrinterConfig())
    assert {k: getattr(cfg, k) for k in expect} == expect


def test_unknown_target_lists_the_forms():
    with pytest.raises(ProfileError, match="tcp://HOST:PORT"):
        resolve("lp0", PrinterConfig())
