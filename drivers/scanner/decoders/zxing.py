"""zxing-cpp: the first decoder of the cascade.

Read with TextMode.HexECI: `.text` is then the hex of zxing-cpp's "bytes with ECI" stream --
the symbology identifier (]Q1 no ECI, ]Q2 ECI present, ...) followed by the data with each ECI
designator as backslash + six digits and literal backslashes doubled. That is the only way the
Python binding exposes the ECI, and `.bytes` alone loses it. (Its default text mode also
rewrites control characters, and its charset guess garbles GB18030: NOTES.md.)
"""
from __future__ import annotations

import logging

import numpy as np
import zxingcpp

from .base import RawCode

log = logging.getLogger(__name__)

# Modifiers of the ]Q symbology identifier that say "an ECI designator is present".
_ECI_MODIFIERS = {"2", "4", "6"}


class ZxingDecoder:
    def __init__(self, name: str = "zxing", binarizer: str = "LocalAverage",
                 formats=zxingcpp.BarcodeFormat.QRCode, locate_failures: bool = False) -> None:
        # QR only: codes on phones and paper in a hall are QR, and every extra (1-D) format
        # is time per frame and a chance to "read" a pattern on a sleeve.
        self.name = name
        self._binarizer = getattr(zxingcpp.Binarizer, binarizer)
        self._formats = formats
        # locate_failures: also keep the corners of symbols found but not decoded (checksum
        # failed): where the cascade's heavy steps should look (locate.py). Costs nothing extra.
        self._return_errors = locate_failures
        self.last_errors: tuple = ()

    def decode(self, gray: np.ndarray) -> list[RawCode]:
        found = zxingcpp.read_barcodes(gray, formats=self._formats, binarizer=self._binarizer,
                                       text_mode=zxingcpp.TextMode.HexECI,
                                       return_errors=self._return_errors)
        self.last_errors = tuple(_quad(b.position) for b in found if not b.valid)
        return [RawCode(b.bytes, eci_segments(b.text, b.bytes), _quad(b.position)) for b in found if b.valid]


def eci_segments(hex_eci: str, raw: bytes) -> tuple:
    """(ECI, bytes) pieces from zxing-cpp's HexECI text; () when the code declares no ECI."""
    try:
        stream = bytes.fromhex(hex_eci)
    except ValueError:
        log.warning("zxing-cpp HexECI text is not hex: %.40r", hex_eci)
        return ()
    if len(stream) < 3 or stream[:2] != b"]Q" or chr(stream[2]) not in _ECI_MODIFIERS:
        return ()
    segments, eci, buf, i, body = [], None, bytearray(), 0, stream[3:]
    while i < len(body):
        if body[i] == 0x5C and body[i + 1:i + 2] == b"\\":
            buf.append(0x5C)
            i += 2
        elif body[i] == 0x5C and body[i + 1:i + 7].isdigit() and len(body[i + 1:i + 7]) == 6:
            if buf or eci is not None:
                segments.append((eci, bytes(buf)))
            eci, buf = int(body[i + 1:i + 7]), bytearray()
            i += 7
        else:
            buf.append(body[i])
            i += 1
    segments.append((eci, bytes(buf)))
    if b"".join(chunk for _, chunk in segments) != raw:
        # Our reading of the stream disagrees with the raw bytes: trust the bytes, drop the ECI.
        log.warning("zxing-cpp ECI stream does not match its bytes; ignoring the ECI")
        return ()
    return tuple(segments)


def _quad(p) -> tuple:
    return tuple((float(pt.x), float(pt.y)) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
