"""The result: the application number, what happens next, whether the receipt printed."""
from kiosk.session import Evaluate, Finish, Reprint
from screens import theme
from screens.base import KioskScreen, tr


class DoneScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        o, s = snap.session.outcome, snap.session
        if o is None:
            return
        if o.queued:
            self.ids.title.text = tr("申请已保存，待上传")
            self.ids.number_label.text = tr("本地编号")
            self.ids.detail.text = tr("网络异常。您的申请已安全保存在本机，网络恢复后自动上报，无需再次办理。请保管好回执。")
        else:
            self.ids.title.text = tr("申请已提交")
            self.ids.number_label.text = tr("申请编号")
            self.ids.detail.text = tr("{matter}\n办理时限：{limit}。可凭回执二维码查询进度。").format(
                matter=s.matter.name, limit=o.time_limit_text)
        self.ids.number.text = o.application_no
        self.ids.btn_reprint.disabled = o.print_ok is None     # not while the first copy prints
        if o.print_ok is None:
            self.ids.print_message.text = tr("正在打印回执…")
            self.ids.print_message.color = theme.MUTED
        else:
            self.ids.print_message.text = tr(o.print_message)
            self.ids.print_message.color = theme.OK_GREEN if o.print_ok else theme.ACCENT

    def finish(self):
        self.post(Finish())

    def evaluate(self):
        self.post(Evaluate())

    def reprint(self):
        self.post(Reprint())

    def wipe(self):
        for name in ("number", "detail", "print_message"):
            self.ids[name].text = ""
