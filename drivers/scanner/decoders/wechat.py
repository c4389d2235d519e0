"""cv2.wechat_qrcode (opencv-contrib) with the WeChat CNN detector and super-resolution models.

The models ship in assets/wechat_qrcode/ (ONNX, converted from WeChat's Caffe originals: see
the README there). Without them the module falls back to a classic detector that is slow on
frames with no code (~110 ms, NOTES.md), so it is only "available" with the models.

Its Python binding hands back str decoded as UTF-8 and raises UnicodeDecodeError on any other
payload (a GB18030 or Shift-JIS code): that is caught and counted as "no code", since the bytes
are lost at that point -- the other decoders read those.
"""
from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from .base import RawCode

log = logging.getLogger(__name__)

MODELS = Path(__file__).resolve().parents[3] / "assets" / "wechat_qrcode"
DETECT, SUPER_RES = MODELS / "detect.onnx", MODELS / "sr.onnx"


def wechat_available() -> bool:
    """The installed OpenCV has wechat_qrcode and the model files are where we ship them."""
    return (hasattr(cv2, "wechat_qrcode") and hasattr(cv2.wechat_qrcode, "WeChatQRCode")
            and DETECT.is_file() and SUPER_RES.is_file())


class WechatDecoder:
    def __init__(self, name: str = "wechat", detector=None) -> None:
        if detector is None:
            if not wechat_available():
                raise RuntimeError("no cv2.wechat_qrcode (opencv-contrib) or no models in " + str(MODELS))
            detector = cv2.wechat_qrcode.WeChatQRCode(str(DETECT), str(SUPER_RES))
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
