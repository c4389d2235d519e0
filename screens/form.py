"""A form generated from the matter's schema, pre-filled from the ID card; errors by each field."""
from kivy.factory import Factory
from kivy.uix.label import Label

from kiosk.domain.identity import mask_id_number
from kiosk.session import Back, SubmitForm
from screens import theme
from kivy.metrics import dp

from screens.base import KioskScreen, app, fs, tr


class FormScreen(KioskScreen):
    _built_for = None

    def render(self, snap):
        super().render(snap)
        s = snap.session
        if s.matter is None:
            return
        key = (s.card, s.matter)
        if self._built_for is None or self._built_for[0] is not key[0] or self._built_for[1] is not key[1]:
            self._build(s)
            self._built_for = key
        for f in s.matter.form:
            self.dynamic[f"error:{f.name}"].text = s.errors.get(f.name, "")
        n = len(s.errors)
        self.ids.summary.text = tr("有{n}项需要填写或更正，请看标红的提示").format(n=n) if n else ""
        first = next((f.name for f in s.matter.form if f.name in s.errors), None)
        if first is not None:
            # Errors below the fold are invisible: bring the first one into view.
            self.ids.scroll.scroll_to(self.dynamic[f"error:{first}"], padding=40, animate=False)

    def _build(self, s):
        self.ids.title.text = s.matter.name
        grid = self.ids.fields
        grid.clear_widgets()
        self.dynamic.clear()
        for f in s.matter.form:
            from_card = f.prefill.startswith("idcard.") and bool(s.values.get(f.name))
            mark = "* " if f.required else ""
            hint = tr("（读自身份证）") if from_card else ""
            grid.add_widget(_label(f"{mark}{f.label}{hint}", fs(26), theme.TEXT, 44))
            if f.type == "choice":
                w = Factory.FieldChoice(text=s.values.get(f.name) or tr("请选择"), values=list(f.choices))
            elif from_card:
                shown = s.values[f.name]
                if f.type == "id_number":
                    shown = mask_id_number(shown)     # masked on screen (ARCHITECTURE §5)
                w = Factory.FieldInput(text=shown, readonly=True, background_color=(0.92, 0.93, 0.95, 1))
                w.from_card = True
            else:
                w = Factory.FieldInput(text=s.values.get(f.name, ""), hint_text=f.hint or _type_hint(f.type))
            grid.add_widget(w)
            err = _label("", fs(24), theme.ACCENT, 36)
            grid.add_widget(err)
            self.dynamic[f"field:{f.name}"] = w
            self.dynamic[f"error:{f.name}"] = err
        self.ids.scroll.scroll_y = 1

    def values(self) -> dict:
        """What the user entered. Card fields are not sent back: the session keeps the card's."""
        out = {}
        for name, w in self.dynamic.items():
            if name.startswith("field:") and not getattr(w, "from_card", False):
                text = w.text
                out[name[6:]] = "" if text == tr("请选择") and hasattr(w, "values") else text
        return out

    def next(self):
        self.post(SubmitForm(self.values()))

    def back(self):
        self.post(Back())

    def wipe(self):
        self.ids.fields.clear_widgets()
        self.dynamic.clear()
        self._built_for = None

    def invalidate(self):
        self._built_for = None


def _label(text, size, color, height):
    lab = Label(text=text, font_size=size, color=color, size_hint_y=None, height=dp(height) * app().scale,
                halign="left", valign="middle")
    lab.bind(size=lambda w, sz: setattr(w, "text_size", sz))
    return lab


def _type_hint(kind: str) -> str:
    return {"phone": "例如 13912345678", "date": "例如 2026-01-31", "uscc": "18位统一社会信用代码",
            "id_number": "18位身份证号码", "number": "请填写数字"}.get(kind, "")
