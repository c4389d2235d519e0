"""Review: everything the user will submit, to check before the one irreversible step."""
from kivy.uix.label import Label

from kiosk.domain import materials as M
from kiosk.domain.identity import mask_id_number
from kiosk.session import Back, Confirm
from screens import theme
from screens.base import KioskScreen, fs, tr
from screens.status_text import printer_problem
from screens.widgets.discard import discard_children


class ReviewScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        s = snap.session
        self.ids.message.text = tr(s.message) or tr(printer_problem(snap.devices))
        if s.matter is None:
            return
        grid = self.ids.lines
        discard_children(grid)
        rows = [(tr("办理事项"), s.matter.name), (tr("办理时限"), s.matter.time_limit_text)]
        for f in s.matter.form:
            value = s.values.get(f.name, "") or tr("（未填写）")
            if f.type == "id_number":
                value = mask_id_number(value)   # masked on every screen list (ARCHITECTURE §5)
            rows.append((f.label, value))
        for label, value in rows:
            grid.add_widget(_cell(label, theme.MUTED, 0.32))
            grid.add_widget(_cell(value, theme.TEXT, 0.68))
        # 申请材料: what becomes of each (the 窗口补交 ones are listed again on the receipt)
        grid.add_widget(_cell(tr("申请材料"), theme.TEXT, 0.32, bold=True))
        grid.add_widget(_cell("", theme.TEXT, 0.68))
        for m in s.matter.materials:
            d = s.dispositions.get(m.id, M.NONE)
            grid.add_widget(_cell(m.name, theme.MUTED, 0.32))
            cell = _cell(tr(M.DISPOSITION_TEXT[d]), theme.TEXT, 0.68, bold=d == M.WINDOW)
            grid.add_widget(cell)
            self.dynamic[f"material:{m.id}"] = cell

    def confirm(self):
        self.post(Confirm())

    def back(self):
        self.post(Back())

    def wipe(self):
        discard_children(self.ids.lines)


def _cell(text, color, width_hint, bold=False):
    lab = Label(text=text, font_size=fs(26), color=color, size_hint=(width_hint, None),
                halign="left", valign="top", bold=bold)
    # Wrap long values and grow the row to fit: nothing is cut off.
    lab.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
             texture_size=lambda w, ts: setattr(w, "height", max(ts[1], 40)))
    return lab
