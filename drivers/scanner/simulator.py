"""Simulated scanners: the "images" camera and a serial scanner module on a pty.

SimulatedCamera (the "images" driver): a folder of images or a video file as the camera. It is
a FrameSource like a real camera, so the capture thread, the decoder cascade, the
de-duplication and the status handling the demo exercises are the production ones. On top of
what the folder or file shows, the dev dock can "show" a chosen code for a few seconds -- a
citizen holding a phone up to the kiosk -- with `show_payload()` or `show_image()`.
`unplug()` / `replug()` make its index vanish and come back: reads fail and opening fails, as
cv2 does when /dev/videoN disappears (CvSource checks the node before opening).

SimulatedSerialScanner: a scanner module's end of a serial line -- a pty whose slave path a
symlink points at, as udev's /dev/serial/by-id link does -- that sends each code as a line.
`unplug()` closes the pty (the driver's next read fails with EIO); `replug()` opens a new one
(a new /dev/pts/N) and re-points the link.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import tty
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .capture import CvSource, SourceUnavailable
from .synth import FRAME_SIZE, Look, render_frame

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
HOLD_S = 2.0          # each image of a folder is "held up" this long before the next one


class SimulatedCamera:
    def __init__(self, path: str = "", fps: float = 15.0, hold_s: float = HOLD_S,
                 size: tuple[int, int] = FRAME_SIZE,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = path
        self.name = f"simulated camera {path or '(dock only)'}"
        self.fps, self.hold_s, self.size = fps, hold_s, size
        self._clock, self._sleep = clock, sleep
        self._video: CvSource | None = None
        self._images: list[Path] = []
        self._current: tuple[Path, np.ndarray] | None = None     # the image being "held up"
        self._started = 0.0
        self._next_t = 0.0
        self._lock = threading.Lock()
        self._shown: tuple[np.ndarray, float] | None = None      # (frame, until)
        self._idle = _idle_frame(size)
        self._plugged = threading.Event()
        self._plugged.set()

    # -- hot-plug --------------------------------------------------------------------------------
    def unplug(self) -> None:
        """The camera's index vanishes: reads return nothing and opening fails until replug()."""
        self._plugged.clear()

    def replug(self) -> None:
        self._plugged.set()

    @property
    def plugged(self) -> bool:
        return self._plugged.is_set()

    # -- the dev dock --------------------------------------------------------------------------
    def show_payload(self, payload: bytes | str, look: Look = Look(), seconds: float = 3.0) -> None:
        """Hold a code with this payload in front of the camera (str is sent as UTF-8)."""
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        self.show_image(render_frame(data, look, self.size), seconds)

    def show_image(self, frame: np.ndarray, seconds: float = 3.0) -> None:
        with self._lock:
            self._shown = (_fit(frame, self.size), self._clock() + seconds)

    def hide(self) -> None:
        with self._lock:
            self._shown = None

    # -- FrameSource -----------------------------------------------------------------------------
    def open(self) -> None:
        if not self._plugged.is_set():
            raise SourceUnavailable(f"{self.name} unplugged")
        self._video, self._images = None, []
        if self.path:
            p = Path(self.path)
            if p.is_dir():
                self._images = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
                if not self._images:
                    log.warning("%s holds no images (%s)", p, ", ".join(sorted(IMAGE_SUFFIXES)))
            elif p.is_file():
                self._video = CvSource(str(p), fps=self.fps, clock=self._clock, sleep=self._sleep)
                self._video.open()
            else:
                raise SourceUnavailable(f"{p} is neither a folder of images nor a video file")
        self._started = self._next_t = self._clock()

    def read(self) -> np.ndarray | None:
        if not self._plugged.is_set():
            return None                  # what cv2 gives once the device node is gone
        base = self._video.read() if self._video else self._paced(self._folder_frame())
        if base is None:
            return None
        with self._lock:
            shown = self._shown
            if shown is not None and self._clock() >= shown[1]:
                self._shown = shown = None
        return shown[0].copy() if shown is not None else base

    def close(self) -> None:
        if self._video is not None:
            self._video.close()
            self._video = None

    def _paced(self, frame: np.ndarray) -> np.ndarray:
        delay = self._next_t - self._clock()
        if delay > 0:
            self._sleep(delay)
        self._next_t = max(self._next_t + 1.0 / self.fps, self._clock())
        return frame

    def _folder_frame(self) -> np.ndarray:
        if not self._images:
            return self._idle.copy()
        i = int((self._clock() - self._started) / self.hold_s) % len(self._images)
        path = self._images[i]
        if self._current is None or self._current[0] != path:
            # One image in memory at a time: a folder may hold hundreds of photos.
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                log.warning("cannot read image %s; showing an empty frame", path)
                image = self._idle
            self._current = (path, _fit(image, self.size))
        return self._current[1].copy()


class SimulatedSerialScanner:
    """A barcode module on a serial line: a pty (raw mode) behind a symlink the driver opens."""

    def __init__(self, link: str, suffix: bytes = b"\r") -> None:
        self.link = link
        self.suffix = suffix
        self._lock = threading.Lock()
        self._master = self._slave = -1
        self.path = ""

    def start(self) -> str:
        """Plug in: a new pty, the link re-pointed at it atomically (as udev does)."""
        with self._lock:
            if self._master >= 0:
                raise RuntimeError("scanner module already plugged in")
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)      # or the line discipline rewrites CR and echoes bytes
            self.path = os.ttyname(self._slave)
            tmp = self.link + ".new"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(self.path, tmp)
            os.replace(tmp, self.link)
            return self.path

    def stop(self) -> None:
        """Unplug: the link and the pty disappear; the driver's next read fails."""
        with self._lock:
            if os.path.lexists(self.link):
                os.unlink(self.link)
            for fd in (self._master, self._slave):
                if fd >= 0:
                    os.close(fd)
            self._master = self._slave = -1

    unplug = stop

    def replug(self) -> str:
        self.stop()
        return self.start()

    @property
    def plugged(self) -> bool:
        return self._master >= 0

    def send(self, code: bytes | str) -> None:
        """Scan one code: its bytes and the module's line suffix (str is sent as UTF-8)."""
        data = code.encode("utf-8") if isinstance(code, str) else code
        with self._lock:
            if self._master < 0:
                raise OSError("scanner module unplugged")
            os.write(self._master, data + self.suffix)


def _idle_frame(size: tuple[int, int]) -> np.ndarray:
    """What the camera sees with nobody in front of it: an empty counter, dark to light.

    Every row is the same, so it is one row seen h times (a read-only view with a zero stride):
    ~4 KB held instead of a whole 1280x720 frame, 2.7 MB of the idle kiosk (issue #15).
    read() hands out copies, whole writable frames as a camera gives."""
    w, h = size
    row = cv2.cvtColor(np.linspace(70, 150, w, dtype=np.uint8)[None, :], cv2.COLOR_GRAY2BGR)
    return np.broadcast_to(row, (h, w, 3))


def _fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An image centred on a frame of the camera's size, scaled down if it is larger."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    w, h = size
    ih, iw = image.shape[:2]
    if (iw, ih) == (w, h):
        return image
    scale = min(1.0, w / iw, h / ih)
    if scale < 1.0:
        image = cv2.resize(image, (int(iw * scale), int(ih * scale)), interpolation=cv2.INTER_AREA)
        ih, iw = image.shape[:2]
    frame = np.full((h, w, 3), 255, np.uint8)     # white around it, like the paper it is on
    y0, x0 = (h - ih) // 2, (w - iw) // 2
    frame[y0:y0 + ih, x0:x0 + iw] = image
    return frame
