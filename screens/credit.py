"""信用报告: choose whose report, then the summary on screen (sections, counts, 已修复) and print."""
from kivy.uix.label import Label

from kiosk.session import Back, PrintCredit, RequestCredit
from screens import theme
from screens.base import KioskScreen, fs, tr
from screens.widgets.scan_hint import ScanHintBar  # noqa: F401  (used by credit.kv)
from screens.widgets.discard import discard_children


class CreditScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        self.ids.message.text = tr(snap.session.message)
        hint = snap.session.scan_hint      # awaiting the 电子营业执照: how to hold it
        self.ids.scan_hint.text = tr(hint.text) if hint is not None else ""

    def person(self):
        self.post(RequestCredit("person"))

    def enterprise(self):
        self.post(RequestCredit("enterprise"))

    def back(self):
        self.post(Back())


class CreditReportScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        s = snap.session
        self.ids.message.text = tr(s.message)
        r = s.credit
        grid = self.ids.lines
        discard_children(grid)
        if r is None:
            return
        rows = [(f"{tr('报告编号')}{tr('：')}{r.report_no}", theme.TEXT),
                (f"{tr('信用主体')}{tr('：')}{r.subject.printed_name}", theme.TEXT),
                (f"{tr(r.subject.code_label)}{tr('：')}{r.subject.printed_code}", theme.TEXT),
                (f"{tr('生成时间')}{tr('：')}{r.generated_at.strftime('%Y-%m-%d %H:%M')}", theme.TEXT),
                (f"{tr('核验码')}{tr('：')}{r.verify_code}", theme.TEXT)]
        for section in r.sections:
            line = f"{section.title}{tr('：')}{section.total} {tr('条')}"
            if section.repaired:
                line += f"（{tr('其中已修复')} {section.repaired} {tr('条')}）"
            rows.append((line, theme.ACCENT if section.total and "失信" in section.title else theme.PRIMARY))
        for text, color in rows:
            lab = Label(text=text, font_size=fs(26), color=color, size_hint_y=None, halign="left", valign="top")
            lab.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
                     texture_size=lambda w, ts: setattr(w, "height", ts[1] + 6))
            grid.add_widget(lab)

    def print_summary(self):
        self.post(PrintCredit(a4=False))

    def print_a4(self):
        self.post(PrintCredit(a4=True))

    def back(self):
        self.post(Back())

    def wipe(self):
        discard_children(self.ids.lines)
