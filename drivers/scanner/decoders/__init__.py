"""Decoders behind one small interface (issue #4): each takes a grayscale image, returns codes.

    zxing    zxing-cpp: fastest and reads the most; raw bytes and ECI designators kept
    zbar     pyzbar/libzbar in binary mode: a different detector, wins some codes back
    wechat   cv2.wechat_qrcode, only when the installed OpenCV has it (opencv-contrib)

A decoder never turns bytes into text: kiosk.domain.payload does that, the same way for all.
"""
from __future__ import annotations

from .base import Decoder, RawCode
from .wechat import WechatDecoder, wechat_available
from .zbar import ZbarDecoder
from .zxing import ZxingDecoder

__all__ = ["Decoder", "RawCode", "ZxingDecoder", "ZbarDecoder", "WechatDecoder", "wechat_available"]
