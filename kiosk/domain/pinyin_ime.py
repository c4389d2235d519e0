"""Pinyin input method: typed letters -> ranked hanzi candidates, from the index shipped in
assets/pinyin/ (built offline by scripts/build_pinyin_index.py; no jieba, no network here).

Pure Python, no Kivy: the on-screen keyboard (screens/widgets/keyboard.py) keeps the letters
typed so far and asks `candidates()` after every key; choosing a candidate may use only the
start of the input (`hubeisheng` -> 湖北 leaves `sheng`), and `remaining()` says what is left.

The input is read as a lattice: every way to cut it into syllables, where only the last piece may
be an unfinished syllable (`hubeish` = hu|bei|sh…). A candidate is a word whose syllables spell a
path from the start. Order, each group by frequency:
  1. words (or, for one syllable, characters) that use the whole input exactly,
  2. the same where the last syllable is completed (`hubeish` -> 湖北省, `gongs` -> 公司),
  3. a sentence of several words covering the whole input (`hubeishengwuhanshi` -> 湖北省武汉市),
  4. words that use only the start of the input, longest first (湖北 for `hubeisheng`),
  5. single characters for the first syllable.
"""
from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

INDEX_DIR = Path(__file__).resolve().parents[2] / "assets" / "pinyin"
WORDS_HEADER = "# pinyin index words v1"
CHARS_HEADER = "# pinyin index chars v1"
MAX_INPUT = 40            # letters; longer input is cut here so a lookup stays fast
ALIASES = {"lue": "lve", "nue": "nve"}   # both spellings are taught; the index writes ü as v
# Sentence scoring, as jieba does it: a word's log-probability over its corpus total (~6.0e7).
LOG_TOTAL = math.log(6.0e7)
# A character's score is mostly its frequency as a word of its own (see the builder), so
# characters and words compete on one scale: 我+的+名字+叫 beats 我+得名+紫胶.
# A syllable the person has typed in full means that syllable: `xihuqu` is 西湖区, not 西湖全.
COMPLETION_PENALTY = math.log(100)

FULL, PREFIX, UNKNOWN = "full", "prefix", "unknown"
TIER_EXACT, TIER_COMPLETED, TIER_SENTENCE, TIER_PARTIAL, TIER_CHAR = range(5)


@dataclass(frozen=True)
class Piece:
    """One syllable of the input as split for display: `text` as typed, `start`/`end` offsets
    in the normalised input; kind FULL, PREFIX (unfinished, last only) or UNKNOWN (unreadable)."""
    text: str
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Candidate:
    text: str                   # the hanzi to insert
    consumed: int               # how many characters of the normalised input it uses
    pinyin: tuple[str, ...]     # its syllables
    freq: int
    tier: int                   # TIER_* above: why it is where it is in the list


def normalise(text: str) -> str:
    """Lower-case letters and syllable separators only: ü is typed v, runs of ' become one."""
    out = []
    for ch in text.lower().replace("ü", "v"):
        if "a" <= ch <= "z":
            out.append(ch)
        elif ch == "'" and out and out[-1] != "'":
            out.append(ch)
    return "".join(out)[:MAX_INPUT]


def _entries(raw: str, limit: int) -> list[tuple[str, int]]:
    """'公司 45604 公私 470' -> [('公司', 45604), ('公私', 470)], the first `limit` only: lines are
    sorted by the builder, so what is cut here could never reach the first `limit` results."""
    toks = raw.split(" ", 2 * limit)
    return [(toks[k], int(toks[k + 1])) for k in range(0, min(len(toks) - 1, 2 * limit), 2)]


def _top(raw: str) -> tuple[str, int]:
    text, freq, _ = (raw + " ").split(" ", 2)
    return text, int(freq)


