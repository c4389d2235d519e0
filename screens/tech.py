"""Technician menu, behind a PIN (config ui.technician_pin; empty = disabled): terminal id, hall
URL, version, every device's status, a test print. Reached by five taps on the hall's name on
the attract screen, so a citizen never lands here by accident."""
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import StringProperty

from kiosk.controller import EnterPin, TestPrint
from kiosk.health import APP_VERSION
from kiosk.session import Back
from screens.base import KioskScreen, tr


class TechPinScreen(KioskScreen):
    pin = StringProperty("")

    def on_kv_post(self, base_widget):
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "清空", "0", "删除"):
            b = Factory.SecondaryButton(text=tr(key), height=dp(72))
            b.bind(on_release=lambda _b, k=key: self._key(k))
            self.ids.pad.add_widget(b)
            self.dynamic[f"key:{key}"] = b

    def _key(self, key):
        if key == "清空":
            self.pin = ""
        elif key == "删除":
            self.pin = self.pin[:-1]
        elif len(self.pin) < 12:
            self.pin += key

    def render(self, snap):
        super().render(snap)
        self.ids.message.text = tr(snap.session.message)

    def submit(self):
        pin, self.pin = self.pin, ""
        self.post(EnterPin(pin))

    def back(self):
        self.pin = ""
        self.post(Back())

    def wipe(self):
        self.pin = ""


class TechScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        self.ids.message.text = tr(snap.session.message)
        lines = [f"{tr('终端编号')}{tr('：')}{snap.terminal_id}", f"{tr('大厅地址')}{tr('：')}{snap.hall_url}",
                 f"{tr('软件版本')}{tr('：')}{APP_VERSION}", f"{tr('设备状态')}{tr('：')}"]
        for name, st in sorted(snap.devices.items()):
            detail = f"  {st.code} {st.detail}".rstrip()
            lines.append(f"  {name}{tr('：')}{st.state.value}{detail}")
        self.ids.info.text = "\n".join(lines)

    def test_print(self):
        self.post(TestPrint())

    def back(self):
        self.post(Back())
