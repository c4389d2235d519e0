"""pyzbar (libzbar) in binary mode: the cascade's second decoder.

pyzbar's own decode() leaves zbar converting the bytes to text with its own guess, which turns
GBK and Shift-JIS into silently wrong text (NOTES.md). With ZBAR_CFG_BINARY zbar hands back the
symbol's bytes untouched; pyzbar does not name that setting, so it is set through its ctypes
wrapper. zbar in binary mode does not report ECI designators: its bytes go to the guess.
"""
from __future__ import annotations

import ctypes
import logging

import numpy as np
from pyzbar import pyzbar as _pz
from pyzbar.wrapper import (
    ZBarConfig, ZBarSymbol, zbar_image_create, zbar_image_destroy, zbar_image_first_symbol,
    zbar_image_scanner_create, zbar_image_scanner_destroy, zbar_image_scanner_set_config,
    zbar_image_set_data, zbar_image_set_format, zbar_image_set_size, zbar_scan_image,
    zbar_symbol_get_data, zbar_symbol_get_data_length, zbar_symbol_get_loc_size,
    zbar_symbol_get_loc_x, zbar_symbol_get_loc_y, zbar_symbol_next,
)

from .base import RawCode

log = logging.getLogger(__name__)

ZBAR_CFG_BINARY = 4          # zbar.h (0.23+): "don't convert binary data to text"
_GRAY = _pz._FOURCC["L800"]  # zbar's fourcc for 8-bit grayscale


class ZbarDecoder:
    def __init__(self, name: str = "zbar") -> None:
        self.name = name
        self._scanner = zbar_image_scanner_create()
        if not self._scanner:
            raise RuntimeError("zbar: cannot create an image scanner")
        zbar_image_scanner_set_config(self._scanner, ZBarSymbol.NONE, ZBarConfig.CFG_ENABLE, 0)
        zbar_image_scanner_set_config(self._scanner, ZBarSymbol.QRCODE, ZBarConfig.CFG_ENABLE, 1)
        # 0 = accepted. An older zbar (0.10) refuses it and would hand back its own text guess.
        self.binary = zbar_image_scanner_set_config(self._scanner, ZBarSymbol.QRCODE, ZBAR_CFG_BINARY, 1) == 0
        if not self.binary:
            log.warning("this libzbar has no binary mode: its payloads are zbar's UTF-8 guesses")

    def decode(self, gray: np.ndarray) -> list[RawCode]:
        gray = np.ascontiguousarray(gray)
        h, w = gray.shape
        image = zbar_image_create()
        if not image:
            raise RuntimeError("zbar: cannot create an image")
        try:
            zbar_image_set_format(image, _GRAY)
            zbar_image_set_size(image, w, h)
            # No cleanup handler: the numpy buffer outlives the zbar image (destroyed below).
            zbar_image_set_data(image, gray.ctypes.data_as(ctypes.c_void_p), gray.size, None)
            if zbar_scan_image(self._scanner, image) < 0:
                raise RuntimeError("zbar: unsupported image format")
            return list(_symbols(image))
        finally:
            zbar_image_destroy(image)

    def close(self) -> None:
        scanner, self._scanner = getattr(self, "_scanner", None), None   # None if __init__ failed
        if scanner:
            zbar_image_scanner_destroy(scanner)

    def __del__(self) -> None:
        self.close()


def _symbols(image):
    symbol = zbar_image_first_symbol(image)
    while symbol:
        data = ctypes.string_at(zbar_symbol_get_data(symbol), zbar_symbol_get_data_length(symbol))
        points = [(float(zbar_symbol_get_loc_x(symbol, i)), float(zbar_symbol_get_loc_y(symbol, i)))
                  for i in range(zbar_symbol_get_loc_size(symbol))]
        yield RawCode(data, (), _corners(points))
        symbol = zbar_symbol_next(symbol)


def _corners(points) -> tuple:
    """zbar gives the outline as a list of points; keep its bounding box as four corners."""
    if not points:
        return ()
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return ((min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys)))
