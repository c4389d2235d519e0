"""cv2.wechat_qrcode, when the installed OpenCV has it (opencv-contrib builds only).

Without its CNN model files it runs its classic detector. Its Python binding hands back str
decoded as UTF-8 and raises UnicodeDecodeError on any other payload (a GB18030 or Shift-JIS
code): that is caught and counted as "no code", since the bytes are lost at that point.
"""
from __future__ import annotations

import logging

import cv2
import numpy as np

from .base import RawCode

log = logging.getLogger(__name__)


def wechat_available() -> bool:
    return hasattr(cv2, "wechat_qrcode") and hasattr(cv2.wechat_qrcode, "WeChatQRCode")


class WechatDecoder:
    def __init__(self, name: str = "wechat", detector=None) -> None:
        if detector is None:
            if not wechat_available():
                raise RuntimeError("this OpenCV build has no wechat_qrcode (it is in opencv-contrib)")
            detector = cv2.wechat_qrcode.WeChatQRCode()
        self.name = name
        self._detector = detector
        self.non_utf8 = 0        # payloads lost to the binding's UTF-8 decoding, for the bench

    def decode(self, gray: np.ndarray) -> list[RawCode]:
        try:
            texts, points = self._detector.detectAndDecode(gray)
        except UnicodeDecodeError:
            self.non_utf8 += 1
            log.debug("wechat_qrcode found a code that is not UTF-8; left to other decoders")
            return []
        out = []
        for text, pts in zip(texts, points if points is not None else []):
            if text:
                quad = tuple((float(x), float(y)) for x, y in np.asarray(pts).reshape(-1, 2)[:4])
                # The binding decoded the raw bytes as UTF-8, so encoding gives them back exactly.
                out.append(RawCode(text.encode("utf-8"), (), quad))
        return out
