"""Technician menu, behind a PIN (config ui.technician_pin; empty = disabled): terminal id, hall
URL, version, every device's status, a test print. Reached by five taps on the hall's name on
the attract screen, so a citizen never lands here by accident."""
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import StringProperty

from kiosk.clock import china_time
from kiosk.domain.message import Msg
from kiosk.controller import EnterPin, HandOverRejected, RetryRejected, TestPrint
from kiosk.rejected import KIND_TEXT, STATE_TEXT
from kiosk.health import APP_VERSION
from kiosk.session import Back
from screens.base import KioskScreen, tr
from screens.widgets.discard import discard_children


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


ROWS = 3          # rejected items shown at once (the open ones first); the rest after these


class TechScreen(KioskScreen):
    _shown_rejected: tuple | None = None

    def on_kv_post(self, base_widget):
        # as many rows as the space left fits (长者模式 has less): redone when that space changes
        self.ids.rejected.bind(height=lambda *_: self._render_rejected(self._shown_rejected or ()))

    def invalidate(self) -> None:
        self._shown_rejected = None

    def render(self, snap):
        super().render(snap)
        self.ids.message.text = tr(snap.session.message)
        lines = [f"{tr('终端编号')}{tr('：')}{snap.terminal_id}", f"{tr('大厅地址')}{tr('：')}{snap.hall_url}",
                 f"{tr('软件版本')}{tr('：')}{APP_VERSION}", f"{tr('设备状态')}{tr('：')}"]
        for name, st in sorted(snap.devices.items()):
            detail = f"  {st.code} {st.detail}".rstrip()
            lines.append(f"  {name}{tr('：')}{st.state.value}{detail}")
        self.ids.info.text = "\n".join(lines)
        if snap.rejected != self._shown_rejected:       # rebuilt only when the list changed
            self._shown_rejected = snap.rejected
            self._render_rejected(snap.rejected)

    def _render_rejected(self, items) -> None:
        """被退回的上传: what, when, why, whose (masked); 再试一次 / 移交窗口 for the open ones."""
        box = self.ids.rejected
        discard_children(box)
        for name in [n for n in self.dynamic if n.startswith(("retry:", "handover:", "rejected:"))]:
            del self.dynamic[name]
        open_ = sum(1 for i in items if i.open)
        self.ids.rejected_title.text = tr(Msg("被退回的上传：{n} 件待处理", n=open_) if items else "被退回的上传：无")
        # An application's images and rating share its fate (and its buttons): one row for all.
        apps = {i.ref for i in items if i.kind == "application"}
        follow = {ref: sum(1 for i in items if i.ref == ref and i.kind != "application") for ref in apps}
        rows = [i for i in items if i.kind == "application" or i.ref not in apps]
        fit = int((box.height + dp(14)) // (dp(84) + dp(14)))
        rows = sorted(rows, key=lambda i: not i.open)[:max(0, min(ROWS, fit))]   # open ones first
        for item in rows:
            row = Factory.BoxLayout(size_hint_y=None, height=dp(84), spacing=dp(12))
            when = china_time(item.created_at).strftime("%m-%d %H:%M")
            with_ = f" (+{follow[item.ref]})" if follow.get(item.ref) and item.kind == "application" else ""
            text = (f"{item.ref}  {tr(KIND_TEXT.get(item.kind, item.kind))}{with_} {item.what}  {when}  "
                    f"{item.applicant}\n{tr('原因')}{tr('：')}{item.reason}  [{tr(STATE_TEXT.get(item.state, item.state))}]")
            label = Factory.Label(text=text, font_size=dp(20), halign="left", valign="middle",
                                  color=self.ids.info.color)
            label.bind(size=lambda w, _s: setattr(w, "text_size", w.size))
            row.add_widget(label)
            self.dynamic[f"rejected:{item.key}"] = label
            if item.open:
                for name, words, event in (("retry", "再试一次", RetryRejected), ("handover", "移交窗口", HandOverRejected)):
                    b = Factory.SecondaryButton(text=tr(words), size_hint_x=None, width=dp(170))
                    b.bind(on_release=lambda _b, e=event, k=item.key: self.post(e(k)))
                    row.add_widget(b)
                    self.dynamic[f"{name}:{item.key}"] = b
            box.add_widget(row)
        box.add_widget(Factory.Widget())                 # rows at the top, space below

    def test_print(self):
        self.post(TestPrint())

    def back(self):
        self.post(Back())
