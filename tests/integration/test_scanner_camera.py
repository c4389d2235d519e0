"""CameraScanner with real OpenCV capture: a video file written with cv2.VideoWriter stands in
for the camera (production code path: CvSource -> CaptureThread -> decode thread -> on_code).
Also: only the latest frame is kept, reconnecting after the source disappears, a hung camera,
and the "images" simulator driver the demo uses.
"""
from __future__ import annotations

import datetime as dt
import os
import queue
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.factory import Simulators, build_scanner
from drivers.scanner.camera import CameraScanner
from drivers.scanner.capture import CvSource, SourceUnavailable
from drivers.scanner.pipeline import ScanPipeline
from drivers.scanner.synth import Look, render_frame
from kiosk.config import ScannerConfig
from kiosk.domain.application_no import make_application_no
from kiosk.domain.payload import APPOINTMENT, RECEIPT, UNKNOWN, make_appointment_no
from kiosk.ports import DeviceState

ZH_GB = "江苏省南京市玄武区便民服务中心".encode("gb18030")
RECEIPT_NO = make_application_no(dt.date(2026, 11, 28), 42)
FPS = 30


class Recorder:
    def __init__(self):
        self.codes: queue.Queue = queue.Queue()
        self.statuses = []
        self._cond = threading.Condition()

    def on_code(self, code):
        self.codes.put(code)

    def on_status(self, status):
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def wait_state(self, state, timeout=5.0):
        with self._cond:
            ok = self._cond.wait_for(lambda: self.statuses and self.statuses[-1].state == state, timeout)
            assert ok, f"no {state} within {timeout}s: {self.statuses}"

    def drain(self):
        out = []
        while not self.codes.empty():
            out.append(self.codes.get_nowait())
        return out


