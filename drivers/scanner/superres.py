"""WeChat's super-resolution network (assets/wechat_qrcode/sr.onnx) as a crop preparation for
codes held too far away: the network doubles the crop, trained to turn blurry 1-2 pixel modules
into sharp squares; Lanczos doubles it again so zxing-cpp gets modules of 4-8 pixels.

On small codes of the degradation set (1.0-1.6 pixels per module) this reads 28/40 where the
Lanczos-and-unsharp upscale reads 22/40; below ~1.25 pixels per module neither reads any.
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from .decoders.wechat import SUPER_RES
from .preprocess import ORIGIN, Prepared

MAX_SIDE = 84            # crops of small codes only: the network costs ~3 ms CPU per 1,000 px² (~20 ms here)


class SuperResolution:
    def __init__(self, model_path=SUPER_RES) -> None:
        self._path = str(model_path)
        self._net = None
        self._lock = threading.Lock()       # one Net, and the cascade may be shared by threads

    def available(self) -> bool:
        return SUPER_RES.is_file()

    def __call__(self, gray: np.ndarray) -> Prepared | None:
        if max(gray.shape) > MAX_SIDE or min(gray.shape) < 16:
            return None
        with self._lock:
            if self._net is None:
                self._net = cv2.dnn.readNetFromONNX(self._path)
            blob = cv2.dnn.blobFromImage(gray, 1.0 / 255)
            self._net.setInput(blob)
            out = self._net.forward()
        doubled = np.clip(out[0, 0] * 255.0, 0, 255).astype(np.uint8)
        big = cv2.resize(doubled, None, fx=2, fy=2, interpolation=cv2.INTER_LANCZOS4)
        # The network's output is 2n-1 wide (its crop layer): corners map back by ~1/4.
        return big, gray.shape[1] / big.shape[1], ORIGIN
