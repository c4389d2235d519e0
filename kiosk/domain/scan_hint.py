"""What the camera's scanner tells a person whose code it sees but cannot read.

The core's own vocabulary for it: drivers/scanner/hint.py judges a frame and the camera scanner
maps its verdict to one of these (the core imports no driver). Each has one plain sentence for
the screen -- short, no jargon, an action the person can take -- whose English is in the one
message catalogue (screens/i18n.py), keyed by the Chinese as every message is.
"""
from __future__ import annotations

import enum


class ScanHint(enum.Enum):
    CLOSER = "closer"            # the code is too small in the frame
    BRIGHTER = "brighter"        # too faint: a dim phone screen
    TILT = "tilt"                # a reflection washes part of it out
    STEADIER = "steadier"        # blurred: the hand is moving

    @property
    def text(self) -> str:
        return _TEXT[self]


# "二维码" and "一下" rather than "手机": a paper receipt is held up as often as a phone. Only the
# faint code names the phone: paper cannot be made brighter, a phone's screen can.
_TEXT = {
    ScanHint.CLOSER: "请把二维码拿近一些",
    ScanHint.BRIGHTER: "请把手机屏幕调亮一些",
    ScanHint.TILT: "请稍微倾斜一下，避开反光",
    ScanHint.STEADIER: "请拿稳，不要晃动",
}
