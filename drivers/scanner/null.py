"""The "none" scanner driver: a kiosk without a camera or scanner module.

A real object rather than None, so the controller and the UI need no special case: its status
says plainly that there is no scanner, and the features that need one stay disabled."""
from __future__ import annotations

from kiosk.ports import DeviceStatus


class NoScanner:
    def start(self, on_code, on_status, on_hint=None) -> None:
        on_status(self.status())

    def stop(self) -> None:
        return None

    def status(self) -> DeviceStatus:
        return DeviceStatus.absent("本机未配置扫码设备")

    def latest_frame(self):
        return None
