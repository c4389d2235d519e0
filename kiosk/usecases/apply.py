"""Apply (办事): the matter catalogue a visit chooses from. The form and its validation are the
session's (pure); what needs the hall is the catalogue, loaded at start, on the hall's
`reload_catalog` and again when someone opens the list while it is still missing."""
from __future__ import annotations

import logging
from typing import Mapping

from kiosk import session as S
from kiosk.domain.catalogue import Catalog, Matter
from kiosk.ports import HallClient, HallRejected, HallUnavailable

log = logging.getLogger(__name__)


class Apply:
    def __init__(self, hall: HallClient):
        self._hall = hall
        self.catalog: Catalog | None = None
        self.message = "正在获取事项目录…"      # why the matter list is empty, in plain Chinese

    @property
    def matters(self) -> tuple[Matter, ...]:
        return self.catalog.matters if self.catalog else ()

    @property
    def initials(self) -> Mapping[str, str]:
        return self.catalog.initials if self.catalog else {}

    def load(self) -> None:
        try:
            self.catalog = self._hall.catalog()
            self.message = "" if self.catalog.matters else "暂无可办理的事项"
        except (HallUnavailable, HallRejected) as e:
            log.warning("catalogue unavailable: %s", e)
            self.message = "暂时无法获取事项目录，请稍后再试或咨询工作人员"

    def before(self, event) -> None:
        if isinstance(event, S.OpenMatters) and self.catalog is None:
            self.load()          # the hall may be back since start-up

    def matter(self, code: str) -> Matter | None:
        return next((m for m in self.matters if m.code == code), None)
