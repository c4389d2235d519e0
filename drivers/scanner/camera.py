"""CodeScanner adapter for a camera (kiosk.ports.CodeScanner): capture thread + decode thread.

    capture thread   source -> LatestFrame (one slot: never a backlog)
    decode thread    newest frame -> ScanPipeline (cascade within a per-frame budget)
                     -> Deduper -> on_code(ScannedCode)
                     -> HintTracker -> on_hint(ScanHint | None): how to hold a code it cannot read
    UI (Kivy)        latest_frame() -> texture, at most 15 times a second

Decoding never runs on the caller's thread; callbacks run on the decode thread (status
changes may come from the capture thread), so the controller only queues what it is given.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from kiosk.domain.payload import ScannedCode
from kiosk.domain.scan_hint import ScanHint
from kiosk.ports import DeviceState, DeviceStatus, OnHint, OnStatus

from .capture import REOPEN_INTERVAL, CaptureThread, Frame, FrameSource, LatestFrame
from .hint import REFRESH_S, Hint, HintTracker
from .pipeline import Deduper, ScanPipeline

log = logging.getLogger(__name__)

STALL_S = 3.0          # no new frame for this long while "ok": the camera has hung

# The driver's verdict -> the core's word for it (the core imports no driver).
TO_CORE = {Hint.CLOSER: ScanHint.CLOSER, Hint.BRIGHTER: ScanHint.BRIGHTER,
           Hint.TILT: ScanHint.TILT, Hint.STEADIER: ScanHint.STEADIER}


class CameraScanner:
    def __init__(self, source: FrameSource, pipeline: ScanPipeline | None = None,
                 dedupe_window_s: float = 3.0, stall_s: float = STALL_S,
                 reopen_interval: float = REOPEN_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self._pipeline_arg = pipeline
        self._clock = clock
        self._latest = LatestFrame(clock)
        self._dedupe = Deduper(dedupe_window_s, clock)
        self._stall_s = stall_s
        self._capture = CaptureThread(source, self._latest, self._set_status, reopen_interval)
        self._on_code: Callable[[ScannedCode], None] = lambda code: None
        self._on_status: OnStatus = lambda status: None
        self._on_hint: OnHint = lambda hint: None
        self._hints = HintTracker(clock)
        self._hint_sent: tuple[Hint | None, float] = (None, 0.0)   # what on_hint was last told, when
        self._status: DeviceStatus | None = None
        self._status_lock = threading.Lock()
        self._stop = threading.Event()
        self._decoder: threading.Thread | None = None
        self.frames_decoded = 0
        self.last_scan = None           # the last FrameScan, for the technician command and tests

    # -- CodeScanner port ---------------------------------------------------------------------
    def start(self, on_code: Callable[[ScannedCode], None], on_status: OnStatus,
              on_hint: OnHint | None = None) -> None:
        if self._decoder is not None:
            raise RuntimeError("camera scanner already started")
        self._on_code, self._on_status = on_code, on_status
        self._on_hint = on_hint or (lambda hint: None)
        self._hints = HintTracker(self._clock)
        self._hint_sent = (None, 0.0)
        self._stop.clear()
        # The cascade holds decoder state (zbar's scanner): built here, used only by one thread.
        pipeline = self._pipeline_arg or ScanPipeline()
        self._decoder = threading.Thread(target=self._decode_loop, args=(pipeline,),
                                         name="scanner-decode", daemon=True)
        self._decoder.start()
        self._capture.start()

    def stop(self) -> None:
        self._stop.set()
        self._capture.stop()
        if self._decoder is not None:
            self._decoder.join(timeout=3.0)
            if self._decoder.is_alive():
                log.error("decode thread did not stop in time")
            self._decoder = None
        self._latest.clear()
        self._send_hint(None)           # a stopped camera advises nobody

    def status(self) -> DeviceStatus:
        with self._status_lock:
            return self._status or DeviceStatus.absent("摄像头尚未连接")

    def latest_frame(self) -> Frame | None:
        """The newest camera frame for the on-screen preview (BGR, read-only), or None.

        Cheap and non-blocking: safe to call from the Kivy thread. Compare `.seq` with the
        last one drawn to skip redrawing an unchanged frame."""
        return self._latest.get()

    # -- decode thread --------------------------------------------------------------------------
    def _decode_loop(self, pipeline: ScanPipeline) -> None:
        seq = 0
        while not self._stop.is_set():
            frame = self._latest.wait_newer(seq, timeout=0.5)
            if frame is None:
                self._check_stall()
                self._send_hint(self._hints.idle())     # gone for CLEAR_S: cleared even with no frames
                continue
            seq = frame.seq
            try:
                scan = pipeline.process(frame.image)
            except Exception:      # a bad frame must not end scanning for the session
                log.exception("decoding a frame failed")
                continue
            self.frames_decoded += 1
            self.last_scan = scan
            for code in scan.codes:
                if self._dedupe.is_new(code.raw):
                    log.info("code read by %s in %.1f ms: %s %s", code.source, code.ms,
                             code.kind, code.payload.preview)
                    self._emit(code)
            self._send_hint(self._hints.frame(scan.hint, read=bool(scan.codes)))

    def _emit(self, code: ScannedCode) -> None:
        try:
            self._on_code(code)
        except Exception:          # a consumer bug must not kill the decode thread
            log.exception("on_code callback failed")

    def _send_hint(self, hint: Hint | None) -> None:
        """Tell the core when the advice changes, and again every REFRESH_S while it holds: the
        session drops a hint when its screen changes, and must get it back if still true."""
        last, at = self._hint_sent
        now = self._clock()
        if hint == last and (hint is None or now - at < REFRESH_S):
            return
        if hint != last:
            log.info("scan hint: %s", hint.value if hint else "none")
        self._hint_sent = (hint, now)
        try:
            self._on_hint(TO_CORE[hint] if hint else None)
        except Exception:          # a consumer bug must not kill the decode thread
            log.exception("on_hint callback failed")

    def _check_stall(self) -> None:
        last = self._latest.get()
        if last is None or self.status().state != DeviceState.OK:
            return
        if self._clock() - last.t > self._stall_s:
            # The capture thread is stuck inside the driver's read(): say so now; it reports
            # "ok" again itself when frames come back, or reopens the camera when read fails.
            self._set_status(DeviceStatus.fault("no_frames", "摄像头无画面"))

    # -- status -----------------------------------------------------------------------------------
    def _set_status(self, status: DeviceStatus) -> None:
        with self._status_lock:
            if status == self._status:
                return
            self._status = status
        log.info("scanner status: %s %s %s", status.state.value, status.code, status.detail)
        try:
            self._on_status(status)
        except Exception:          # a consumer bug must not kill the capture thread
            log.exception("on_status callback failed")
