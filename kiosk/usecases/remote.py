"""Remote commands from the hall's console: maintenance on/off, a notice line, reload the
catalogue, restart. A restart waits until nobody is in the middle of a visit; the app then
exits and systemd (Restart=always) starts it again."""
from __future__ import annotations

import logging
from typing import Callable

from kiosk import session as S
from kiosk.ports import RemoteCommand
from kiosk.usecases.apply import Apply

log = logging.getLogger(__name__)


class RemoteCommands:
    def __init__(self, apply: Apply, request_restart: Callable[[], None]):
        self._apply = apply
        self.request_restart = request_restart
        self.maintenance = False
        self.notice = ""
        self.restart_pending = False

    def apply(self, cmd: RemoteCommand) -> bool:
        """True: wipe the session (nobody continues on a terminal under maintenance)."""
        if cmd.kind == "maintenance_on":
            self.maintenance = True
            return True
        if cmd.kind == "maintenance_off":
            self.maintenance = False
        elif cmd.kind == "notice":
            self.notice = str(cmd.payload.get("text", ""))[:200]
        elif cmd.kind == "reload_catalog":
            self._apply.load()
        elif cmd.kind == "restart":
            self.restart_pending = True       # done when nobody is in the middle of a visit
        else:
            log.warning("remote command %s not supported by this version", cmd.kind)
        return False

    def restart_if_idle(self, s: S.Session) -> None:
        if self.restart_pending and s.state is S.State.ATTRACT:
            self.restart_pending = False
            log.info("restarting on the hall's command")
            self.request_restart()
