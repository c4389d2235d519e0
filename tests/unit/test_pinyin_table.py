"""The pinyin index's in-memory form (PackedTable): it must answer exactly as the dict it replaced
(key -> the rest of its line, read line by line), and stay small: the dict was ~10 MB of the
kiosk's idle heap (issue #15)."""
import gc
import tracemalloc

import pytest

from kiosk.domain.pinyin_ime import CHARS_HEADER, INDEX_DIR, WORDS_HEADER, PackedTable, PinyinIME, _read_table


def as_dict(path) -> dict[str, str]:
    """What the index was read into before: a plain dict, one entry per line, the last one winning."""
    table = {}
    with path.open(encoding="utf-8") as f:
        f.readline()
        for line in f:
            key, _tab, rest = line.rstrip("\n").partition("\t")
            table[key] = rest
    return table


def same_as_dict(packed: PackedTable, ref: dict[str, str], absent=()) -> None:
    assert len(packed) == len(ref)
    assert sorted(packed) == sorted(ref)
    assert dict(packed.items()) == ref
    for key, value in ref.items():
        assert packed.get(key) == value and packed[key] == value and key in packed
    for key in absent:
        assert packed.get(key) is None and packed.get(key, "x") == "x" and key not in packed
        with pytest.raises(KeyError):
            packed[key]


def test_hand_made_table_unsorted_repeated_crlf_unterminated(tmp_path):
    path = tmp_path / "words.txt"
    # out of order, a key repeated (the last line wins, as in a dict), keys that are prefixes of
    # others (the tab sorts before any key letter), a non-ASCII key, CRLF, no final newline
    path.write_bytes((WORDS_HEADER + " test\r\nzhong'guo\t中国 9\r\na\t啊 1 阿 2\r\na'ba\t阿爸 3\r\n"
                      "zhong'guo\t中国 10\r\nlü\t绿 4\r\nb\t不 5").encode("utf-8"))
    packed = _read_table(path, WORDS_HEADER)
    same_as_dict(packed, {"zhong'guo": "中国 10", "a": "啊 1 阿 2", "a'ba": "阿爸 3", "lü": "绿 4", "b": "不 5"},
                 absent=("", "ab", "a'b", "zhong", "zhong'guo'", "c", "lu"))
    assert 3 not in packed


def test_shipped_index_answers_as_the_dict_did():
    for name, header in (("words.txt", WORDS_HEADER), ("chars.txt", CHARS_HEADER)):
        ref = as_dict(INDEX_DIR / name)
        same_as_dict(_read_table(INDEX_DIR / name, header), ref, absent=("gongsi", "gong's", "xyz"))


def test_malformed_lines_are_named(tmp_path):
    for body in ("gong\n", "gong\t\n", "gong\t公 1\n\n"):
        (tmp_path / "chars.txt").write_text(CHARS_HEADER + "\n" + body, "utf-8")
        with pytest.raises(ValueError, match="chars.txt: malformed line"):
            _read_table(tmp_path / "chars.txt", CHARS_HEADER)


def test_loaded_index_is_small():
    gc.collect()
    tracemalloc.start()
    try:
        ime = PinyinIME.load(INDEX_DIR)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert ime.candidates("gongsi")[0].text == "公司"
    # measured 2.5 MB (1.4 MB of it the words file itself); the dict of str took 10.1 MB
    assert held < 4_000_000, held
