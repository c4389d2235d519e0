"""Builds device adapters from config with explicit maps — no import-time registration.

"sim" / "virtual" drivers start a wire-level simulator (a SAM reader on a pseudo-terminal, an
ESC/POS printer on a local TCP port) and connect the *real* driver to it, so the demo and the
tests exercise the same code as production; only the other end of the wire differs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config import IdCardConfig, PrinterConfig


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


def _printer_network(cfg: PrinterConfig, sims: Simulators, out_dir: Path):
    from drivers.printer.escpos_printer import EscposReceiptPrinter
    return EscposReceiptPrinter(cfg.host, cfg.port, columns=cfg.columns)


def _printer_virtual(cfg: PrinterConfig, sims: Simulators, out_dir: Path):
    from drivers.printer.escpos_printer import EscposReceiptPrinter
    from drivers.printer.virtual import VirtualPrinterServer
    sims.printer = VirtualPrinterServer(host="127.0.0.1", port=0, out_dir=out_dir / "receipts")
    host, port = sims.printer.start()
    sims.stoppers.append(sims.printer.stop)
    return EscposReceiptPrinter(host, port, columns=cfg.columns)


IDCARD_DRIVERS = {"serial": _idcard_serial, "sim": _idcard_sim}
PRINTER_DRIVERS = {"network": _printer_network, "virtual": _printer_virtual}


def build_idcard(cfg: IdCardConfig, sims: Simulators, out_dir: Path):
    return IDCARD_DRIVERS[cfg.driver](cfg, sims, out_dir)


def build_printer(cfg: PrinterConfig, sims: Simulators, out_dir: Path):
    return PRINTER_DRIVERS[cfg.driver](cfg, sims, out_dir)
