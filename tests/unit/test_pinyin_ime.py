"""The pinyin input method: syllable splitting, candidate order, partial choice, the shipped index
and its builder. Tests marked "synthetic" use a tiny hand-made index so that the ranking rules are
checked independently of jieba's numbers; the others check what a citizen types on the real one."""
from pathlib import Path

import pytest

from kiosk.domain.pinyin_ime import (CHARS_HEADER, FULL, PREFIX, TIER_CHAR, TIER_COMPLETED, TIER_EXACT,
                                     TIER_PARTIAL, TIER_SENTENCE, UNKNOWN, WORDS_HEADER, INDEX_DIR, PinyinIME,
                                     default_ime, normalise)
from scripts import build_pinyin_index


def texts(cands, n=None):
    return [c.text for c in cands][:n]


def write_index(directory: Path, words: dict[str, str], chars: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "words.txt").write_text(WORDS_HEADER + " test\n" + "".join(f"{k}\t{v}\n" for k, v in words.items()), "utf-8")
    (directory / "chars.txt").write_text(CHARS_HEADER + " test\n" + "".join(f"{k}\t{v}\n" for k, v in chars.items()), "utf-8")
    return directory


@pytest.fixture
def tiny(tmp_path) -> PinyinIME:
    """synthetic: a handful of syllables where the order is known by construction."""
    chars = {"hu": "湖 50 户 90", "bei": "北 80 被 70", "sheng": "省 60 生 95", "shi": "市 40 是 99",
             "shang": "上 98", "xi": "西 30", "an": "安 20", "xian": "先 70", "xiang": "想 97",
             "lve": "略 10", "si": "司 5", "gong": "公 9", "qu": "区 10", "quan": "全 1000"}
    words = {"hu'bei": "湖北 500", "hu'bei'sheng": "湖北省 300", "hu'bei'shi": "湖北市 1",
             "xi'an": "西安 200", "gong'si": "公司 900", "bei'shang": "北上 5", "xi'hu": "西湖 100"}
    return PinyinIME.load(write_index(tmp_path / "idx", words, chars))


# -- splitting --------------------------------------------------------------------------------

def test_split_full_syllables_and_trailing_prefix(tiny):
    pieces = tiny.split("hubeish")
    assert [(p.text, p.kind) for p in pieces] == [("hu", FULL), ("bei", FULL), ("sh", PREFIX)]
    assert [(p.start, p.end) for p in pieces] == [(0, 2), (2, 5), (5, 7)]


def test_split_prefers_fewer_longer_syllables_and_honours_apostrophe(tiny):
    assert [p.text for p in tiny.split("xian")] == ["xian"]
    assert [p.text for p in tiny.split("xi'an")] == ["xi", "an"]


def test_split_marks_unreadable_letters(tiny):
    pieces = tiny.split("gongv")
    assert [(p.text, p.kind) for p in pieces] == [("gong", FULL), ("v", UNKNOWN)]


def test_only_the_last_piece_may_be_unfinished(tiny):
    # "h" is no syllable and not at the end: no guessing of initials mid-input.
    assert [(p.text, p.kind) for p in tiny.split("hshi")] == [("hshi", UNKNOWN)]
    assert tiny.candidates("hshi") == []


def test_normalise_keeps_letters_and_single_apostrophes():
    assert normalise("Hu''Bei 省") == "hu'bei"
    assert normalise("'lü") == "lv"
    assert normalise("") == ""


# -- ranking rules (synthetic) ----------------------------------------------------------------

def test_whole_phrase_then_partial_then_characters(tiny):
    cands = tiny.candidates("hubeisheng")
    assert texts(cands) == ["湖北省", "湖北", "户", "湖"]
    assert [c.tier for c in cands] == [TIER_EXACT, TIER_PARTIAL, TIER_CHAR, TIER_CHAR]
    assert [c.consumed for c in cands] == [10, 5, 2, 2]


def test_trailing_prefix_completes_by_frequency(tiny):
    cands = tiny.candidates("hubeish")
    # 湖北省 (300) before 湖北市 (1): both complete "sh", frequency decides.
    assert texts(cands, 2) == ["湖北省", "湖北市"]
    assert {c.tier for c in cands[:2]} == {TIER_COMPLETED}


def test_exact_syllable_before_completed_one(tiny):
    # "xian" is a syllable: 先 (70) comes before 想 (97), which only completes it to "xiang".
    cands = tiny.candidates("xian")
    assert texts(cands).index("先") < texts(cands).index("想")
    assert "西安" in texts(cands)             # the other cut, xi|an, is offered too


