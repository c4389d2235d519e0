"""On-screen keyboard for a kiosk with no physical keyboard: 拼音 (with a candidate bar), ABC
letters and a 123 pad, big keys (64 dp) for elderly users. It types into one TextInput:

    kb = Keyboard(target=field, mode="pinyin")      # or "letters" / "numeric"
    kb.attach(other_field, mode="numeric")          # the same keyboard, now typing there
    kb.bind(on_done=lambda kb: ...)                 # 完成 was pressed (e.g. hide it, next field)
    kb.reset()                                      # session wipe: forget the pinyin typed so far

Letters are in alphabetical rows, like the matter search's LetterPad: easier to find for people
who do not type than QWERTY. In 拼音 mode letters collect in the bar (shown cut into syllables,
`hu bei sheng`); tapping a candidate inserts its hanzi and keeps the letters it did not use
(湖北 from `hubeisheng` leaves `sheng`). 空格 takes the first candidate, 删除 removes a letter
before it removes text. In ABC mode the bar holds the digits 0–9 instead (统一社会信用代码, A座1201). Letters never vanish silently: 完成, a mode switch or a new target
inserts any unconverted letters as they are.

Text is appended at the end of the target (the pad has no cursor keys), through
TextInput.insert_text so the field's input_filter and readonly still apply. The pinyin index is
the shipped one (kiosk.domain.pinyin_ime), loaded once per process.
"""
from __future__ import annotations

import logging
from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.metrics import dp, sp
from kivy.properties import (BooleanProperty, ListProperty, NumericProperty, ObjectProperty,
                             OptionProperty, StringProperty)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

from kiosk.domain.pinyin_ime import MAX_INPUT, PinyinIME, default_ime
from screens import theme

log = logging.getLogger(__name__)

KEY_DP = 64                          # key and bar height: above the 60 dp touch target of 长者模式
TRAY = (0.84, 0.87, 0.92, 1)
CAND_FIRST = (0.88, 0.93, 1.0, 1)    # the candidate 空格 would take
CAND_DOWN = (0.75, 0.79, 0.86, 1)
DONE_DOWN = (0.07, 0.40, 0.19, 1)
HINT = (0.25, 0.28, 0.33, 1)         # theme.MUTED is below 4.5:1 on the tray
MODES = ("pinyin", "letters", "numeric")

# A key is a character to type or an upper-case command name (see Keyboard.press); a row is ten
# units wide (BOTTOM_ROW gives each key's units). Roles pick the colour (see key_colour).
LETTER_ROWS = ("abcdefghij", "klmnopqrst", "uvwxyz")
NUMERIC_ROWS = (
    (("1", "1"), ("2", "2"), ("3", "3"), ("删除", "DEL")),
    (("4", "4"), ("5", "5"), ("6", "6"), ("-", "-"), ("X", "X")),       # X: 身份证号码 check digit
    (("7", "7"), ("8", "8"), ("9", "9"), ("0", "0"), (".", ".")),
)
BOTTOM_ROW = (("拼音", "MODE_pinyin", 1.5), ("ABC", "MODE_letters", 1.5), ("123", "MODE_numeric", 1.5),
              ("空格", "SPACE", 2.5), ("清空", "CLEAR", 1.25), ("完成", "DONE", 1.75))

# The keyboard's own strings in English (English mode of the kiosk); hanzi keys are labels only.
EN = {"拼音": "Pinyin", "删除": "Delete", "空格": "Space", "清空": "Clear", "完成": "Done",
      "' 分隔": "' split", "小写": "lower", "大写": "UPPER",
      "请按字母键输入拼音": "Type pinyin with the letter keys",
      "数字": "Numbers", "没有对应的汉字，请删除字母再试": "No characters for these letters: delete some",
      "拼音输入暂不可用，请用字母或数字": "Pinyin is not available: use letters or numbers"}