def write_video(path: Path, scenes) -> Path:
    """scenes: [(payload or None, n frames)] -> an MJPG .avi at FPS, 1280x720."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (1280, 720))
    assert w.isOpened()
    for i, (payload, n) in enumerate(scenes):
        frame = render_frame(payload, Look(angle=8, blur=0.8), seed=i)
        for _ in range(n):
            w.write(frame)
    w.release()
    return path


@pytest.fixture
def video(tmp_path):
    # 1.5 s: nobody, a GB18030 code, nobody, a receipt, nobody.
    return write_video(tmp_path / "camera.avi", [(None, 6), (ZH_GB, 12), (None, 6),
                                                 (RECEIPT_NO.encode(), 12), (None, 9)])


@pytest.fixture
def scanners():
    started = []
    yield started
    for s in started:
        s.stop()


def test_codes_from_a_video_file_camera_reported_once_each(video, scanners):
    rec = Recorder()
    scanner = CameraScanner(CvSource(str(video)), dedupe_window_s=5.0)
    scanners.append(scanner)
    scanner.start(rec.on_code, rec.on_status)
    rec.wait_state(DeviceState.OK)
    first = rec.codes.get(timeout=5)
    second = rec.codes.get(timeout=5)
    assert (first.raw, first.text, first.kind) == (ZH_GB, ZH_GB.decode("gb18030"), UNKNOWN)
    assert (second.text, second.kind, second.payload.application_no) == (RECEIPT_NO, RECEIPT, RECEIPT_NO)
    time.sleep(2.0)                 # the video loops: both codes seen again within the window
    assert rec.drain() == []
    frame = scanner.latest_frame()
    assert frame.image.shape == (720, 1280, 3) and not frame.image.flags.writeable
    assert scanner.latest_frame().seq >= frame.seq


class SlowPipeline(ScanPipeline):
    """Decoding that takes 250 ms a frame: the capture must not queue frames behind it."""

    def __init__(self):
        super().__init__()
        self.seqs = []

    def process(self, frame):
        time.sleep(0.25)
        return super().process(frame)


def test_only_the_latest_frame_is_kept_when_decoding_is_slow(video, scanners):
    rec = Recorder()
    scanner = CameraScanner(CvSource(str(video)), SlowPipeline())
    scanners.append(scanner)
    scanner.start(rec.on_code, rec.on_status)
    time.sleep(1.6)
    captured = scanner.latest_frame().seq
    decoded = scanner.frames_decoded
    assert captured >= 25              # ~30 fps kept flowing (48 expected; margin for a busy CI)
    assert decoded <= 8                # ~4 a second decoded; the rest were dropped, not queued


def test_reconnects_after_the_source_disappears(tmp_path, scanners):
    video = write_video(tmp_path / "cam.avi", [(ZH_GB, 10)])
    hidden = tmp_path / "unplugged.avi"
    rec = Recorder()
    scanner = CameraScanner(CvSource(str(video)), dedupe_window_s=0.3, reopen_interval=0.1)
    scanners.append(scanner)
    scanner.start(rec.on_code, rec.on_status)
    rec.wait_state(DeviceState.OK)
    assert rec.codes.get(timeout=5).raw == ZH_GB
    os.rename(video, hidden)           # unplugged: noticed when the file has to be reopened
    rec.wait_state(DeviceState.ABSENT, timeout=5)
    assert "摄像头未连接" in scanner.status().detail
    time.sleep(0.5)                    # longer than the dedupe window: the code is new again
    rec.drain()
    os.rename(hidden, video)           # plugged back in
    rec.wait_state(DeviceState.OK, timeout=5)
    assert rec.codes.get(timeout=5).raw == ZH_GB


def test_missing_camera_is_absent_and_stop_is_prompt(scanners):
    rec = Recorder()
    scanner = CameraScanner(CvSource("/dev/v4l/by-id/no-such-camera"), reopen_interval=0.1)
    scanners.append(scanner)
    scanner.start(rec.on_code, rec.on_status)
    rec.wait_state(DeviceState.ABSENT, timeout=3)
    assert scanner.latest_frame() is None
    t = time.monotonic()
    scanner.stop()
    assert time.monotonic() - t < 1.0
    with pytest.raises(SourceUnavailable):
        CvSource("not-a-device").open()


class HangingSource:
    """A camera whose driver blocks in read() after a few frames, until released."""

    name = "hanging camera"

    def __init__(self):
        self.release = threading.Event()
        self.n = 0

    def open(self):
        pass

    def read(self):
        self.n += 1
        if self.n > 5:
            self.release.wait()
        time.sleep(0.02)
        return np.zeros((72, 128, 3), np.uint8)

    def close(self):
        pass


def test_frames_that_stop_coming_are_a_fault_until_they_resume(scanners):
    rec = Recorder()
    source = HangingSource()
    scanner = CameraScanner(source, stall_s=0.4)
    scanners.append(scanner)
    scanner.start(rec.on_code, rec.on_status)
    rec.wait_state(DeviceState.OK)
    rec.wait_state(DeviceState.FAULT, timeout=3)
    assert scanner.status().code == "no_frames"
    source.release.set()
    rec.wait_state(DeviceState.OK, timeout=3)


def test_images_driver_dock_shows_a_code(scanners):
    rec = Recorder()
    scanner = build_scanner(ScannerConfig(driver="images", fps=20, dedupe_window_s=1.0), Simulators(), Path("."))
    scanners.append(scanner)
    scanner.start(rec.on_code, rec.on_status)
    rec.wait_state(DeviceState.OK)
    assert rec.codes.empty()                         # an empty counter: no code
    no = make_appointment_no(dt.date(2026, 11, 28), 9)
    t0 = time.monotonic()
    scanner.source.show_payload(no, Look(angle=15, tilt=0.2), seconds=2.0)
    code = rec.codes.get(timeout=3)
    assert (code.kind, code.payload.appointment_no) == (APPOINTMENT, no)
    assert time.monotonic() - t0 < 2.0               # read while it was being shown


def test_images_driver_plays_a_folder_of_images(tmp_path, scanners):
    folder = tmp_path / "codes"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), render_frame("营业执照".encode("utf-8"), Look(), (640, 360)))
    cv2.imwrite(str(folder / "b.jpg"), render_frame(RECEIPT_NO.encode(), Look(angle=30), (800, 600)))
    rec = Recorder()
    cfg = ScannerConfig(driver="images", images_dir=str(folder), fps=20)
    scanner = build_scanner(cfg, Simulators(), tmp_path)
    scanner.source.hold_s = 0.5
    scanners.append(scanner)
    scanner.start(rec.on_code, rec.on_status)
    texts = {rec.codes.get(timeout=5).text, rec.codes.get(timeout=5).text}
    assert texts == {"营业执照", RECEIPT_NO}


def test_none_driver_says_there_is_no_scanner():
    scanner = build_scanner(ScannerConfig(driver="none"), Simulators(), Path("."))
    got = []
    scanner.start(lambda c: None, got.append)
    assert got[0].state == DeviceState.ABSENT and scanner.latest_frame() is None
