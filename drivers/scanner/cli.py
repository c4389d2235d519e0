"""`kiosk device scan`: run images or a camera through exactly the kiosk's scanning pipeline.

    kiosk device scan --image FILE... [--json]     each image as the camera would see it
    kiosk device scan --camera DEV [--seconds N]   live results from a camera or video file

With --json: one object per code per line -- file, ok (a code was read), text (null when its
bytes are not text we can show), bytes_hex, kind (business_licence | receipt | appointment |
unknown), decoder (the cascade step that read it), ms (decoding time), plus charset and detail.
An image without a code gives one line with ok false. Exit status 0 when every image gave a
code (or the camera ran), 1 otherwise, 2 for a file that cannot be read as an image.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time


def register(sub) -> None:
    p = sub.add_parser("scan", help="decode QR codes from images or a camera, as the kiosk does")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--image", nargs="+", metavar="FILE", help="image files (png, jpg, ...)")
    src.add_argument("--camera", metavar="DEV", nargs="?", const="",
                     help="camera index, /dev/v4l/by-id/... path or a video file "
                          "(default: scanner.device from the config)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--seconds", type=float, default=0.0,
                   help="with --camera: stop after this many seconds (default: until Ctrl-C)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, cfg) -> int:
    if args.image:
        return _images(args.image, args.json)
    return _camera(args.camera or cfg.scanner.device, cfg, args.json, args.seconds)


def _images(files: list[str], as_json: bool) -> int:
    import cv2

    from .pipeline import ScanPipeline
    pipeline = ScanPipeline()       # one pipeline for all, as the camera has one
    status = 0
    for name in files:
        image = cv2.imread(name, cv2.IMREAD_COLOR)
        if image is None:
            _print(as_json, {"file": name, "ok": False, "text": None, "bytes_hex": None, "kind": None,
                             "decoder": None, "ms": None, "charset": None,
                             "detail": "cannot read this file as an image"})
            status = 2
            continue
        scan = pipeline.process_still(image)
        if not scan.codes:
            _print(as_json, {"file": name, "ok": False, "text": None, "bytes_hex": None, "kind": None,
                             "decoder": None, "ms": round(scan.result.ms, 2), "charset": None,
                             "detail": "no code found (tried " + ", ".join(scan.result.tried) + ")"})
            status = max(status, 1)
        for code in scan.codes:
            _print(as_json, _record(name, code))
    return status


def _camera(device: str, cfg, as_json: bool, seconds: float) -> int:
    from .camera import CameraScanner
    from .capture import CvSource
    sc = cfg.scanner
    scanner = CameraScanner(CvSource(device, sc.width, sc.height, sc.fps),
                            dedupe_window_s=sc.dedupe_window_s)
    lock = threading.Lock()      # codes and statuses arrive on two threads

    def on_code(code) -> None:
        with lock:
            _print(as_json, _record(device, code))

    def on_status(st) -> None:
        with lock:
            print(f"[{st.state.value}] {st.code} {st.detail}".rstrip(), file=sys.stderr, flush=True)

    scanner.start(on_code, on_status)
    try:
        deadline = time.monotonic() + seconds if seconds > 0 else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass                       # Ctrl-C is how a technician ends the live view
    finally:
        scanner.stop()
    print(f"frames decoded: {scanner.frames_decoded}", file=sys.stderr)
    return 0


def _record(name: str, code) -> dict:
    p = code.payload
    detail = p.reason if p.kind == "unknown" else (p.uscc or p.application_no or p.appointment_no)
    return {"file": name, "ok": True, "text": code.text,
            "bytes_hex": code.raw.hex(), "kind": code.kind, "decoder": code.source,
            "ms": round(code.ms, 2), "charset": code.charset, "detail": detail}


def _print(as_json: bool, rec: dict) -> None:
    if as_json:
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        return
    if rec["kind"] is None:
        print(f"{rec['file']}: -- {rec['detail']}", flush=True)
        return
    from kiosk.domain.payload import preview, preview_bytes
    if rec["text"] is not None:
        shown = preview(rec["text"], 80)
    else:
        shown = preview_bytes(bytes.fromhex(rec["bytes_hex"]), 80)
    print(f"{rec['file']}: {rec['kind']:<16} {rec['decoder']:<15} {rec['ms']:7.2f} ms  "
          f"{rec['charset'] or '?':<9} {shown}", flush=True)