class PackedTable:
    """A read-only str -> str mapping held as one UTF-8 blob of `key<TAB>rest<LF>` lines sorted by
    key, plus arrays of offsets and a hash index over them.

    Why not a dict: the 53 794 word keys as a dict of str -> str were ~9.8 MB of the kiosk's idle
    Python heap (two objects and a slot per key); this is the file's size plus ~17 bytes a key
    (~2.3 MB). A keystroke makes 70 (median) to 650 lookups, so a lookup must stay about as cheap
    as a dict's: the key's hash picks a bucket of about one line (a binary search over the
    sorted keys took ~16 comparisons and doubled the time of a keystroke; bench_pinyin.py)."""
    __slots__ = ("_blob", "_starts", "_tabs", "_mask", "_buckets", "_order")

    def __init__(self, blob: bytes, starts: array, tabs: array):
        # line i is blob[starts[i]:starts[i + 1] - 1] and its key ends at tabs[i]; starts has one
        # entry more than there are keys (the blob's end), so the last line needs no special case.
        self._blob, self._starts, self._tabs = blob, starts, tabs
        n = len(tabs)
        self._mask = (1 << max(n - 1, 1).bit_length()) - 1     # buckets >= keys: ~1 line each
        # hash() is salted per process, so the index is built here, never stored.
        mask = self._mask
        bucket = [hash(key) & mask for key in self]
        self._order = array("I", sorted(range(n), key=bucket.__getitem__))   # line numbers by bucket
        counts = [0] * (mask + 1)
        for b in bucket:
            counts[b] += 1
        self._buckets = array("I", accumulate(counts, initial=0))   # bucket b: _order[_buckets[b]:_buckets[b + 1]]

    def _find(self, key: str) -> int:
        """The line number of `key`, or -1."""
        b = hash(key) & self._mask
        start, stop = self._buckets[b], self._buckets[b + 1]
        if start == stop:
            return -1
        k = key.encode("utf-8")
        blob, starts, tabs, order = self._blob, self._starts, self._tabs, self._order
        for j in range(start, stop):
            i = order[j]
            if blob[starts[i]:tabs[i]] == k:
                return i
        return -1

    def _value(self, i: int) -> str:
        return self._blob[self._tabs[i] + 1:self._starts[i + 1] - 1].decode("utf-8")

    def get(self, key: str, default: str | None = None) -> str | None:
        i = self._find(key)
        return default if i < 0 else self._value(i)

    def __getitem__(self, key: str) -> str:
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self._value(i)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) >= 0

    def __len__(self) -> int:
        return len(self._tabs)

    def __iter__(self) -> Iterator[str]:
        blob, starts = self._blob, self._starts
        for i, tab in enumerate(self._tabs):
            yield blob[starts[i]:tab].decode("utf-8")

    def items(self) -> Iterator[tuple[str, str]]:
        for i, key in enumerate(self):
            yield key, self._value(i)


def _line_offsets(blob: bytes, path: Path) -> tuple[array, array]:
    """(line starts, tab positions) of a blob of `key<TAB>rest<LF>` lines; a line without a tab
    or with nothing after it is an error, as a table must give every key something."""
    starts, tabs = array("I"), array("I")
    pos, end = 0, len(blob)
    while pos < end:
        nl = blob.index(b"\n", pos)
        tab = blob.find(b"\t", pos, nl)
        if tab < 0 or tab + 1 == nl:
            raise ValueError(f"{path}: malformed line {blob[pos:nl + 1].decode('utf-8')[:40]!r}")
        starts.append(pos)
        tabs.append(tab)
        pos = nl + 1
    return starts, tabs


def _strictly_sorted(blob: bytes, starts: array, tabs: array) -> bool:
    prev = None
    for start, tab in zip(starts, tabs):
        key = blob[start:tab]
        if prev is not None and key <= prev:
            return False
        prev = key
    return True


def _sorted_unique(blob: bytes, starts: array, tabs: array) -> bytes:
    """The same lines sorted by key, the last line of a repeated key kept (as a dict would):
    only for hand-made tables; the builder writes them sorted."""
    by_key = {}
    for i, (start, tab) in enumerate(zip(starts, tabs)):
        stop = starts[i + 1] if i + 1 < len(starts) else len(blob)
        by_key[blob[start:tab]] = blob[start:stop]
    return b"".join(by_key[k] for k in sorted(by_key))


