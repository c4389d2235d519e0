"""Identify: an ID card read, or a code scanned, -> the session event it means. An expired
card starts nothing; a QR code is a receipt (progress), a business licence (credit), an
appointment or unknown (a message); on the materials screen the camera looks at documents, so
a code printed on one is no command. A code seen but not read becomes a hint on how to hold it."""
from __future__ import annotations

import logging

from kiosk import session as S
from kiosk.clock import china_time
from kiosk.ports import Clock

log = logging.getLogger(__name__)

EXPIRED = "您的身份证已过期，请使用有效证件，或到人工窗口办理"


class Identify:
    def __init__(self, clock: Clock):
        self._clock = clock

    def card(self, event: S.CardRead):
        if event.card.is_expired(china_time(self._clock.now()).date()):
            return S.CardProblem(EXPIRED)
        return event

    def scanned(self, code, session: S.Session):
        """None: the code is ignored here."""
        if session.state is S.State.MATERIALS:
            log.info("code ignored on the materials screen (%s)", code.payload.kind)
            return None
        payload = code.payload
        if payload.kind == "receipt":
            return S.ReceiptScanned(payload.application_no)
        if payload.kind == "business_licence":
            if session.state is S.State.CREDIT and session.card is not None:
                return S.LicenceScanned(payload.uscc, code.text or "")
            return S.Say("已识别营业执照。查询企业信用报告请先放身份证，再点“信用报告查询打印”")
        if payload.kind == "appointment":
            return S.Say("已识别预约码。预约签到请到取号机或窗口办理")
        return S.Say(payload.message)   # 无法识别此二维码（内容：…）, escaped and truncated

    def hint(self, hint, session: S.Session):
        """The camera sees a code it cannot read (kiosk.domain.scan_hint.ScanHint) or no longer
        does (None). Documents on the materials screen are no one's attempt to scan: no advice."""
        if session.state is S.State.MATERIALS:
            return None
        if hint is None and session.scan_hint is None:
            return None                     # nothing shown, nothing to clear
        return S.ShowScanHint(hint)