def key_colour(role: str, down: bool, disabled: bool) -> tuple:
    if disabled:
        return (0.90, 0.91, 0.93, 1)
    if role == "done":           # green, so that it is not taken for the (blue) current mode
        return DONE_DOWN if down else theme.OK_GREEN
    if role == "active":
        return theme.PRIMARY_DARK if down else theme.PRIMARY
    if role == "func":
        return (0.66, 0.71, 0.80, 1) if down else (0.76, 0.80, 0.87, 1)
    return (0.75, 0.79, 0.86, 1) if down else (1, 1, 1, 1)


class KbKey(Button):
    key = StringProperty("")
    role = OptionProperty("char", options=["char", "func", "done", "active"])
    scale = NumericProperty(1.0)


class KbCandidate(Button):
    index = NumericProperty(0)       # in Keyboard.candidates
    first = BooleanProperty(False)
    scale = NumericProperty(1.0)


class Keyboard(BoxLayout):
    mode = OptionProperty("pinyin", options=list(MODES))
    target = ObjectProperty(None, allownone=True)
    composition = StringProperty("")     # pinyin letters typed and not yet converted
    candidates = ListProperty([])        # kiosk.domain.pinyin_ime.Candidate, best first
    upper = BooleanProperty(True)        # letters mode: 统一社会信用代码 and ID numbers are upper case
    scale = NumericProperty(1.0)         # bind to app.scale: 长者模式 enlarges the text
    lang = StringProperty("zh")          # bind to app.lang
    __events__ = ("on_done",)

    def __init__(self, target=None, mode: str = "pinyin", ime: PinyinIME | None = None, **kw):
        super().__init__(**kw)
        self._ime = ime
        self._page_starts = [0]          # index of the first candidate of each page seen so far
        self._page_end = 0
        self.keys: dict[str, KbKey] = {}  # key -> widget, for tests and the autopilot
        self.shown_candidates: list[KbCandidate] = []
        # Creating Kivy buttons is the slow part of a keystroke (~1 ms each under llvmpipe), so
        # candidate buttons are reused and each mode's rows are built once.
        self._cand_pool: list[KbCandidate] = []
        self._row_cache: dict[tuple, tuple[list[BoxLayout], dict[str, KbKey], BoxLayout | None]] = {}
        self._bar_row: BoxLayout | None = None    # letters mode: digit keys in the bar
        self._hint = Label(font_size=sp(26), color=HINT, halign="left", valign="middle", shorten=True)
        self._hint.bind(size=lambda w, sz: setattr(w, "text_size", sz))
        self.target = target
        self.mode = mode
        for other in MODES:      # build every mode's keys now (~20 ms) rather than on a key press
            self.mode = other
            self._row_cache[self.mode, self.upper, self.lang, self.scale] = self._make_rows()
        self.mode = mode
        self._build_rows()
        self.bind(mode=lambda *_: self._build_rows(), upper=lambda *_: self._build_rows(),
                  lang=lambda *_: self._build_rows(), scale=lambda *_: self._build_rows())
        self.ids.candidates.bind(width=lambda *_: self._schedule_bar())

    # -- API --------------------------------------------------------------------------------
    def attach(self, text_input, mode: str | None = None) -> None:
        """Type into `text_input` from now on (None: into nothing). Letters still in the bar go
        to the previous field first, so nothing typed is lost."""
        self._commit_letters()
        self.target = text_input
        if mode is not None:
            self.mode = mode

    def reset(self) -> None:
        """Forget unconverted letters and candidates (privacy: the session is over)."""
        self.composition = ""
        for w in self._cand_pool:          # idle buttons still hold the last user's candidates
            w.text = ""
        self._refresh()

    def press(self, key: str) -> None:
        """What a key does; `key` is a character to type or a command (DEL, CLEAR, SPACE, DONE,
        SPLIT, CASE, MODE_<mode>)."""
        if key.startswith("MODE_"):
            self._commit_letters()
            self.mode = key[5:]
            self._refresh()
        elif key == "DEL":
            if self.composition:
                self.composition = self.composition[:-1]
                self._refresh()
            else:
                self._backspace()
        elif key == "CLEAR":
            self.composition = ""
            self._refresh()
            if self._writable():
                self.target.text = ""
        elif key == "SPACE":
            if self.composition:
                if self.candidates:
                    self.choose(0)
                else:
                    self._commit_letters()
            else:
                self._insert(" ")
        elif key == "DONE":
            self._commit_letters()
            self.dispatch("on_done")
        elif key == "CASE":
            self.upper = not self.upper
        elif key == "SPLIT":
            if self.composition and not self.composition.endswith("'"):
                self.composition += "'"
                self._refresh()
        elif self.mode == "pinyin" and key.isalpha() and key.isascii():
            if self.ime is None:          # index failed to load: type the letters themselves
                self._insert(key)
            elif len(self.composition) < MAX_INPUT:   # the IME reads no further: refuse, not drop
                self.composition = self.composition + key
                self._refresh()
        elif self.mode == "letters" and key.isalpha():
            self._insert(key.upper() if self.upper else key.lower())
        else:
            self._insert(key)

    def choose(self, index: int) -> None:
        """Insert candidate `index` and keep the letters it did not use."""
        cand = self.candidates[index]
        self._insert(cand.text)
        self.composition = self.ime.remaining(self.composition, cand)
        self._refresh()

    def page(self, step: int) -> None:
        if step > 0 and self._page_end < len(self.candidates):
            self._page_starts.append(self._page_end)
        elif step < 0 and len(self._page_starts) > 1:
            self._page_starts.pop()
        self._layout_bar()

    def on_done(self) -> None:
        pass

    @property
    def ime(self) -> PinyinIME | None:
        if self._ime is None:
            try:
                self._ime = default_ime()
            except (OSError, ValueError):   # a broken install must not take the keyboard down
                log.exception("pinyin index could not be loaded; pinyin mode types letters")
                self._ime = False
        return self._ime or None

    # -- typing into the target ------------------------------------------------------------
    def _writable(self) -> bool:
        t = self.target
        return t is not None and not t.readonly and not t.disabled

    def _insert(self, text: str) -> None:
        if not self._writable():
            return
        t = self.target
        t.cursor = t.get_cursor_from_index(len(t.text))
        t.insert_text(text)

    def _backspace(self) -> None:
        if not self._writable():
            return
        t = self.target
        t.cursor = t.get_cursor_from_index(len(t.text))
        t.do_backspace()

    def _commit_letters(self) -> None:
        if self.composition:
            self._insert(self.composition.replace("'", ""))
            self.composition = ""
            self._refresh()

    # -- layout -----------------------------------------------------------------------------
    def tr(self, text: str) -> str:
        return EN.get(text, text) if self.lang == "en" else text

    def _build_rows(self) -> None:
        rows = self.ids.rows
        rows.clear_widgets()
        look = (self.mode, self.upper, self.lang, self.scale)
        if look not in self._row_cache:
            self._row_cache[look] = self._make_rows()
        boxes, self.keys, self._bar_row = self._row_cache[look]
        for box in boxes:
            rows.add_widget(box)
        self._refresh()

    def _make_rows(self) -> tuple[list[BoxLayout], dict[str, KbKey], BoxLayout | None]:
        bar = None
        if self.mode == "numeric":
            spec = [[(label, key, "func" if key == "DEL" else "char", 2) for label, key in row]
                    for row in NUMERIC_ROWS]
            spec[0][-1] = ("删除", "DEL", "func", 4)
        else:
            spec = [[(c.upper() if self.mode == "letters" and self.upper else c, c, "char", 1) for c in row]
                    for row in LETTER_ROWS]
            extra = (("' 分隔", "SPLIT", "func", 1) if self.mode == "pinyin"
                     else ("小写" if self.upper else "大写", "CASE", "func", 1))
            spec[2] += [extra, ("删除", "DEL", "func", 3)]
            if self.mode == "letters":
                # Letters mode has no candidates, so the bar carries 0-9: 统一社会信用代码 and
                # addresses like A座1201 mix both without switching modes.
                bar = [(d, d, "char", 1) for d in "1234567890"]
        bottom = []
        for label, key, width in BOTTOM_ROW:
            role = "done" if key == "DONE" else ("active" if key == f"MODE_{self.mode}" else "func")
            bottom.append((label, key, role, width))
        keys: dict[str, KbKey] = {}
        boxes = [self._make_row(row, keys) for row in spec + [bottom]]
        return boxes, keys, (self._make_row(bar, keys) if bar else None)

    def _make_row(self, row, keys: dict[str, KbKey]) -> BoxLayout:
        box = BoxLayout(spacing=dp(6), size_hint_y=None, height=dp(KEY_DP))
        for label, key, role, width in row:
            w = KbKey(text=self.tr(label), key=key, role=role, size_hint_x=width, scale=self.scale)
            w.bind(on_release=lambda btn: self.press(btn.key))
            box.add_widget(w)
            keys[key] = w
        return box

    def _refresh(self) -> None:
        """Recompute candidates for the letters in the bar and redraw the bar."""
        ime = self.ime if self.mode == "pinyin" else None
        self.candidates = ime.candidates(self.composition) if ime and self.composition else []
        if ime and self.composition:
            self.ids.composition.text = " ".join(p.text for p in ime.split(self.composition))
        else:
            self.ids.composition.text = ""
        self._page_starts = [0]
        self._layout_bar()

    def _schedule_bar(self) -> None:
        Clock.schedule_once(lambda _dt: self._layout_bar(), -1)

    def _layout_bar(self) -> None:
        """Fill the bar with as many candidates as fit its width, from the current page on."""
        box = self.ids.candidates
        box.clear_widgets()
        self.shown_candidates = []
        if self._bar_row is not None:
            box.add_widget(self._bar_row)
            self.ids.page_prev.disabled = self.ids.page_next.disabled = True
            return
        start = self._page_starts[-1]
        room, used, i = box.width, 0.0, start
        font = sp(32) * self.scale
        while i < len(self.candidates):
            text = self.candidates[i].text
            width = max(dp(KEY_DP + 8), _text_width(text, font) + dp(28))
            if self.shown_candidates and used + width > room:
                break
            w = self._candidate_button(len(self.shown_candidates))
            w.text, w.index, w.first, w.width, w.scale = text, i, i == 0, width, self.scale
            box.add_widget(w)
            self.shown_candidates.append(w)
            used += width + box.spacing
            i += 1
        self._page_end = i
        if not self.shown_candidates:
            self._hint.text = self._bar_hint()
            self._hint.font_size = sp(26) * self.scale
            box.add_widget(self._hint)
        self.ids.page_prev.disabled = len(self._page_starts) <= 1
        self.ids.page_next.disabled = i >= len(self.candidates)

    def _candidate_button(self, slot: int) -> KbCandidate:
        while len(self._cand_pool) <= slot:
            w = KbCandidate()
            w.bind(on_release=lambda btn: self.choose(btn.index))
            self._cand_pool.append(w)
        return self._cand_pool[slot]

    def _bar_hint(self) -> str:
        if self.mode == "numeric":
            return self.tr("数字")
        if self.ime is None:
            return self.tr("拼音输入暂不可用，请用字母或数字")
        if self.composition:
            return self.tr("没有对应的汉字，请删除字母再试")
        return self.tr("请按字母键输入拼音")


def _text_width(text: str, font_px: float) -> float:
    """Candidates are hanzi, and a hanzi is one em wide: no texture needs rendering to measure."""
    return len(text) * font_px


KV = Path(__file__).with_suffix(".kv")
if str(KV) not in Builder.files:
    Builder.load_file(str(KV))