def test_choosing_part_of_the_input_leaves_the_rest(tiny):
    text = "hubeisheng"
    hubei = next(c for c in tiny.candidates(text) if c.text == "湖北")
    rest = tiny.remaining(text, hubei)
    assert rest == "sheng"
    assert texts(tiny.candidates(rest), 1) == ["生"]
    assert tiny.remaining("xi'an", next(c for c in tiny.candidates("xi'an") if c.text == "西")) == "an"


def test_sentence_when_no_single_word_covers_the_input(tiny):
    cands = tiny.candidates("hubeishenggongsi")
    assert cands[0].text == "湖北省公司" and cands[0].tier == TIER_SENTENCE
    assert cands[0].consumed == len("hubeishenggongsi")


def test_sentence_takes_a_typed_syllable_as_typed(tiny):
    # 全 (quan, 1000) is far more frequent than 区 (qu, 10), but "qu" was typed in full.
    assert tiny.candidates("xihuqu")[0].text == "西湖区"


def test_lue_is_accepted_for_lve(tiny):
    assert texts(tiny.candidates("lue"), 1) == ["略"]


def test_nothing_for_nothing(tiny):
    assert tiny.candidates("") == [] and tiny.candidates("'") == [] and tiny.candidates("v") == []


def test_limit(tiny):
    assert len(tiny.candidates("h", limit=1)) == 1


def test_bad_index_files_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_pinyin_index"):
        PinyinIME.load(tmp_path)
    (tmp_path / "words.txt").write_text("not an index\n", "utf-8")
    (tmp_path / "chars.txt").write_text(CHARS_HEADER + "\n", "utf-8")
    with pytest.raises(ValueError, match="words.txt"):
        PinyinIME.load(tmp_path)


# -- the shipped index: what people type --------------------------------------------------------

@pytest.fixture(scope="module")
def ime() -> PinyinIME:
    return default_ime()


@pytest.mark.parametrize("typed, first", [
    ("gongsi", "公司"), ("hubeisheng", "湖北省"), ("hubeish", "湖北省"), ("beijing", "北京"),
    ("shenfenzheng", "身份证"), ("yingyezhizhao", "营业执照"), ("tongyishehuixinyongdaima", "统一社会信用代码"),
    ("yinhang", "银行"), ("zhongguo", "中国"), ("xi'an", "西安"), ("lvse", "绿色"), ("de", "的"), ("wo", "我"),
])
def test_real_index_first_candidate(ime, typed, first):
    assert ime.candidates(typed)[0].text == first


def test_real_index_partial_choice_then_rest(ime):
    cands = ime.candidates("hubeisheng")
    hubei = next(c for c in cands if c.text == "湖北")
    assert texts(cands).index("湖北省") < texts(cands).index("湖北") < texts(cands).index("湖")
    assert ime.remaining("hubeisheng", hubei) == "sheng"
    assert "省" in texts(ime.candidates("sheng"), 5)


def test_real_index_composes_an_address(ime):
    assert ime.candidates("hubeishengwuhanshi")[0].text == "湖北省武汉市"


def test_real_index_readings_depend_on_the_word(ime):
    # 行 is hang in 银行 and xing in 行政: it must be offered under both syllables.
    assert "行" in texts(ime.candidates("hang"), 3)
    assert "行" in texts(ime.candidates("xing"), 3)


def test_shipped_index_is_compact():
    size = sum(p.stat().st_size for p in INDEX_DIR.iterdir() if p.suffix == ".txt")
    assert size < 2_000_000, size
    assert (INDEX_DIR / "README.md").is_file()


# -- the builder ------------------------------------------------------------------------------

def test_builder_is_deterministic_and_reads_words_by_context(tmp_path):
    src = tmp_path / "dict.txt"
    src.write_text("公司 45604 n\n攻丝 3 n\n银行 9000 n\n行政 8000 n\n湖北省 18868 ns\nAT&T 3 nz\n的 318825 uj\n", "utf-8")
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert build_pinyin_index.main(["--dict", str(src), "--out", str(out), "--words", "3"]) == 0
        outs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert outs[0] == outs[1]
    ime = PinyinIME.load(tmp_path / "a")
    assert texts(ime.candidates("gongsi"), 1) == ["公司"]
    assert ime.words.get("gong'si") == "公司 45604"            # top 3 only: 攻丝 (3) was cut
    assert "AT&T" not in outs[0]["words.txt"].decode()
    assert texts(ime.candidates("hang"), 1) == ["行"]          # 银行 voted 行 under hang
    assert len(ime.chars) > 390                                # every GB2312 syllable is there
