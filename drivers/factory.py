"""Builds device adapters from config with explicit maps — no import-time registration.

"sim" / "virtual" drivers start a wire-level simulator (a SAM reader on a pseudo-terminal, an
ESC/POS printer on a local TCP port) and connect the *real* driver to it, so the demo and the
tests exercise the same code as production; only the other end of the wire differs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config import IdCardConfig, PrinterConfig, ScannerConfig


@dataclass
class Simulators:
    """The simulated hardware, kept so the dev dock and the autopilot can drive it."""
    sam: object | None = None
    printer: object | None = None
    stoppers: list = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self.stoppers):
            stop()
        self.stoppers.clear()


def _serial_reader(cfg: IdCardConfig, port: str):
    from drivers.idcard.reader import SerialIdCardReader
    return SerialIdCardReader(port, baudrate=cfg.baudrate, poll_interval=cfg.poll_interval_s)


def _idcard_serial(cfg: IdCardConfig, sims: Simulators, out_dir: Path):
    return _serial_reader(cfg, cfg.port)


def _idcard_sim(cfg: IdCardConfig, sims: Simulators, out_dir: Path):
    from drivers.idcard.simulator import SamSimulator
    sims.sam = SamSimulator(baud=cfg.baudrate)
    port = sims.sam.start()
    sims.stoppers.append(sims.sam.stop)
    return _serial_reader(cfg, port)


def _printer_real(cfg: PrinterConfig, sims: Simulators, out_dir: Path):
    """network | serial | file | usb: the transport comes from the profile (profiles.py)."""
    from drivers.printer.profiles import printer_for
    return printer_for(cfg)


def _printer_virtual(cfg: PrinterConfig, sims: Simulators, out_dir: Path):
    import dataclasses

    from drivers.printer.profiles import printer_for
    from drivers.printer.virtual import VirtualPrinterServer
    sims.printer = VirtualPrinterServer(host="127.0.0.1", port=0, out_dir=out_dir / "receipts",
                                        columns=cfg.columns)
    host, port = sims.printer.start()
    sims.stoppers.append(sims.printer.stop)
    return printer_for(dataclasses.replace(cfg, driver="network", host=host, port=port))


def _scanner_none(cfg: ScannerConfig, sims: Simulators, out_dir: Path):
    from drivers.scanner.null import NoScanner
    return NoScanner()


def _scanner_camera(cfg: ScannerConfig, sims: Simulators, out_dir: Path):
    from drivers.scanner.camera import CameraScanner
    from drivers.scanner.capture import CvSource
    source = CvSource(cfg.device, width=cfg.width, height=cfg.height, fps=cfg.fps)
    return CameraScanner(source, dedupe_window_s=cfg.dedupe_window_s)


def _scanner_serial(cfg: ScannerConfig, sims: Simulators, out_dir: Path):
    from drivers.scanner.serial_scanner import SerialCodeScanner
    return SerialCodeScanner(cfg.port, baudrate=cfg.baudrate, dedupe_window_s=cfg.dedupe_window_s)


def _scanner_images(cfg: ScannerConfig, sims: Simulators, out_dir: Path):
    # The real camera adapter on a simulated camera: the dev dock reaches the simulator as
    # `scanner.source` (SimulatedCamera.show_payload / show_image).
    from drivers.scanner.camera import CameraScanner
    from drivers.scanner.simulator import SimulatedCamera
    source = SimulatedCamera(cfg.images_dir, fps=cfg.fps, size=(cfg.width, cfg.height))
    return CameraScanner(source, dedupe_window_s=cfg.dedupe_window_s)


IDCARD_DRIVERS = {"serial": _idcard_serial, "sim": _idcard_sim}
PRINTER_DRIVERS = {"network": _printer_real, "serial": _printer_real, "file": _printer_real,
                   "usb": _printer_real, "virtual": _printer_virtual}
SCANNER_DRIVERS = {"none": _scanner_none, "camera": _scanner_camera, "serial": _scanner_serial,
                   "images": _scanner_images}


def build_idcard(cfg: IdCardConfig, sims: Simulators, out_dir: Path):
    return IDCARD_DRIVERS[cfg.driver](cfg, sims, out_dir)


def build_printer(cfg: PrinterConfig, sims: Simulators, out_dir: Path):
    return PRINTER_DRIVERS[cfg.driver](cfg, sims, out_dir)


def build_scanner(cfg: ScannerConfig, sims: Simulators, out_dir: Path):
    return SCANNER_DRIVERS[cfg.driver](cfg, sims, out_dir)


def build_still_camera(scanner):
    """Material photos come from the scanner's camera (the same frames as its preview); a
    kiosk without a camera (driver "none" or "serial") gets one that says so."""
    from drivers.scanner.camera import CameraScanner
    from drivers.scanner.still import FrameStillCamera, NoStillCamera
    if isinstance(scanner, CameraScanner):
        return FrameStillCamera(scanner.latest_frame, scanner.status)
    return NoStillCamera()


def build_report_printer(cfg: PrinterConfig, out_dir: Path):
    """A4 credit reports: PDFs kept in out_dir/reports, sent to CUPS when printer.a4_queue is set."""
    from drivers.printer.a4 import A4ReportPrinter
    return A4ReportPrinter(out_dir / "reports", cfg.a4_queue)
