"""An A–Z pad for pinyin initials, in alphabetical order (easier to find than QWERTY for
people who do not type), with 删除 and 清空. Calls on_text(new_text) after each key."""
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout

from screens import theme


class LetterPad(GridLayout):
    def __init__(self, on_text, **kw):
        super().__init__(cols=10, spacing=6, size_hint_y=None, height=3 * 66 + 12, **kw)
        self.text = ""
        self._on_text = on_text
        for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            self._key(ch, lambda c=ch: self._set(self.text + c.lower()))
        self._key("删除", lambda: self._set(self.text[:-1]))
        self._key("清空", lambda: self._set(""))

    def _key(self, label, action):
        b = Button(text=label, font_size="26sp", background_normal="",
                   background_color=(1, 1, 1, 1), color=theme.TEXT)
        b.bind(on_release=lambda _b: action())
        self.add_widget(b)

    def _set(self, text):
        self.text = text
        self._on_text(text)
