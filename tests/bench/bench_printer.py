"""Printer path numbers (a plain script, not collected by pytest).

    .venv/bin/python tests/bench/bench_printer.py

1. Bytes per slip and render() time, every template x paper width x text mode (native|raster),
   and the transfer time those bytes imply: 115200 baud serial (10 bits a byte) and USB 1.1
   full speed (12 Mbit/s; 64-byte bulk packets, at most 19 a 1-ms frame = 1.216 MB/s, a
   best case: a printer's USB side often takes less).
2. The same slip really sent over a pseudo-terminal paced at 115200 baud (status before, data,
   status after), native and raster.
3. print() over TCP to the virtual printer, and the virtual printer's PNG drawing time.
docs/printing.md records a run and the default chosen from it.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from drivers.printer.escpos_printer import EscposReceiptPrinter  # noqa: E402
from drivers.printer.escpos_render import RenderOptions, render  # noqa: E402
from drivers.printer.profiles import printer_for  # noqa: E402
from drivers.printer.samples import TEMPLATES, sample  # noqa: E402
from drivers.printer.virtual import EscposInterpreter, VirtualPrinterServer, VirtualSerialPrinter  # noqa: E402
from kiosk.config import PrinterConfig  # noqa: E402

SERIAL_BPS = 115200 / 10           # bytes per second at 115200 baud, 8N1
USB_FS_BPS = 64 * 19 * 1000        # USB 1.1 full-speed bulk ceiling, bytes per second
DOTS_PER_MM = 8                    # 203 dpi


def timed(fn, runs: int) -> tuple[float, float]:
    """Median and max in milliseconds."""
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def sizes() -> dict:
    print("== bytes per slip, render time, implied transfer time")
    print(f"{'template':<11} {'paper':>5} {'mode':<6} {'bytes':>7} {'render ms':>9} "
          f"{'115200 baud':>11} {'USB FS':>8} {'paper mm':>8}")
    totals: dict = {}
    for template in TEMPLATES:
        for columns in (32, 48):
            for mode in ("native", "raster"):
                opts = RenderOptions(columns, mode, mode)
                doc = sample(template, columns, mode)
                data = render(doc, options=opts)
                med, _ = timed(lambda i: render(doc, options=opts), 20 if mode == "raster" else 100)
                interp = EscposInterpreter(columns)
                interp.feed(data)
                length_mm = interp.jobs[0].image.height / DOTS_PER_MM
                paper = "58mm" if columns == 32 else "80mm"
                print(f"{template:<11} {paper:>5} {mode:<6} {len(data):>7} {med:>9.2f} "
                      f"{len(data) / SERIAL_BPS * 1000:>9.0f}ms {len(data) / USB_FS_BPS * 1000:>6.1f}ms "
                      f"{length_mm:>8.0f}")
                totals.setdefault((paper, mode), []).append(len(data))
    print()
    for (paper, mode), values in sorted(totals.items()):
        print(f"mean {paper} {mode:<6}: {statistics.mean(values):>8.0f} bytes")
    return totals


def serial_measured() -> None:
    print("\n== application receipt over a pty paced at 115200 baud (status, data, status)")
    for mode in ("native", "raster"):
        dev = VirtualSerialPrinter(baud=115200)
        port = dev.start()
        try:
            printer = printer_for(PrinterConfig(driver="serial", serial_port=port, text_mode=mode,
                                                qr_mode=mode, timeout_s=5))
            med, worst = timed(lambda i: printer.print(sample("application", 48, mode).as_reprint(f"j{i}")), 3)
        finally:
            dev.stop()
        assert len(dev.jobs) == 3
        print(f"{mode:<6}: median {med:.0f} ms, max {worst:.0f} ms")


def tcp_and_drawing() -> None:
    print("\n== TCP to the virtual printer, and its drawing")
    doc = sample("application")
    data = render(doc, 48)

    def draw(i: int) -> None:
        interp = EscposInterpreter(48)
        interp.feed(data)
        interp.jobs[0].image      # noqa: B018 - the drawing is what we time
    med, worst = timed(draw, 30)
    print(f"interpret + draw 576-dot image: median {med:.1f} ms, max {worst:.1f} ms")
    for label, keep_png in (("no PNG", False), ("PNG written by server", True)):
        with tempfile.TemporaryDirectory() as tmp:
            server = VirtualPrinterServer(out_dir=tmp if keep_png else None)
            host, port = server.start()
            printer = EscposReceiptPrinter(host, port)
            try:
                med, worst = timed(lambda i: printer.print(doc.as_reprint(f"job-{i}")), 30)
                status_med, _ = timed(lambda i: printer.status(), 30)
            finally:
                server.stop()
            assert len(server.jobs) == 30
        print(f"print() over TCP ({label}): median {med:.1f} ms, max {worst:.1f} ms; "
              f"status(): median {status_med:.2f} ms")


def main() -> None:
    totals = sizes()
    serial_measured()
    tcp_and_drawing()
    native = statistics.mean(totals[("80mm", "native")])
    raster = statistics.mean(totals[("80mm", "raster")])
    print(f"\ndefault text mode: native — raster sends {raster / native:.0f}x the bytes "
          f"({raster / SERIAL_BPS:.1f} s vs {native / SERIAL_BPS:.2f} s a slip at 115200 baud)")


if __name__ == "__main__":
    main()
