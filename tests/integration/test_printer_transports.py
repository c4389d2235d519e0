"""Serial, device-file and USB transports, each with the virtual printer's interpreter on the
other end: a pseudo-terminal for serial and device files (os.openpty), a fake pyusb device
for USB (no USB hardware here: it checks our endpoint handling, not libusb)."""
import time

import pytest

from drivers.printer.escpos_printer import ALREADY_PRINTED, ONE_WAY, EscposReceiptPrinter
from drivers.printer.escpos_render import render
from drivers.printer.profiles import printer_for
from drivers.printer.samples import APPLICATION_NO, sample
from drivers.printer.transports import FileTransport, SerialTransport, UsbTransport
from drivers.printer.virtual import EscposInterpreter, VirtualSerialPrinter
from kiosk.config import PrinterConfig
from kiosk.ports import DeviceState


@pytest.fixture
def serial_printer(tmp_path):
    dev = VirtualSerialPrinter(link=tmp_path / "printer")   # like udev's /dev/printer symlink
    dev.start()
    yield dev
    dev.stop()


def test_serial_print_and_status_over_a_pty(serial_printer):
    cfg = PrinterConfig(driver="serial", serial_port=str(serial_printer.link), baudrate=115200, timeout_s=1)
    printer = printer_for(cfg)
    assert printer.status().state is DeviceState.OK
    result = printer.print(sample("application"))
    assert result.ok and result.status.state is DeviceState.OK
    [job] = serial_printer.jobs
    assert "受理回执" in job.text_lines and job.qr_codes == [APPLICATION_NO] and job.overflow_lines == 0
    assert printer.print(sample("application")).message == ALREADY_PRINTED
    serial_printer.paper = "near_end"
    assert printer.status().state is DeviceState.PAPER_NEAR_END
    serial_printer.cover_open = True
    assert printer.status().state is DeviceState.COVER_OPEN


def test_serial_unplug_and_replug(serial_printer):
    printer = printer_for(PrinterConfig(driver="serial", serial_port=str(serial_printer.link), timeout_s=0.5))
    assert printer.print(sample("evaluation")).ok
    serial_printer.stop()                        # USB-serial adapter pulled: the port is gone
    gone = printer.print(sample("progress"))
    assert not gone.ok and gone.status.state is DeviceState.ABSENT
    serial_printer.start()                       # plugged in again: a new tty, the same name
    assert printer.print(sample("progress")).ok
    assert [j.text_lines[1] for j in serial_printer.jobs] == ["感谢您的评价", "办件进度单"]


def test_serial_paper_out_mid_slip(serial_printer):
    printer = printer_for(PrinterConfig(driver="serial", serial_port=str(serial_printer.link), timeout_s=1))
    serial_printer.run_out_after(200)
    result = printer.print(sample("credit"))
    assert not result.ok and result.status.state is DeviceState.PAPER_OUT
    assert serial_printer.jobs[0].incomplete


def test_serial_raster_slip_takes_the_wire_time(tmp_path):
    """At 115200 baud a raster slip (~45 kB) needs ~4 s on the wire: the pty device is paced."""
    dev = VirtualSerialPrinter(baud=115200, columns=32)
    port = dev.start()
    try:
        cfg = PrinterConfig(driver="serial", serial_port=port, text_mode="raster", qr_mode="raster",
                            columns=32, timeout_s=2)
        start = time.monotonic()
        result = printer_for(cfg).print(sample("evaluation", 32, "raster"))
        elapsed = time.monotonic() - start
    finally:
        dev.stop()
    size = len(render(sample("evaluation", 32, "raster"), 32, text_mode="raster", qr_mode="raster"))
    assert result.ok and dev.jobs[0].image.width == 384
    assert elapsed >= size * 10 / 115200 * 0.8


def test_device_file_on_a_pty_is_bidirectional(serial_printer):
    printer = EscposReceiptPrinter(transport=FileTransport(serial_printer.path, timeout=1), timeout=1)
    assert printer.status().state is DeviceState.OK
    serial_printer.paper = "out"
    assert printer.status().state is DeviceState.PAPER_OUT
    serial_printer.paper = "ok"
    assert printer.print(sample("queued")).ok and len(serial_printer.jobs) == 1


def test_plain_file_is_a_capture_without_status(tmp_path):
    capture = tmp_path / "capture.bin"
    printer = printer_for(PrinterConfig(driver="file", device=str(capture)))
    status = printer.status()
    assert status.state is DeviceState.OK and status.detail == ONE_WAY
    assert printer.print(sample("application")).ok and printer.print(sample("queued")).ok
    interp = EscposInterpreter()
    interp.feed(capture.read_bytes())
    assert [job.text_lines[1] for job in interp.jobs] == ["受理回执", "待上传回执"]


def test_missing_device_file_directory_is_absent(tmp_path):
    printer = printer_for(PrinterConfig(driver="file", device=str(tmp_path / "no" / "lp0")))
    assert printer.print(sample("test")).status.state is DeviceState.ABSENT


# -- USB -------------------------------------------------------------------------------------
class _Endpoint:
    wMaxPacketSize = 64

    def __init__(self, address, device):
        self.bEndpointAddress, self.device = address, device

    def write(self, data, timeout):
        self.device.pending += self.device.interp.feed(bytes(data))
        return len(data)

    def read(self, size, timeout):
        import usb.core
        if not self.device.pending:
            raise usb.core.USBTimeoutError("timeout", errno=110)
        n = self.device.pending.pop(0)
        return bytes([{1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E if self.device.near_end else 0x12}[n]])


class _FakeUsbPrinter:
    def __init__(self):
        self.interp, self.pending, self.near_end = EscposInterpreter(), [], False
        self.detached = False
        self.endpoints = [_Endpoint(0x01, self), _Endpoint(0x82, self)]

    def is_kernel_driver_active(self, i):
        return not self.detached

    def detach_kernel_driver(self, i):
        self.detached = True

    def set_configuration(self):
        return None

    def get_active_configuration(self):
        return {(0, 0): self.endpoints}


def test_usb_transport_detaches_usblp_and_talks_bulk(monkeypatch):
    usb = pytest.importorskip("usb.core")
    fake = _FakeUsbPrinter()
    seen = {}

    def find(idVendor, idProduct):
        seen["ids"] = (idVendor, idProduct)
        return fake

    monkeypatch.setattr(usb, "find", find)
    monkeypatch.setattr("usb.util.dispose_resources", lambda dev: None)
    printer = printer_for(PrinterConfig(driver="usb", usb_vendor_id=0x0416, usb_product_id=0x5011))
    fake.near_end = True
    result = printer.print(sample("application"))
    assert seen["ids"] == (0x0416, 0x5011) and fake.detached
    assert result.ok and result.status.state is DeviceState.PAPER_NEAR_END
    assert fake.interp.jobs[0].qr_codes == [APPLICATION_NO]


def test_usb_device_not_found_is_absent(monkeypatch):
    usb = pytest.importorskip("usb.core")
    monkeypatch.setattr(usb, "find", lambda **kw: None)
    printer = EscposReceiptPrinter(transport=UsbTransport(0x0416, 0x5011))
    status = printer.status()
    assert status.state is DeviceState.ABSENT and "0416:5011" in status.detail


def test_serial_port_that_does_not_exist_is_absent(tmp_path):
    printer = EscposReceiptPrinter(transport=SerialTransport(str(tmp_path / "ttyUSB9")))
    assert printer.status().state is DeviceState.ABSENT
