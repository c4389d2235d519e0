"""Agreement before acceptance: a payload a fallback step read off a damaged frame is passed on
only when something confirms it.

QR codes carry Reed-Solomon error correction, so a decoder that reads a damaged symbol almost
always reads it right. "Almost" is not enough for a kiosk: a receipt number misread by one
character opens someone else's progress. The steps after the first one (deblurring, upscaling,
equalising) feed the decoder pictures the symbol never was, which is where a wrong read that
still passes the error correction would come from. So a read is accepted when

  - the first step (zxing-cpp on the frame as it is) read it; or
  - the payload checks itself: a 受理编号 or 预约码 with its ISO 7064 check character, a
    统一社会信用代码 (bare or as a gsxt link's uniscid) with its GB 32100 check character --
    kiosk.domain.payload only classifies them as such when the check holds; or
  - another frame read the same bytes within `window_s` (a camera gives 15-30 a second), or,
    for a still image, a second, different step of the cascade read the same bytes.

Anything else is held as pending: never reported as a code, but the scanner knows it is close.
"""
from __future__ import annotations

import time
from typing import Callable

from kiosk.domain.payload import APPOINTMENT, BUSINESS_LICENCE, RECEIPT, ScannedCode

WINDOW_S = 2.0

FIRST_STEP = "first step"
CHECKSUM = "checksum"
SECOND_FRAME = "second frame"
SECOND_STEP = "second step"


def self_checking(code: ScannedCode) -> bool:
    """The payload carries a check character that held (payload.classify verified it)."""
    p = code.payload
    return p.kind in (RECEIPT, APPOINTMENT) or (p.kind == BUSINESS_LICENCE and bool(p.uscc))


class Confirmer:
    """Remembers unconfirmed reads for `window_s`; one per scanner (per camera)."""

    def __init__(self, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s <= 0:
            raise ValueError("confirmation window must be positive")
        self.window_s = window_s
        self._clock = clock
        self._pending: dict[bytes, tuple[float, int]] = {}     # raw -> (last seen, frame number)
        self._frame = 0

    def next_frame(self) -> None:
        self._frame += 1

    def why_accepted(self, code: ScannedCode, primary: bool, agreeing_step: str = "") -> str:
        """How this read is confirmed ("" = not yet: it is held as pending)."""
        now = self._clock()
        self._forget(now)
        if primary:
            return FIRST_STEP
        if self_checking(code):
            return CHECKSUM
        if agreeing_step:
            return SECOND_STEP
        seen = self._pending.get(code.raw)
        if seen is not None and seen[1] != self._frame:
            del self._pending[code.raw]
            return SECOND_FRAME
        self._pending[code.raw] = (now, self._frame)
        return ""

    def clear(self) -> None:
        self._pending.clear()

    def _forget(self, now: float) -> None:
        for raw in [r for r, (t, _) in self._pending.items() if now - t > self.window_s]:
            del self._pending[raw]
