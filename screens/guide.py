"""办事指南: every element of the matter's guide, readable and scrollable, then 开始办理."""
from kivy.clock import Clock
from kivy.uix.label import Label

from kiosk.domain.guide import guide_sections
from kiosk.session import Back, StartApplication
from screens import theme
from screens.base import KioskScreen, fs, tr
from screens.widgets.discard import discard_children
from screens.widgets.scrolling import set_scroll_y


# The first sections (about a screenful) are drawn with the screen; the rest, below the fold, are
# added on the next clock tick, after that frame was drawn (checked: one flip between). Building
# all ten took ~200 ms before anything showed (#15, matters->guide).
FIRST_SECTIONS = 3


class GuideScreen(KioskScreen):
    _shown = None

    def render(self, snap):
        super().render(snap)
        s = snap.session
        self.ids.message.text = tr(s.message)
        self.ids.btn_start.text = tr("开始办理" if s.card else "开始办理（请先放身份证）")
        if s.matter is None or s.matter is self._shown:
            return
        self._shown = s.matter
        self.ids.title.text = s.matter.name
        discard_children(self.ids.sections)
        sections = guide_sections(s.matter)
        self._add(sections[:FIRST_SECTIONS])
        set_scroll_y(self.ids.scroll, 1)
        rest, matter = sections[FIRST_SECTIONS:], s.matter
        if rest:
            Clock.schedule_once(lambda _dt: self._add_rest(matter, rest))

    def _add(self, sections) -> None:
        grid = self.ids.sections
        for heading, lines in sections:
            grid.add_widget(_text(heading, fs(28), theme.PRIMARY, bold=True))
            grid.add_widget(_text("\n".join(lines), fs(26), theme.TEXT))

    def _add_rest(self, matter, rest) -> None:
        if self._shown is matter:        # still this guide: not wiped or another matter meanwhile
            self._add(rest)

    def start(self):
        self.post(StartApplication())

    def back(self):
        self.post(Back())

    def wipe(self):
        self._shown = None
        discard_children(self.ids.sections)

    def invalidate(self):
        self._shown = None


def _text(text, size, color, bold=False):
    lab = Label(text=text, font_size=size, color=color, bold=bold, size_hint_y=None,
                halign="left", valign="top", line_height=1.15)
    # Wrap to the width and grow to the text: long guides are read by scrolling, never cut off.
    lab.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
             texture_size=lambda w, ts: setattr(w, "height", ts[1] + 8))
    return lab
