"""A scanned code's bytes as text (issue #4). Pure: no I/O.

By the code's ECI when it declares one; otherwise UTF-8, then GB18030, then Shift-JIS. A valid
decoding is not proof of a right one -- nearly any byte string is "valid" GB18030, and
Shift-JIS half-width katakana pairs are valid GB2312 hanzi (ﾃﾞｻﾞｲﾝ reads as 棉晦草) -- so each
candidate is scored for how plausible its characters are and the order only breaks ties. When
no candidate is plausible the text is None: wrong text is worse than no text, and the screen
then shows the escaped bytes instead of mojibake. What kind of code the text is: payload.py.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence


# AIM ECI assignments -> Python codecs. 29 (GB2312) and 31 (GBK) decode with GB18030, their
# superset, as zxing-cpp does. 899 is "binary": there is no text to show.
ECI_CODECS: dict[int, str] = {
    0: "cp437", 1: "latin-1", 2: "cp437", 3: "latin-1", 4: "iso8859-2", 5: "iso8859-3",
    6: "iso8859-4", 7: "iso8859-5", 8: "iso8859-6", 9: "iso8859-7", 10: "iso8859-8",
    11: "iso8859-9", 12: "iso8859-10", 13: "iso8859-11", 15: "iso8859-13", 16: "iso8859-14",
    17: "iso8859-15", 18: "iso8859-16", 20: "shift_jis", 21: "cp1250", 22: "cp1251",
    23: "cp1252", 24: "cp1256", 25: "utf-16-be", 26: "utf-8", 27: "ascii", 28: "big5",
    29: "gb18030", 30: "euc-kr", 31: "gb18030", 32: "gb18030", 33: "utf-16-le",
    34: "utf-32-be", 35: "utf-32-le", 170: "ascii",
}
ECI_BINARY = 899

Segment = tuple[int | None, bytes]       # (ECI, or None where the code declared none; bytes)


@dataclass(frozen=True)
class DecodedText:
    text: str | None        # None: the bytes are not text we can show without guessing
    charset: str            # "ascii", "utf-8", "gb18030", "shift_jis", "eci:26", ... or ""
    reason: str = ""        # why text is None (for logs and the technician command)


def decode_text(data: bytes, segments: Sequence[Segment] | None = None) -> DecodedText:
    """Turn a code's bytes into text; `segments` carries the ECI designators a decoder saw."""
    if segments and any(eci is not None for eci, _ in segments):
        return _decode_eci(segments)
    return guess_text(data)


def _decode_eci(segments: Sequence[Segment]) -> DecodedText:
    parts, used = [], []
    for eci, chunk in segments:
        if eci is None:                 # bytes before the first ECI: nothing declared, guess
            guessed = guess_text(chunk)
            if guessed.text is None:
                return guessed
            parts.append(guessed.text)
            continue
        if eci == ECI_BINARY:
            return DecodedText(None, "eci:899", "binary data (ECI 899)")
        codec = ECI_CODECS.get(eci)
        if codec is None:
            return DecodedText(None, f"eci:{eci}", f"unsupported ECI {eci}")
        try:
            parts.append(chunk.decode(codec))
        except UnicodeDecodeError:
            # The code declares a character set its bytes do not follow: any guess would be
            # ours, not the code's, so there is no text rather than a wrong one.
            return DecodedText(None, f"eci:{eci}", f"bytes are not valid {codec} (ECI {eci})")
        used.append(str(eci))
    return DecodedText("".join(parts), "eci:" + ",".join(dict.fromkeys(used)))