def _read_table(path: Path, header: str) -> PackedTable:
    if not path.is_file():
        raise FileNotFoundError(f"pinyin index missing: {path} (build it: python scripts/build_pinyin_index.py)")
    text = path.read_text(encoding="utf-8")     # text mode: any newline convention, as before
    eol = text.find("\n")
    if not text[:eol + 1 if eol >= 0 else len(text)].startswith(header):
        raise ValueError(f"{path}: not a pinyin index (first line should start with {header!r})")
    blob = text[eol + 1:].encode("utf-8") if eol >= 0 else b""
    del text                                    # one ~1.4 MB copy at a time
    if blob and not blob.endswith(b"\n"):
        blob += b"\n"
    starts, tabs = _line_offsets(blob, path)
    if not _strictly_sorted(blob, starts, tabs):
        blob = _sorted_unique(blob, starts, tabs)
        starts, tabs = _line_offsets(blob, path)
    starts.append(len(blob))
    return PackedTable(blob, starts, tabs)


class PinyinIME:
    def __init__(self, words: Mapping[str, str] | PackedTable, chars: Mapping[str, str] | PackedTable):
        self.words = words      # "gong'si" -> "公司 45604 公私 470"
        self.chars = chars      # "gong" -> "公 236951 工 236586 ..."
        spellings = {s: s for s in chars}
        spellings.update((a, c) for a, c in ALIASES.items() if c in chars)
        self._canonical = spellings
        self._max_syllable = max(map(len, spellings))
        self._max_word = max((k.count("'") + 1 for k in words), default=1)
        # every prefix of every spelling -> the syllables it can still become (`sh` -> sha, shai…)
        expand: dict[str, set[str]] = {}
        for spelling, syllable in spellings.items():
            for k in range(1, len(spelling) + 1):
                expand.setdefault(spelling[:k], set()).add(syllable)
        self._expand = {p: tuple(sorted(v)) for p, v in expand.items()}

    @classmethod
    def load(cls, directory: Path = INDEX_DIR) -> "PinyinIME":
        return cls(_read_table(directory / "words.txt", WORDS_HEADER),
                   _read_table(directory / "chars.txt", CHARS_HEADER))

    # -- the lattice ------------------------------------------------------------------------
    def _lattice(self, s: str) -> list[list[tuple[int, str, str, bool]]]:
        """edges[i] = (next node, typed text, syllable or prefix, is a full syllable). A piece
        followed by ' ends after the apostrophe. Unfinished pieces only at the very end."""
        n = len(s)
        edges: list[list[tuple[int, str, str, bool]]] = [[] for _ in range(n + 1)]
        for i in range(n):
            if s[i] == "'":
                continue
            stop = s.find("'", i)
            stop = n if stop < 0 else stop
            for j in range(i + 1, min(stop, i + self._max_syllable) + 1):
                piece = s[i:j]
                nxt = j + 1 if j < n and s[j] == "'" else j
                if piece in self._canonical:
                    edges[i].append((nxt, piece, self._canonical[piece], True))
                elif nxt == n and piece in self._expand:
                    edges[i].append((nxt, piece, piece, False))
        return edges

    def _last_syllables(self, piece: str, syllable: str, full: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(exact, completed) readings of the final piece: `shen` is shen, or sheng completed."""
        exact = (syllable,) if full else ()
        return exact, tuple(x for x in self._expand.get(piece, ()) if x not in exact)

    def _lookup(self, syllables: tuple[str, ...]) -> str | None:
        if len(syllables) == 1:
            return self.chars.get(syllables[0])
        return self.words.get("'".join(syllables))

    # -- public API -------------------------------------------------------------------------
    def split(self, text: str) -> list[Piece]:
        """The most likely cut into syllables for display: fewest pieces, earlier pieces longer
        (`xian` stays one syllable; type `xi'an` for two). Letters that cannot be read are one
        UNKNOWN piece at the end."""
        s = normalise(text)
        n = len(s)
        if n == 0:
            return []
        edges = self._lattice(s)
        best: dict[int, tuple] = {0: ((0, ()), ())}     # node -> (sort key, pieces)
        for i in range(n):
            if i not in best:
                continue
            (count, lengths), pieces = best[i]
            for j, piece, _syl, full in edges[i]:
                key = (count + 1, lengths + (-len(piece),))
                if j not in best or key < best[j][0]:
                    kind = FULL if full else PREFIX
                    best[j] = (key, pieces + (Piece(piece, i, j, kind),))
        end = max(best)
        pieces = list(best[end][1])
        if end < n:
            pieces.append(Piece(s[end:].replace("'", ""), end, n, UNKNOWN))
        return pieces

    def candidates(self, text: str, limit: int = 60) -> list[Candidate]:
        s = normalise(text)
        n = len(s)
        if n == 0:
            return []
        edges = self._lattice(s)
        found: dict[tuple[str, int], Candidate] = {}

        def add(raw: str | None, syllables: tuple[str, ...], consumed: int, tier: int) -> None:
            if raw is None:
                return
            for word, freq in _entries(raw, limit):
                old = found.get((word, consumed))
                if old is None or (tier, -freq) < (old.tier, -old.freq):
                    found[word, consumed] = Candidate(word, consumed, syllables, freq, tier)

        stack: list[tuple[int, tuple[str, ...]]] = [(0, ())]
        while stack:
            node, path = stack.pop()
            for j, piece, syllable, full in edges[node]:
                if j == n:
                    exact, completed = self._last_syllables(piece, syllable, full)
                    for syl in exact:
                        add(self._lookup(path + (syl,)), path + (syl,), n, TIER_EXACT)
                    for syl in completed:
                        add(self._lookup(path + (syl,)), path + (syl,), n, TIER_COMPLETED)
                    continue
                if not full:
                    continue
                longer = path + (syllable,)
                add(self._lookup(longer), longer, j, TIER_PARTIAL if len(longer) > 1 else TIER_CHAR)
                if len(longer) < self._max_word:
                    stack.append((j, longer))

        sentence = self._sentence(s, edges)
        if sentence is not None:
            old = found.get((sentence.text, n))
            if old is None or old.tier > TIER_SENTENCE:
                found[sentence.text, n] = sentence
        # Within a tier: more of the input first (the likelier cut), then frequency, then text
        # so that equal scores still give one fixed order.
        ranked = sorted(found.values(), key=lambda c: (c.tier, -c.consumed, -c.freq, c.text))
        return ranked[:limit]

    def remaining(self, text: str, chosen: Candidate) -> str:
        """The input left after `chosen` is inserted: `hubeisheng` minus 湖北 is `sheng`."""
        return normalise(text)[chosen.consumed:].lstrip("'")

    # -- sentences --------------------------------------------------------------------------
    def _sentence(self, s: str, edges) -> Candidate | None:
        """The likeliest chain of words covering the whole input (Viterbi over the lattice, word
        scores as log-probabilities), when that takes two words or more."""
        n = len(s)
        best: dict[int, tuple[float, int, str, tuple[str, ...], int]] = {0: (0.0, -1, "", (), 0)}
        for i in range(n):
            if i not in best:
                continue
            base = best[i][0]
            stack = [(i, ())]
            while stack:
                node, path = stack.pop()
                for j, piece, syllable, full in edges[node]:
                    if j == n:
                        exact, completed = self._last_syllables(piece, syllable, full)
                        options = [(path + (x,), 0.0) for x in exact]
                        options += [(path + (x,), COMPLETION_PENALTY) for x in completed]
                    elif full:
                        options = [(path + (syllable,), 0.0)]
                        if len(path) + 1 < self._max_word:
                            stack.append((j, path + (syllable,)))
                    else:
                        options = []
                    for syls, penalty in options:
                        raw = self._lookup(syls)
                        if raw is None:
                            continue
                        word, freq = _top(raw)
                        score = base + math.log(freq) - LOG_TOTAL - penalty
                        if j not in best or score > best[j][0]:
                            best[j] = (score, i, word, syls, freq)
        if n not in best:
            return None
        words, syllables, freqs, node = [], [], [], n
        while node > 0:
            _score, prev, word, syls, freq = best[node]
            words.append(word)
            syllables[:0] = syls
            freqs.append(freq)
            node = prev
        if len(words) < 2:
            return None
        return Candidate("".join(reversed(words)), n, tuple(syllables), min(freqs), TIER_SENTENCE)


@lru_cache(maxsize=1)
def default_ime() -> PinyinIME:
    """The shipped index, loaded once per process (about 0.1 s): call early to warm it up."""
    return PinyinIME.load(INDEX_DIR)
