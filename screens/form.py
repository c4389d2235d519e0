"""A form generated from the matter's schema, pre-filled from the ID card; errors by each field."""
from kivy.factory import Factory
from kivy.uix.label import Label

from kiosk.domain.identity import mask_id_number
from kiosk.session import Back, SubmitForm
from screens import theme
from kivy.metrics import dp
from kivy.properties import BooleanProperty

from screens.base import KioskScreen, app, fs, tr
from screens.widgets.discard import discard_children
from screens.widgets.scrolling import scroll_when_drawn, set_scroll_y


# Which keyboard a field type opens with (the user can switch on the keyboard itself).
KEYBOARD_MODE = {"phone": "numeric", "number": "numeric", "date": "numeric", "id_number": "numeric",
                 "uscc": "letters"}


class FormScreen(KioskScreen):
    _built_for = None
    _kb = None
    _editor = None
    _editing = None                      # the field the keyboard types into
    _nav_parent = None
    nav_shown = BooleanProperty(True)    # False while the keyboard is up: the field stays in view

    def render(self, snap):
        super().render(snap)
        s = snap.session
        if s.matter is None:
            return
        self._ensure_built(s)
        for f in s.matter.form:
            self.dynamic[f"error:{f.name}"].text = tr(s.errors.get(f.name, ""))   # a Msg: English by template
        n = len(s.errors)
        self.ids.summary.text = tr("有{n}项需要填写或更正，请看标红的提示").format(n=n) if n else ""
        first = next((f.name for f in s.matter.form if f.name in s.errors), None)
        if first is not None:
            self._show_first_error(self.dynamic[f"label:{first}"])

    def _show_first_error(self, label) -> None:
        """Errors below the fold are invisible: the first field in error at the top of the list,
        its label, box and red line in sight (placed by the label's distance from the list's
        top), set again once the frame is laid out -- scrolled at once, the summary line above
        the list took its room after, and the list opened past the error (test_soak)."""
        scroll, grid = self.ids.scroll, self.ids.fields

        def where():
            spare = grid.height - scroll.height
            if label.parent is None or spare <= 0:
                return None
            return 1 - (grid.top - label.top - dp(8)) / spare
        scroll_when_drawn(scroll, where)

    def _ensure_built(self, s) -> None:
        key = (s.card, s.matter)
        if self._built_for is None or self._built_for[0] is not key[0] or self._built_for[1] is not key[1]:
            self._build(s)
            self._built_for = key

    def _build(self, s):
        self.ids.title.text = s.matter.name
        self._hide_keyboard()
        grid = self.ids.fields
        discard_children(grid)
        self.dynamic = {"keyboard": self._kb} if self._kb is not None else {}
        for f in s.matter.form:
            from_card = f.prefill.startswith("idcard.") and bool(s.values.get(f.name))
            mark = "* " if f.required else ""
            hint = tr("（读自身份证）") if from_card else ""
            label = _label(f"{mark}{f.label}{hint}", fs(26), theme.TEXT, 44)
            grid.add_widget(label)
            if f.type == "choice":
                w = Factory.FieldChoice(text=s.values.get(f.name) or tr("请选择"), values=list(f.choices))
            elif from_card:
                shown = s.values[f.name]
                if f.type == "id_number":
                    shown = mask_id_number(shown)     # masked on screen (ARCHITECTURE §5)
                w = Factory.FieldInput(text=shown, readonly=True, background_color=(0.92, 0.93, 0.95, 1))
                w.from_card = True
            else:
                w = Factory.FieldInput(text=s.values.get(f.name, ""), hint_text=f.hint or tr(_type_hint(f.type)))
                w.field_label = f.label
                w.bind(focus=lambda field, on, kind=f.type: on and self._show_keyboard(field, kind))
            grid.add_widget(w)
            err = _label("", fs(24), theme.ACCENT, 36)
            grid.add_widget(err)
            self.dynamic[f"field:{f.name}"] = w
            self.dynamic[f"error:{f.name}"] = err
            self.dynamic[f"label:{f.name}"] = label
        set_scroll_y(self.ids.scroll, 1)

    def _show_keyboard(self, field, kind: str) -> None:
        """The on-screen keyboard types into the field the user touched, in the mode its type
        needs. One field at a time: above the keys an editor line shows that field's label and
        what is typed (a small screen has no room for the list and the keys); 完成 goes back."""
        kb = self._keyboard()
        kb.attach(field, mode=KEYBOARD_MODE.get(kind, "pinyin"))
        label = field.field_label
        self._editor.text = f"{label}{tr('：')}{field.text}"
        if self._editing is not None:
            self._editing.unbind(text=self._echo)
        self._editing = field
        field.bind(text=self._echo)
        box = self.ids.keyboard_box
        if kb.parent is None:
            box.add_widget(self._editor)
            box.add_widget(kb)
            self._fit_keyboard_box()
            nav = self.ids.nav
            if nav.parent is not None:    # the keyboard's 完成 replaces 上一步/下一步 meanwhile
                self._nav_parent = nav.parent
                nav.parent.remove_widget(nav)
            self.nav_shown = False

    def _fit_keyboard_box(self, *_):
        if self._kb is not None and self._kb.parent is not None:
            self.ids.keyboard_box.height = self._kb.height + self._editor.height + dp(8)

    def _echo(self, field, text):
        self._editor.text = f"{field.field_label}{tr('：')}{text}"

    def _hide_keyboard(self, *_):
        box = self.ids.keyboard_box
        if self._kb is not None:
            self._kb.attach(None)
        if self._editing is not None:
            self._editing.unbind(text=self._echo)
            self._editing.focus = False
            self._editing = None
        box.clear_widgets()
        box.height = 0
        nav = self.ids.nav
        if nav.parent is None and self._nav_parent is not None:
            self._nav_parent.add_widget(nav)   # index 0: the bottom of the vertical layout
        self.nav_shown = True

    def _keyboard(self):
        if self._kb is None:
            from screens.widgets.keyboard import Keyboard
            self._kb = Keyboard(mode="pinyin")
            self._kb.bind(height=self._fit_keyboard_box)
            self._editor = Factory.FieldEditor()
            self._kb.bind(on_done=self._hide_keyboard)
            a = app()
            self._kb.scale, self._kb.lang = a.scale, a.lang
            a.bind(scale=self._kb.setter("scale"), lang=self._kb.setter("lang"))
            self.dynamic["keyboard"] = self._kb
        return self._kb

    def values(self) -> dict:
        """What the user entered. Card fields are not sent back: the session keeps the card's."""
        out = {}
        for name, w in self.dynamic.items():
            if name.startswith("field:") and not getattr(w, "from_card", False):
                text = w.text
                out[name[6:]] = "" if text == tr("请选择") and hasattr(w, "values") else text
        return out

    def next(self):
        self._hide_keyboard()             # letters still in its bar go into the field first
        self.post(SubmitForm(self.values()))

    def back(self):
        self.post(Back())

    def wipe(self):
        if self._kb is not None:
            self._kb.reset()              # privacy: no pinyin or candidates of the last user
        self._hide_keyboard()
        discard_children(self.ids.fields)
        self.dynamic = {"keyboard": self._kb} if self._kb is not None else {}
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
