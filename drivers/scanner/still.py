"""Photographs of materials from the scanner's camera (kiosk.ports.StillCamera).

The preview and the photo are the same camera: the still is the newest frame the capture thread
put in LatestFrame, so taking a photo never opens the device a second time or stops decoding.
The frame is scaled so its long side is at most `max_side` px and encoded as JPEG (quality 80):
a 1600x900 document page comes to roughly 150-400 KB, far below the hall's 3 MiB limit; if a
frame still comes out too large the quality is lowered step by step.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import cv2

from kiosk.ports import CaptureFailed, DeviceState, DeviceStatus

log = logging.getLogger(__name__)

MAX_SIDE = 1600               # px, long side of the attached photo
QUALITY = 80                  # JPEG quality
MAX_BYTES = 2 * 1024 * 1024   # keep well under the hall's 3 MiB (hall/routers/applications.py)
MAX_AGE_S = 2.0               # a frame older than this means the camera has stalled


def encode_jpeg(image, max_side: int = MAX_SIDE, quality: int = QUALITY, max_bytes: int = MAX_BYTES) -> bytes:
    """A BGR (or grey) image -> JPEG bytes, long side <= max_side, size <= max_bytes."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
    q = quality
    while True:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, q, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
        if not ok:
            raise CaptureFailed("照片处理失败，请重拍")
        data = buf.tobytes()
        if len(data) <= max_bytes or max(image.shape[:2]) < 400:
            return data
        if q > 50:
            q -= 10              # first less quality, then fewer pixels
        else:
            h, w = image.shape[:2]
            image = cv2.resize(image, (w * 3 // 4, h * 3 // 4), interpolation=cv2.INTER_AREA)


class FrameStillCamera:
    """StillCamera over a CodeScanner's `latest_frame()` and `status()`."""

    def __init__(self, latest_frame: Callable[[], object], status: Callable[[], DeviceStatus],
                 clock: Callable[[], float] = time.monotonic, max_age_s: float = MAX_AGE_S,
                 max_side: int = MAX_SIDE, quality: int = QUALITY) -> None:
        self._latest, self._status, self._clock = latest_frame, status, clock
        self._max_age, self._max_side, self._quality = max_age_s, max_side, quality

    def status(self) -> DeviceStatus:
        return self._status()

    def capture_jpeg(self) -> bytes:
        st = self._status()
        if st.state is not DeviceState.OK and st.state is not DeviceState.BUSY:
            raise CaptureFailed("摄像头暂不可用，不能拍照")
        frame = self._latest()
        if frame is None or self._clock() - frame.t > self._max_age:
            raise CaptureFailed("摄像头没有画面，请稍候再拍，或联系工作人员")
        t0 = time.perf_counter()
        data = encode_jpeg(frame.image, self._max_side, self._quality)
        log.info("material photo: %d KB in %.0f ms", len(data) // 1024, (time.perf_counter() - t0) * 1000)
        return data


class NoStillCamera:
    """A kiosk without a camera (no scanner, or a serial scanner module): photographing is off."""

    def __init__(self, detail: str = "本机未配置摄像头") -> None:
        self._detail = detail

    def status(self) -> DeviceStatus:
        return DeviceStatus.absent(self._detail)

    def capture_jpeg(self) -> bytes:
        raise CaptureFailed("本机没有摄像头，不能拍照")
