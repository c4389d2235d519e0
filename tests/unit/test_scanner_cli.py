"""`kiosk device scan`: images (and a video file as camera) through the kiosk's own pipeline."""
import argparse
import datetime as dt
import json

import cv2

from drivers.scanner import cli
from drivers.scanner.synth import Look, render_frame
from kiosk.config import KioskConfig
from kiosk.domain.application_no import make_application_no

RECEIPT_NO = make_application_no(dt.date(2026, 11, 28), 3)


def parse(argv):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="device_command", required=True)
    cli.register(sub)
    return p.parse_args(argv)


def test_register_adds_scan_with_run_as_func():
    args = parse(["scan", "--image", "a.png", "b.png", "--json"])
    assert args.func is cli.run and args.image == ["a.png", "b.png"] and args.json
    args = parse(["scan", "--camera", "/dev/video0"])
    assert args.camera == "/dev/video0" and args.image is None


def test_images_json_one_object_per_line(tmp_path, capsys):
    gb = tmp_path / "gb.png"
    cv2.imwrite(str(gb), render_frame("江苏省南京市玄武区".encode("gb18030"), Look(angle=20)))
    receipt = tmp_path / "receipt.jpg"
    cv2.imwrite(str(receipt), render_frame(RECEIPT_NO.encode(), Look(blur=1.5)))
    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), render_frame(None))
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"hello")
    rc = cli.run(parse(["scan", "--image", str(gb), str(receipt), str(empty), str(bad), "--json"]), KioskConfig())
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 2
    assert [x["file"] for x in lines] == [str(gb), str(receipt), str(empty), str(bad)]
    g, r, e, b = lines
    assert (g["ok"], g["text"], g["kind"], g["decoder"], g["charset"]) == (True, "江苏省南京市玄武区", "unknown", "zxing", "gb18030")
    assert g["bytes_hex"] == "江苏省南京市玄武区".encode("gb18030").hex() and g["ms"] >= 0
    assert (r["kind"], r["text"], r["detail"]) == ("receipt", RECEIPT_NO, RECEIPT_NO)
    assert e["ok"] is False and e["text"] is None and "no code" in e["detail"]
    assert b["ok"] is False and "cannot read" in b["detail"]
    for rec in lines:
        assert set(rec) >= {"file", "ok", "text", "bytes_hex", "kind", "decoder", "ms"}


def test_images_plain_output_and_exit_status(tmp_path, capsys):
    img = tmp_path / "x.png"
    cv2.imwrite(str(img), render_frame(b"\x1b[31mhello\x07", Look()))
    assert cli.run(parse(["scan", "--image", str(img)]), KioskConfig()) == 0
    out = capsys.readouterr().out
    assert "unknown" in out and "\\x1b[31mhello\\x07" in out and "\x1b" not in out


def test_camera_from_a_video_file(tmp_path, capsys):
    video = tmp_path / "cam.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (1280, 720))
    frame = render_frame(RECEIPT_NO.encode(), Look(angle=5))
    for _ in range(15):
        w.write(frame)
    w.release()
    assert cli.run(parse(["scan", "--camera", str(video), "--seconds", "1.2", "--json"]), KioskConfig()) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(x) for x in out.splitlines()]
    assert [(x["kind"], x["text"]) for x in lines] == [("receipt", RECEIPT_NO)]
    assert "[ok]" in err and "frames decoded" in err
