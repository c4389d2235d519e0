"""`kiosk device print` and `kiosk device printer-status`: the technician's printer tools.

    kiosk device print --template application --sample --width 58 --mode raster --out a.bin --png a.png
    kiosk device print --template test --sample --printer receipt
    kiosk device print --template credit --sample --out c.bin --pdf report.pdf [--a4]
    kiosk device printer-status --printer serial:///dev/ttyUSB0?baud=115200

`--out` writes the exact bytes a printer would get; `--png` adds the virtual printer's picture
of them. `--printer` takes the configured profile's name (printer.name, "receipt" by default)
or a target URL (profiles.py). Exit codes: 0 done, 1 the printer refused or is not ready,
2 bad arguments or profile.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

WIDTHS = {58: 32, 80: 48}


def register(sub) -> None:
    from drivers.printer.samples import TEMPLATES
    p = sub.add_parser("print", help="render a receipt template to bytes/PNG, or print it on a printer")
    p.add_argument("--template", required=True, choices=TEMPLATES)
    p.add_argument("--sample", action="store_true", help="fill the template with sample data (required)")
    p.add_argument("--width", type=int, choices=sorted(WIDTHS), help="paper mm (default: printer.columns)")
    p.add_argument("--mode", choices=("native", "raster"), help="text mode (default: printer.text_mode)")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write the ESC/POS bytes to this file")
    target.add_argument("--printer", metavar="PROFILE", help="print on this printer profile or target URL")
    p.add_argument("--png", type=Path, help="with --out (or a virtual printer): the printed picture")
    p.add_argument("--pdf", type=Path, help="credit template: also write the full A4 report as PDF")
    p.add_argument("--a4", action="store_true", help="with --pdf: send it to printer.a4_queue (CUPS)")
    p.set_defaults(func=run_print)

    s = sub.add_parser("printer-status", help="ask a printer for its real-time status (DLE EOT)")
    s.add_argument("--printer", metavar="PROFILE", default=None,
                   help="profile name or target URL (default: the configured printer)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=run_status)


def _profile(args: argparse.Namespace, cfg):
    from drivers.printer.profiles import resolve
    profile = resolve(args.printer, cfg.printer) if getattr(args, "printer", None) else cfg.printer
    changes = {}
    if getattr(args, "width", None):
        changes["columns"] = WIDTHS[args.width]
    if getattr(args, "mode", None):
        changes["text_mode"] = changes["qr_mode"] = args.mode
    return dataclasses.replace(profile, **changes)


def run_print(args: argparse.Namespace, cfg) -> int:
    from drivers.printer.escpos_render import render
    from drivers.printer.profiles import ProfileError, options_for
    from drivers.printer.samples import sample
    if not args.sample:
        print("only --sample is supported: templates are filled with sample data", file=sys.stderr)
        return 2
    try:
        profile = _profile(args, cfg)
        options = options_for(profile)
    except ProfileError as e:
        print(f"打印机配置错误 / printer profile error: {e}", file=sys.stderr)
        return 2
    doc = sample(args.template, profile.columns, profile.text_mode)
    code = 0
    if args.pdf:
        code = _pdf(args, profile)
    if args.out:
        data = render(doc, options=options)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(data)
        print(f"{args.template}: {len(data)} bytes, {profile.columns} columns, {profile.text_mode} -> {args.out}")
        if args.png:
            _png(data, args.png, profile.columns)
        return code
    # A technician's print is a new job each time: the same slip twice is what they asked for.
    doc = dataclasses.replace(doc, job_id=f"{doc.job_id}-{time.time_ns()}")
    return max(code, _print_on(profile, doc, args.png))


def _png(data: bytes, path: Path, columns: int) -> None:
    from drivers.printer.virtual import render_png
    path.parent.mkdir(parents=True, exist_ok=True)
    import numpy as np
    import zxingcpp
    jobs = render_png(data, path, columns)
    # Read the codes back from the picture, as a phone would: raster QR codes too.
    pixels = np.asarray(jobs[0].image)
    codes = [f"{r.format.name} {r.text}" for r in zxingcpp.read_barcodes(pixels)]
    print(f"picture: {path} ({jobs[0].image.width}x{jobs[0].image.height} dots; "
          f"codes read back: {', '.join(codes) or 'none'})")


def _print_on(profile, doc, png: Path | None) -> int:
    from drivers.printer.profiles import ProfileError, printer_for
    from drivers.printer.virtual import VirtualPrinterServer
    server = None
    try:
        if profile.driver == "virtual":           # the demo's printer: started for this job
            server = VirtualPrinterServer(columns=profile.columns)
            host, port = server.start()
            profile = dataclasses.replace(profile, driver="network", host=host, port=port)
        printer = printer_for(profile)
    except ProfileError as e:
        print(f"打印机配置错误 / printer profile error: {e}", file=sys.stderr)
        return 2
    try:
        result = printer.print(doc)
    finally:
        if server:
            server.stop()
    print(f"{printer.description}: {'已打印 / printed' if result.ok else result.message} "
          f"(status {result.status.state.value}{' ' + result.status.detail if result.status.detail else ''})")
    if server and server.jobs:
        path = png or Path(tempfile.gettempdir()) / "kiosk-virtual-print.png"
        server.jobs[-1].image.save(path)
        print(f"picture: {path}")
    return 0 if result.ok else 1


def _pdf(args: argparse.Namespace, profile) -> int:
    from drivers.printer.a4 import credit_report_pdf, send_to_cups
    from drivers.printer.samples import credit_report
    if args.template != "credit":
        print("--pdf is for --template credit (the full A4 credit report)", file=sys.stderr)
        return 2
    report = credit_report()
    pdf = credit_report_pdf(report, args.pdf)
    print(f"A4 report: {pdf}")
    if not args.a4:
        return 0
    if not profile.a4_queue:
        print("printer.a4_queue is not set: the report stays a file", file=sys.stderr)
        return 1
    result = send_to_cups(pdf, profile.a4_queue, f"信用报告 {report.report_no}")
    print(f"{profile.a4_queue}: {result.message} {result.job}".rstrip())
    return 0 if result.sent else 1


def run_status(args: argparse.Namespace, cfg) -> int:
    from drivers.printer.profiles import ProfileError, printer_for
    try:
        profile = _profile(args, cfg)
        if profile.driver == "virtual":
            print("printer.driver is virtual: no device to ask (the demo starts one); "
                  "give --printer tcp://HOST:PORT for a real one", file=sys.stderr)
            return 2
        printer = printer_for(profile)
    except ProfileError as e:
        print(f"打印机配置错误 / printer profile error: {e}", file=sys.stderr)
        return 2
    status = printer.status()
    if args.json:
        print(json.dumps({"printer": printer.description, **status.to_json()}, ensure_ascii=False))
    else:
        print(f"{printer.description}: {status.state.value}"
              f"{' (' + status.code + ')' if status.code else ''}{' ' + status.detail if status.detail else ''}")
    return 0 if status.usable else 1
