"""好差评: five levels; for 不满意 / 非常不满意 the reasons (multi-choice) are required."""
from kivy.factory import Factory

from kiosk.domain.evaluation import DISSATISFIED_REASONS, LEVELS, LEVELS_EN, needs_reason
from kiosk.session import Back, Rate
from screens.base import KioskScreen, app, tr


class EvaluateScreen(KioskScreen):
    level = 0

    def on_kv_post(self, base_widget):
        for level, text in sorted(LEVELS.items(), reverse=True):
            b = Factory.LevelButton(text=text)
            b.bind(on_release=lambda w, lv=level: self._choose(lv if w.state == "down" else 0),
                   state=self._relabel_levels)
            self.ids.levels.add_widget(b)
            self.dynamic[f"level:{level}"] = b
        for reason in DISSATISFIED_REASONS:
            b = Factory.ReasonButton(text=reason)
            # chosen is shown by a mark as well as by colour (issue #7)
            b.bind(state=lambda w, st, r=reason: setattr(w, "text", ("✓ " if st == "down" else "") + r))
            self.dynamic[f"reason:{reason}"] = b

    def _relabel_levels(self, *_):
        for level, text in LEVELS.items():
            b = self.dynamic[f"level:{level}"]
            label = text if app().lang == "zh" else LEVELS_EN[level]
            b.text = ("✓ " if b.state == "down" else "") + label

    def render(self, snap):
        super().render(snap)
        self.ids.message.text = tr(snap.session.message)
        self._relabel_levels()

    def _choose(self, level):
        self.level = level
        grid = self.ids.reasons
        grid.clear_widgets()
        self.ids.reasons_title.text = ""
        if needs_reason(level):
            self.ids.reasons_title.text = tr("不满意的原因（可多选），工作人员会跟进回访：")
            for reason in DISSATISFIED_REASONS:
                grid.add_widget(self.dynamic[f"reason:{reason}"])

    def submit(self):
        reasons = tuple(r for r in DISSATISFIED_REASONS
                        if needs_reason(self.level) and self.dynamic[f"reason:{r}"].state == "down")
        self.post(Rate(self.level, reasons))

    def back(self):
        self.post(Back())

    def wipe(self):
        self._choose(0)
        for name, w in self.dynamic.items():
            w.state = "normal"
