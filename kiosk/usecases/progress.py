"""Progress (办件进度): an identified person's applications, and one application's timeline
(also reached by scanning a receipt, then proven by the card). The hall answers only for the
card holder's own applications."""
from __future__ import annotations

import logging

from kiosk import session as S
from kiosk.ports import HallClient, HallRejected, HallUnavailable

log = logging.getLogger(__name__)

OFFLINE = "网络中断，暂时无法查询，请稍后再试"


class Progress:
    def __init__(self, hall: HallClient):
        self._hall = hall

    def applications(self, s: S.Session) -> S.ShowApplications:
        try:
            return S.ShowApplications(tuple(self._hall.applications_of(s.card.id_number)))
        except HallUnavailable:
            return S.ShowApplications((), OFFLINE)
        except HallRejected as e:
            log.warning("applications query refused: %s", e.status)
            return S.ShowApplications((), "暂时无法查询，请咨询工作人员")

    def detail(self, s: S.Session) -> S.ShowProgress:
        try:
            return S.ShowProgress(self._hall.progress(s.wanted_no, s.card.id_number))
        except HallUnavailable:
            return S.ShowProgress(None, OFFLINE)
        except HallRejected as e:
            if e.status == 404:
                return S.ShowProgress(None, "没有查到这份申请，或它不是您本人的申请")
            return S.ShowProgress(None, "暂时无法查询，请咨询工作人员")
