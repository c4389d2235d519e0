"""办件进度: the identified person's applications, then one application's timeline."""
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.uix.label import Label

from kiosk.domain.progress import short_time
from kiosk.session import Back, OpenApplication
from screens import theme
from screens.base import KioskScreen, app, fs, tr
from screens.widgets.discard import discard_children


class ProgressScreen(KioskScreen):
    _shown = None

    def render(self, snap):
        super().render(snap)
        s = snap.session
        self.ids.message.text = tr(s.message)
        if s.applications is self._shown:
            return
        self._shown = s.applications
        grid = self.ids.rows
        discard_children(grid)
        self.dynamic.clear()
        for p in s.applications:
            text = (f"{p.matter_name}\n[size={int(fs(22))}]{p.application_no} · {tr('状态')}{tr('：')}{p.status_text}"
                    f" · {short_time(p.received_at)}[/size]")
            row = Factory.BigButton(text=text, markup=True, halign="center")
            row.bind(size=lambda w, sz: setattr(w, "text_size", (sz[0] - 24, None)),
                     texture_size=lambda w, ts: setattr(w, "height", max(dp(110) * app().scale, ts[1] + dp(24))))
            row.bind(on_release=lambda _w, no=p.application_no: self.post(OpenApplication(no)))
            grid.add_widget(row)
            self.dynamic[f"application:{p.application_no}"] = row

    def back(self):
        self.post(Back())

    def wipe(self):
        self._shown = None
        discard_children(self.ids.rows)
        self.dynamic.clear()

    invalidate = wipe


class ProgressDetailScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        s = snap.session
        self.ids.message.text = tr(s.message)
        grid = self.ids.lines
        discard_children(grid)
        p = s.progress
        if p is None:
            if s.wanted_no:
                grid.add_widget(_line(f"{tr('申请编号')}{tr('：')}{s.wanted_no}", theme.TEXT))
            return
        rows = [(f"{tr('申请编号')}{tr('：')}{p.application_no}", theme.TEXT),
                (f"{tr('办理事项')}{tr('：')}{p.matter_name}", theme.TEXT),
                (f"{tr('当前状态')}{tr('：')}{p.status_text}", theme.PRIMARY),
                (f"{tr('办理时限')}{tr('：')}{p.time_limit_text}" + (f"{tr('（')}{tr('承诺办结')} {p.promised_due}{tr('）')}" if p.promised_due else ""), theme.TEXT)]
        if p.overdue_text:
            rows.append((tr(p.overdue_text), theme.ACCENT))
        if p.note:
            rows.append((f"{tr('说明')}{tr('：')}{p.note}", theme.ACCENT))
        if p.to_bring:
            rows.append((f"{tr('请携带以下材料到窗口补交：')}{tr('、').join(p.to_bring)}", theme.ACCENT))
        rows.append((tr("办理过程"), theme.MUTED))
        rows += [(f"{short_time(step.at)}  {step.status_text}" + (f"{tr('：')}{step.note}" if step.note else ""), theme.TEXT)
                 for step in reversed(p.timeline)]
        for text, color in rows:
            grid.add_widget(_line(text, color))

    def back(self):
        self.post(Back())

    def wipe(self):
        discard_children(self.ids.lines)


def _line(text, color):
    lab = Label(text=text, font_size=fs(26), color=color, size_hint_y=None, halign="left", valign="top")
    lab.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
             texture_size=lambda w, ts: setattr(w, "height", ts[1] + 6))
    return lab
