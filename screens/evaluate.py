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
            b.bind(on_release=lambda w, lv=level: self._choose(lv if w.state == "down" else 0))
            self.ids.levels.add_widget(b)
            self.dynamic[f"level:{level}"] = b
        for reason in DISSATISFIED_REASONS:
            b = Factory.ReasonButton(text=reason)
            self.dynamic[f"reason:{reason}"] = b

    def render(self, snap):
        super().render(snap)
        self.ids.message.text = tr(snap.session.message)
        for level, text in LEVELS.items():
            self.dynamic[f"level:{level}"].text = text if app().lang == "zh" else LEVELS_EN[level]

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
