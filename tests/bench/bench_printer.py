"""Printer path timings (a plain script, not collected by pytest).

    .venv/bin/python tests/bench/bench_printer.py

Prints: render() time and size of a 受理回执, a full print over TCP to the virtual printer
(status before + data + status after), and the virtual printer's PNG drawing time.
"""
from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from drivers.printer.escpos_printer import EscposReceiptPrinter  # noqa: E402
from drivers.printer.escpos_render import render  # noqa: E402
from drivers.printer.virtual import EscposInterpreter, VirtualPrinterServer  # noqa: E402
from kiosk.domain.receipt import application_receipt  # noqa: E402


def receipt(job_id: str):
    return application_receipt(
        job_id=job_id, hall_name="杭州市西湖区便民服务中心", terminal_id="XH-KIOSK-07",
        matter_name="企业开办（含设立登记、公章刻制、申领发票、社保登记、公积金开户）一件事",
        application_no="QY2026112800001K", applicant_name="欧阳小明",
        applicant_id_number="33010619900307123X", submitted_at=dt.datetime(2026, 11, 28, 9, 30),
        time_limit_text="3个工作日", consult_phone="0571-87654321",
        complaint_phone="0571-12345678", queued=False)


def timed(fn, runs: int) -> tuple[float, float]:
    """Median and max in milliseconds."""
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    doc = receipt("bench")
    for columns in (48, 32):
        data = render(doc, columns)
        med, worst = timed(lambda i: render(doc, columns), 200)
        print(f"render() {columns} cols: {len(data)} bytes, median {med:.2f} ms, max {worst:.2f} ms")

    data = render(doc, 48)

    def draw(i: int) -> None:
        interp = EscposInterpreter(48)
        interp.feed(data)
        interp.jobs[0].image      # noqa: B018 - the drawing is what we time
    med, worst = timed(draw, 50)
    print(f"interpret + draw 576 px image: median {med:.1f} ms, max {worst:.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        def save(i: int) -> None:
            interp = EscposInterpreter(48)
            interp.feed(data)
            interp.jobs[0].image.save(Path(tmp) / f"{i}.png")
        med, worst = timed(save, 50)
        print(f"interpret + draw + save PNG: median {med:.1f} ms, max {worst:.1f} ms")

    for label, out_dir in (("no PNG", None), ("PNG written by server", "tmp")):
        with tempfile.TemporaryDirectory() as tmp:
            server = VirtualPrinterServer(out_dir=tmp if out_dir else None)
            host, port = server.start()
            printer = EscposReceiptPrinter(host, port)
            try:
                med, worst = timed(lambda i: printer.print(receipt(f"job-{i}")), 50)
                status_med, _ = timed(lambda i: printer.status(), 50)
            finally:
                server.stop()
            assert len(server.jobs) == 50
        print(f"print() over TCP ({label}): median {med:.1f} ms, max {worst:.1f} ms; "
              f"status(): median {status_med:.2f} ms")


if __name__ == "__main__":
    main()
