"""Frames in: a camera (or a video file standing in for one) read on its own thread.

Only the latest frame is kept. A camera delivers 15-30 frames a second whether or not anyone
keeps up; queueing them would make the decoder work on ever older pictures (and grow memory)
whenever decoding is slower than the camera. So the capture thread overwrites one slot and the
decoder takes whatever is newest when it is ready: frames in between are dropped, by design.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import cv2
import numpy as np

from kiosk.ports import DeviceStatus

log = logging.getLogger(__name__)

REOPEN_INTERVAL = 0.5     # s between attempts to open a missing camera (a stat() while it is missing)
FAIL_READS = 5            # failed reads in a row before the camera counts as gone


class SourceUnavailable(Exception):
    """The source cannot be opened now (camera unplugged, file missing); try again later."""


class FrameSource(Protocol):
    name: str

    def open(self) -> None: ...                  # raises SourceUnavailable
    def read(self) -> np.ndarray | None: ...     # one BGR frame; None when none came
    def close(self) -> None: ...


@dataclass(frozen=True)
class Frame:
    """What `latest_frame()` hands out: a BGR image, never written to again, and its number."""
    seq: int                  # increases by one per captured frame: skip a redraw if unchanged
    image: np.ndarray         # H x W x 3 uint8, BGR, read-only
    t: float                  # monotonic time of capture


class LatestFrame:
    """A one-frame slot: the capture thread overwrites it, readers take the newest."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._frame: Frame | None = None

    def put(self, image: np.ndarray) -> Frame:
        image.setflags(write=False)     # shared with the UI and the decoder: nobody may draw on it
        with self._cond:
            seq = self._frame.seq + 1 if self._frame else 1
            self._frame = Frame(seq, image, self._clock())
            self._cond.notify_all()
            return self._frame

    def get(self) -> Frame | None:
        with self._cond:
            return self._frame

    def wait_newer(self, seq: int, timeout: float) -> Frame | None:
        """The newest frame after `seq`, waiting up to `timeout` s; None if none came."""
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None and self._frame.seq > seq, timeout)
            f = self._frame
            return f if f is not None and f.seq > seq else None

    def clear(self) -> None:
        with self._cond:
            self._frame = None


class CvSource:
    """cv2.VideoCapture on a camera (index "0" or a /dev/v4l/by-id/... path) or a video file.

    A video file stands in for a camera (the simulator, the tests): it is paced to its frame
    rate, as a camera would deliver it, and starts over at its end, so it never "runs out"."""

    def __init__(self, device: str, width: int = 1280, height: int = 720, fps: float = 15.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.device = device
        self.name = f"camera {device}"
        self.width, self.height, self.fps = width, height, fps
        self.is_file = os.path.isfile(device)
        self._clock, self._sleep = clock, sleep
        self._cap: cv2.VideoCapture | None = None
        self._next_t = 0.0
        self._period = 1.0 / fps

    def open(self) -> None:
        if self.device.isdigit():
            # Checked first so an unplugged camera costs a stat(), not an OpenCV warning a second.
            if os.path.isdir("/dev") and not os.path.exists(f"/dev/video{self.device}"):
                raise SourceUnavailable(f"/dev/video{self.device} does not exist")
            cap = cv2.VideoCapture(int(self.device), cv2.CAP_V4L2)
        elif self.device.startswith("/dev/") or self.is_file or os.path.isfile(self.device):
            if not os.path.exists(self.device):
                raise SourceUnavailable(f"{self.device} does not exist")
            self.is_file = os.path.isfile(self.device)
            cap = cv2.VideoCapture(self.device, cv2.CAP_ANY if self.is_file else cv2.CAP_V4L2)
        else:
            raise SourceUnavailable(f"{self.device} does not exist")
        if not cap.isOpened():
            cap.release()
            raise SourceUnavailable(f"cannot open {self.device}")
        if self.is_file:
            file_fps = cap.get(cv2.CAP_PROP_FPS)
            self._period = 1.0 / (file_fps if 1 <= file_fps <= 120 else self.fps)
        else:
            # MJPG first: most USB cameras deliver 1280x720 at 30 fps only compressed (raw
            # YUYV tops out near 10 fps on USB 2). A camera without it ignores the request.
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)     # the driver too keeps no backlog
            self._period = 0.0                        # the camera sets the pace
        self._cap = cap
        self._next_t = self._clock()

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        if self._period:
            delay = self._next_t - self._clock()
            if delay > 0:
                self._sleep(delay)
            self._next_t = max(self._next_t + self._period, self._clock() - self._period)
        ok, frame = self._cap.read()
        if not ok and self.is_file:
            # End of the file: start over by reopening, which also notices a file that has
            # gone away since (the "camera" was unplugged).
            self.close()
            self.open()
            ok, frame = self._cap.read()
        return frame if ok else None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class CaptureThread:
    """Owns a FrameSource: opens it, reads it into a LatestFrame, reopens it when it fails."""

    def __init__(self, source: FrameSource, latest: LatestFrame, on_status: Callable[[DeviceStatus], None],
                 reopen_interval: float = REOPEN_INTERVAL) -> None:
        self.source = source
        self.latest = latest
        self._on_status = on_status
        self._reopen_interval = reopen_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="scanner-capture", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("capture thread did not stop in %.1f s (a read is blocked in the driver)", timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.source.open()
            except SourceUnavailable as exc:
                self._on_status(DeviceStatus.absent(f"摄像头未连接（{self.source.name}）"))
                log.debug("%s: %s", self.source.name, exc)
                self._stop.wait(self._reopen_interval)
                continue
            delay = self._reopen_interval
            try:
                if self._pump() > 0:
                    # Frames came, then stopped: most often the camera was unplugged (its
                    # /dev/videoN is gone). Reopen at once, so the status says "未连接" -- what
                    # happened -- rather than "无画面"; a camera still there just carries on.
                    delay = 0.0
                else:                            # it opens but gives no picture at all
                    self._on_status(DeviceStatus.fault("no_frames", "摄像头无画面"))
            except SourceUnavailable as exc:     # a file source found its file gone at the end
                log.warning("%s went away: %s", self.source.name, exc)
                self._on_status(DeviceStatus.absent(f"摄像头未连接（{self.source.name}）"))
            except Exception:      # a driver bug: say so, reopen, never die behind an "ok"
                log.exception("capture from %s failed", self.source.name)
                self._on_status(DeviceStatus.fault("internal", "摄像头驱动内部错误"))
            finally:
                self.source.close()
            self._stop.wait(delay)

    def _pump(self) -> int:
        """Read until the source fails FAIL_READS times in a row (or stop); the frames it gave."""
        failures = frames = 0
        while not self._stop.is_set():
            frame = self.source.read()
            if frame is None:
                failures += 1
                if failures >= FAIL_READS:
                    log.warning("%s: no frames (%d failed reads); reopening", self.source.name, failures)
                    return frames
                continue
            failures = 0
            frames += 1
            self.latest.put(frame)
            self._on_status(DeviceStatus.ok())
        return frames
