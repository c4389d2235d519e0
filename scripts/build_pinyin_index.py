"""Build the pinyin input method's index (assets/pinyin/) from jieba's word-frequency dictionary.

    .venv/bin/pip install jieba          # needed here only; the kiosk never imports jieba
    .venv/bin/python scripts/build_pinyin_index.py [--dict PATH] [--words N] [--out DIR]

Writes two plain UTF-8 text files, sorted, with no timestamps, so the same inputs always give
byte-identical output (a rebuild that changes nothing shows no diff):

  words.txt  one line per pinyin key of 2+ syllables:  gong'si<TAB>公司 45604 攻丝 3
             the top N words of jieba's dictionary by frequency, every lower-ranked word
             with an address ending (…区, …市, …路) and a few service-hall terms
  chars.txt  one line per syllable:                    gong<TAB>公 29323 工 27424 ...
             every GB2312 character (6,763), a few name characters outside it and any character
             of a kept word, under each of its readings. A reading's score is how often jieba's
             words read the character that way (alone in full, inside a longer word a tenth),
             so 银行's 行 counts under "hang" and 进行's under "xing".

Entries on a line are by score, highest first, ties by code point. Pinyin is pypinyin's NORMAL
style (no tones, ü written v: 绿 lv, 略 lve), which is what a person types on a letter pad.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import defaultdict
from pathlib import Path

from pypinyin import Style, lazy_pinyin, pinyin

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "pinyin"
DEFAULT_WORDS = 60_000
INSIDE_WEIGHT = 10               # a character's use inside words counts 1/INSIDE_WEIGHT (see build)
MAX_WORD_CHARS = 8               # longer entries are rare idioms and slow the lattice search
HANZI = re.compile(r"^[\u4e00-\u9fff]+$")

# Readings that are not typed as such: the interjections 嗯 (n/ng), 呣 (m), 哼 (hng)… A pinyin
# keyboard user types "en" for 嗯; a lone "n" must not become a syllable that splits "nin" oddly.
DROPPED_SYLLABLES = {"n", "ng", "m", "hm", "hng", "ê", "r"}
EXTRA_READINGS = {"嗯": ("en",)}

# Terms a citizen types at a service-hall kiosk that jieba's general dictionary lacks, with a
# frequency comparable to jieba's mid-frequency words so they rank first for their pinyin.
KIOSK_WORDS = {
    "统一社会信用代码": 2000, "社会信用代码": 2000, "信用代码": 2000, "营业执照": 2000,
    "身份证号码": 2000, "身份证号": 2000, "手机号码": 2000, "联系电话": 2000, "联系人": 2000,
    "法定代表人": 2000, "不动产": 2000, "公积金": 2000, "居住证": 2000, "户口本": 2000,
    "好差评": 500, "一件事": 500, "自助终端": 500, "办事指南": 500, "区域通办": 500,
}


# Characters common in given names but outside GB2312 (朱镕基's 镕, 陶喆's 喆…): a name must be
# typeable on a form even though a frequency dictionary hardly sees it.
NAME_CHARS = "喆堃玥昇珺璟赟犇镕旻晧祎琤彧"


# Addresses are most of what is typed into a form, and jieba's place names sit below the cut-off
# (湖州市 29, 静安区 29, 西湖区 5, 鼓楼区 10): words with these endings are kept whatever their rank,
# about 6,900 more words (~0.14 MB). Without them `xihuqu` became 西湖去.
ADDRESS_SUFFIXES = ("省", "市", "区", "县", "旗", "镇", "乡", "街道", "村", "路", "街", "大道", "巷",
                    "社区", "小区", "公司")


def gb2312_chars() -> list[str]:
    """The 6,763 hanzi of GB2312 (rows 0xB0-0xF7): the everyday characters of names and places."""
    chars = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue          # the unassigned cells at the end of row 0xD7
    return chars


def read_jieba(path: Path) -> dict[str, int]:
    """word -> frequency, hanzi-only entries (drops 'AT&T', 'B超'...)."""
    freq: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and HANZI.match(parts[0]):
                freq[parts[0]] = int(parts[1])
    return freq


def word_syllables(word: str, valid: set[str]) -> tuple[str, ...] | None:
    """pypinyin's reading of a word (it knows phrase readings: 银行 yin'hang), or None when some
    character has no typeable syllable."""
    syl = tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))
    if len(syl) != len(word) or any(s not in valid for s in syl):
        return None
    return syl


def char_readings(ch: str) -> list[str]:
    if ch in EXTRA_READINGS:
        return list(EXTRA_READINGS[ch])
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return [r for r in (readings[0] if readings else []) if r.isascii() and r.isalpha()
            and r not in DROPPED_SYLLABLES]


def build(dict_path: Path, top_n: int) -> tuple[dict[str, list[tuple[str, int]]], dict[str, list[tuple[str, int]]], dict]:
    jieba = read_jieba(dict_path)
    for word, f in KIOSK_WORDS.items():
        jieba[word] = max(jieba.get(word, 0), f)

    base_chars = gb2312_chars()
    readings = {ch: char_readings(ch) for ch in base_chars}
    valid = {r for rs in readings.values() for r in rs}

    # Per-reading character scores: each word votes its frequency for the reading pypinyin gives
    # each of its characters; all of jieba's words vote, not only the kept ones. A character
    # typed alone is mostly a word of its own (请, 想, 叫), so its own frequency counts in full
    # and its uses inside longer words (情 in 感情, 事情…) count a tenth.
    own: dict[tuple[str, str], int] = defaultdict(int)
    inside: dict[tuple[str, str], int] = defaultdict(int)
    kept: list[tuple[str, int, tuple[str, ...]]] = []
    for word, f in jieba.items():
        if len(word) > MAX_WORD_CHARS:
            continue
        syl = word_syllables(word, valid)
        if syl is None:
            continue
        for ch, s in zip(word, syl):
            (own if len(word) == 1 else inside)[ch, s] += f
        if len(word) >= 2:
            kept.append((word, f, syl))
    kept.sort(key=lambda k: (-k[1], k[0]))
    kept = kept[:top_n] + [k for k in kept[top_n:] if k[0].endswith(ADDRESS_SUFFIXES)]

    words: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for word, f, syl in kept:
        words["'".join(syl)].append((word, f))

    chars: dict[str, list[tuple[str, int]]] = defaultdict(list)
    all_chars = set(base_chars) | set(NAME_CHARS) | {ch for word, _, _ in kept for ch in word}
    for ch in all_chars:
        rs = readings.get(ch) or char_readings(ch)
        for r in rs:
            if r in valid:
                # +1: a reading no word uses still gets a place, at the end of its syllable.
                chars[r].append((ch, own.get((ch, r), 0) + inside.get((ch, r), 0) // INSIDE_WEIGHT + 1))
    stats = {"words": len(kept), "keys": len(words), "chars": len(all_chars),
             "char_entries": sum(len(v) for v in chars.values()), "syllables": len(chars)}
    return words, chars, stats


def write_table(path: Path, table: dict[str, list[tuple[str, int]]], header: str) -> None:
    lines = [header]
    for key in sorted(table):
        entries = sorted(table[key], key=lambda e: (-e[1], e[0]))
        lines.append(key + "\t" + " ".join(f"{t} {f}" for t, f in entries))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dict", type=Path, help="jieba dict.txt (default: the installed jieba's)")
    ap.add_argument("--words", type=int, default=DEFAULT_WORDS, help="how many multi-character words to keep")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    dict_path = args.dict
    if dict_path is None:
        try:
            import jieba           # only for the path of its dictionary file
        except ImportError:
            print("jieba is not installed: .venv/bin/pip install jieba, or pass --dict", file=sys.stderr)
            return 2
        dict_path = Path(jieba.__file__).parent / "dict.txt"
    words, chars, stats = build(dict_path, args.words)
    args.out.mkdir(parents=True, exist_ok=True)
    import pypinyin
    digest = hashlib.sha256(dict_path.read_bytes()).hexdigest()[:12]   # which dictionary, exactly
    source = f"jieba dict.txt sha256:{digest} (MIT) read with pypinyin {pypinyin.__version__}"
    write_table(args.out / "words.txt", words,
                f"# pinyin index words v1: {stats['words']} words, {stats['keys']} keys; {source}")
    write_table(args.out / "chars.txt", chars,
                f"# pinyin index chars v1: {stats['chars']} chars, {stats['char_entries']} readings, "
                f"{stats['syllables']} syllables; {source}")
    for name in ("words.txt", "chars.txt"):
        print(f"{name}: {(args.out / name).stat().st_size:,} bytes")
    print(stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