def guess_text(data: bytes) -> DecodedText:
    """No ECI: the most plausible of UTF-8, GB18030 and Shift-JIS, ties in that order."""
    if data.isascii():
        return DecodedText(data.decode("ascii"), "ascii")
    best = None
    for order, codec in enumerate(("utf-8", "gb18030", "shift_jis")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        cost = _PRIOR_BITS[codec] + sum(_COST_BITS[codec](text)) + _control_bits(text)
        if best is None or (cost, order) < best[:2]:
            best = (cost, order, codec, text)
    if best is None:
        return DecodedText(None, "", "not UTF-8, GB18030 or Shift-JIS")
    cost, _, codec, text = best
    scored = sum(len(c.encode(codec)) for c in text if ord(c) > 0x7F or _is_control(c))
    if cost - _PRIOR_BITS[codec] > MAX_BITS_PER_BYTE * scored:
        return DecodedText(None, "", f"no plausible character set (best: {codec})")
    return DecodedText(text, codec)


# Each candidate decoding is scored in bits: -log2 of a rough probability of its non-ASCII
# characters in a payload (ASCII reads the same in all three and costs nothing). The model is
# deliberately coarse -- classes of characters, not a frequency table -- but it is one model
# for all three, so totals over the same bytes compare. The priors say this is a Chinese hall:
# UTF-8 is the usual encoding, GB18030 the older one, Shift-JIS a visitor's.
_PRIOR_BITS = {"utf-8": 0.0, "gb18030": 1.0, "shift_jis": 5.0}
# Above this many bits per byte even the best decoding is a soup of rare characters (random
# or binary bytes): no text, rather than mojibake. Common hanzi cost 6 bits per byte.
MAX_BITS_PER_BYTE = 8.5
_CONTROL_BITS = 10.0       # C0 controls other than tab/CR/LF: the same in every decoding,
                           # but binary data is full of them and text rarely has any
_NONSENSE = 30.0           # control, private-use, unassigned: never in a real payload


def _is_control(c: str) -> bool:
    return (ord(c) < 0x20 and c not in "\t\r\n") or c == "\x7f"


def _control_bits(text: str) -> float:
    return _CONTROL_BITS * sum(1 for c in text if _is_control(c))


def _utf8_bits(text: str):
    letters = _two_byte_letter_bits(text)
    for i, c in enumerate(text):
        o = ord(c)
        if o <= 0x7F:
            continue
        if unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs"):
            yield _NONSENSE
        elif o < 0x800:
            yield letters[i] if i in letters else (9.0 if c in _COMMON_SYMBOLS else 14.0)
        elif 0x3040 <= o <= 0x30FF:
            yield 8.0                         # kana
        elif 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xAC00 <= o <= 0xD7AF:
            yield 12.0                        # CJK ideographs, Hangul syllables
        elif 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F:
            yield 9.0                         # CJK and general punctuation, full-width forms
        elif 0x2070 <= o <= 0x2BFF or 0x2E80 <= o <= 0x33FF or 0xFE30 <= o <= 0xFE4F or o == 0xFEFF:
            yield 12.0                        # symbols, arrows, radicals, compatibility forms
        elif 0x1F000 <= o <= 0x1FAFF:
            yield 14.0                        # emoji
        elif 0x20000 <= o <= 0x3134F:
            yield 20.0                        # rare hanzi (CJK extension B and later)
        else:
            yield _NONSENSE


_COMMON_SYMBOLS = set("\u00a0©®°±×÷«»¥£§¶¢")   # not "·": alone it is usually GB18030 路


def _two_byte_letter_bits(text: str) -> dict[int, float]:
    """Bits for each letter U+0080..U+07FF, judged by the word it is in (one linear pass).

    GB18030 bytes that happen to be valid UTF-8 land here as lone letters, mixed scripts or
    rare extensions (营业 -> Ӫҵ, 目录 -> Ŀ¼); real text has an accented letter inside a Latin
    word, or a run of one alphabet."""
    bits: dict[int, float] = {}
    for m in _WORD.finditer(text):
        word = m.group()
        scripts = {_script(ch) for ch in word if not ch.isascii()}
        if not scripts:
            continue
        for i in range(m.start(), m.end()):
            c = text[i]
            if c.isascii():
                continue
            script = _script(c)
            if script == "latin":
                bits[i] = 7.0 if any(ch.isascii() for ch in word) else 16.0
            elif script != "other" and len(word) >= 3 and scripts == {script}:
                bits[i] = 6.0
            elif script != "other" and len(word) == 2 and scripts == {script}:
                bits[i] = 13.0               # two-letter words are few (小写 -> Сд is not one)
            else:
                bits[i] = 16.0 if script != "other" else 20.0
    return bits


_WORD = re.compile("[^\\W\\d_\u0800-\U0010ffff]+")    # letters below U+0800 (ASCII included)


def _script(c: str) -> str:
    o = ord(c)
    if o <= 0x24F:
        return "latin"
    if 0x391 <= o <= 0x3C9:
        return "greek"
    if 0x401 <= o <= 0x451:
        return "cyrillic"               # the Russian alphabet; extensions count as "other"
    if 0x5D0 <= o <= 0x5EA:
        return "hebrew"
    if 0x620 <= o <= 0x6FF:
        return "arabic"                 # Arabic and Uyghur letters
    return "other"


def _gb18030_bits(text: str):
    for c in text:
        if ord(c) <= 0x7F:
            continue
        b = c.encode("gb18030")
        if len(b) == 4:
            yield 26.0                       # four-byte: outside GBK
        elif b[1] < 0xA1 or b[0] < 0xA1:
            yield 20.0                       # GBK extension (traditional and rare hanzi)
        elif 0xB0 <= b[0] <= 0xD7:
            yield 12.0                       # GB2312 level 1: the 3,755 common hanzi
        elif 0xD8 <= b[0] <= 0xF7:
            yield 17.0                       # level 2
        elif b[0] in (0xA1, 0xA3):
            yield 10.0                       # full-width punctuation, digits and letters
        elif 0xA2 <= b[0] <= 0xA9:
            yield 18.0                       # kana, Greek, Cyrillic, pinyin, box drawing
        else:
            yield _NONSENSE                  # user-defined rows


_HALF_KANA = range(0xFF61, 0xFFA0)
_VOICED, _SEMI_VOICED, _LONG = "\uff9e", "\uff9f", "\uff70"     # ﾞ ﾟ ｰ
_TAKES_VOICED = set("ｳｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ")
_TAKES_SEMI = set("ﾊﾋﾌﾍﾎ")
_NOT_FIRST = set("ｧｨｩｪｫｬｭｮｯｰﾞﾟ")   # small kana, long mark, voicing marks never start a word
_SMALL_VOWEL, _SMALL_Y = set("ｧｨｩｪｫ"), set("ｬｭｮ")
_BEFORE_SMALL_VOWEL = set("ｳｸｼﾁﾂﾃﾄﾌﾞ")    # ウォ クァ シェ チェ ツァ ティ トゥ ファ, and voiced ones
_BEFORE_SMALL_Y = set("ｷｼﾁﾆﾋﾐﾘﾃﾌﾞﾟ")     # キャ シュ チョ ... (ﾞ/ﾟ: ギャ ピュ)


def _shift_jis_bits(text: str):
    for i, c in enumerate(text):
        o = ord(c)
        if o > 0x7F:
            yield _half_kana_bits(text, i) if o in _HALF_KANA else _jis_bits(c)


def _is_half_kana(c: str) -> bool:
    return len(c) == 1 and 0xFF66 <= ord(c) <= 0xFF9F     # katakana and marks, not ｡｢｣､･


def _half_kana_bits(text: str, i: int) -> float:
    c, prev = text[i], text[i - 1] if i else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if not _is_half_kana(c):
        return 9.0                           # ｡｢｣､･
    if not _is_half_kana(prev) and c in _NOT_FIRST:
        return 14.0
    if c == _VOICED:
        return 2.5 if prev in _TAKES_VOICED else 14.0
    if c == _SEMI_VOICED:
        return 2.5 if prev in _TAKES_SEMI else 14.0
    if c == _LONG:
        return 4.0
    if (c in _SMALL_VOWEL and prev not in _BEFORE_SMALL_VOWEL) or \
            (c in _SMALL_Y and prev not in _BEFORE_SMALL_Y):
        return 10.0                          # a small kana after one it does not combine with
    if not _is_half_kana(prev) and not _is_half_kana(nxt):
        return 12.0                          # a lone kana between other characters
    return 6.5                               # one of ~55 katakana in a word


def _jis_bits(c: str) -> float:
    o = ord(c)
    code = int.from_bytes(c.encode("shift_jis"), "big")
    if 0x3040 <= o <= 0x309F:
        return 7.0                           # hiragana: the commonest characters in Japanese
    if 0x30A0 <= o <= 0x30FF:
        return 8.0                           # full-width katakana
    if 0x889F <= code <= 0x9872:
        return 12.0                          # JIS level 1 kanji
    if 0x989F <= code <= 0xEAA4:
        return 17.0                          # level 2
    if 0x8140 <= code <= 0x82FF:
        return 10.0                          # full-width punctuation, digits, letters
    return 18.0                              # Greek, Cyrillic, box drawing


_COST_BITS = {"utf-8": _utf8_bits, "gb18030": _gb18030_bits, "shift_jis": _shift_jis_bits}
