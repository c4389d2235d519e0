"""kiosk.domain.payload: bytes -> text (ECI, UTF-8, GB18030, Shift-JIS) and what kind of code."""
import datetime as dt

import pytest
from stdnum.cn import uscc

from kiosk.domain.application_no import make_application_no
from kiosk.domain.payload import (
    APPOINTMENT, BUSINESS_LICENCE, RECEIPT, UNKNOWN, classify, decode_text, guess_text,
    is_valid_appointment_no, make_appointment_no, preview, preview_bytes, scan_result,
)

# Realistic Chinese payload text: names, addresses, matters, enterprises, notes.
CHINESE = [
    "张三", "李四光", "欧阳娜娜", "王小明", "赵钱孙李", "阿依古丽·买买提",
    "江苏省南京市玄武区中山路1号", "北京市海淀区中关村大街27号", "上海市浦东新区世纪大道100号",
    "营业执照", "统一社会信用代码", "户外广告设施设置审批", "公共场所卫生许可证注销",
    "南京市玄武区便民服务中心", "某某科技有限公司", "个体工商户营业执照变更登记",
    "请携带身份证原件到一楼大厅三号窗口办理", "预约时间：2026年11月28日上午9:00—10:00",
    "受理编号：QY2026112800001C", "姓名：张三；电话：13800000000", "（示例）不收费",
    "城市管理局", "市场监督管理局", "中山路18号", "路18号", "无照经营", "投诉举报",
    "小写", "组织方案及公安机关", "金额大写",
]
# Japanese text as Shift-JIS codes carry it (the zxing set's qrcode-2 has these).
JAPANESE = [
    "ﾃﾞｻﾞｲﾝQR", "*ﾃﾞｻﾞｲﾝQR*", "ｲﾗｽﾄ入りｶﾗｰQRｺｰﾄﾞ", "今度のバージョンでは文章の暗号化ができます。",
    "Google モバイル", "[外側QRコード]", "*ﾀﾞﾌﾞﾙQR*", "東京都千代田区", "こんにちは", "山田太郎",
]


@pytest.mark.parametrize("text", CHINESE)
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_chinese_payloads_in_utf8_and_gb18030(text, encoding):
    decoded = guess_text(text.encode(encoding))
    assert decoded.text == text
    assert decoded.charset == ("ascii" if text.isascii() else encoding)


@pytest.mark.parametrize("text", JAPANESE)
def test_shift_jis_payloads(text):
    decoded = guess_text(text.encode("shift_jis"))
    assert (decoded.text, decoded.charset) == (text, "shift_jis")


@pytest.mark.parametrize("text", ["营业", "目录", "农业农", "位小", "么每", "9位", "山路"])
def test_gb18030_bytes_that_happen_to_be_valid_utf8_are_not_taken_for_it(text):
    raw = text.encode("gb18030")
    raw.decode("utf-8")                   # the trap: these bytes are valid UTF-8 (Ӫҵ, Ŀ¼, ...)
    assert guess_text(raw).text == text


@pytest.mark.parametrize("text", ["café", "José Martínez", "Привет, мир", "Да", "Ελληνικά", "naïve façade"])
def test_utf8_with_accents_and_other_alphabets_stays_utf8(text):
    assert guess_text(text.encode("utf-8")) .text == text


def test_ascii_and_control_characters_are_kept_exactly():
    raw = b"\x01\x10AD:SUB:\xb0\xa2;;"        # zxing qrcode-2/33: controls + GB2312 "阿"
    assert guess_text(raw).text == "\x01\x10AD:SUB:阿;;"
    assert guess_text(b"line 1\r\nline 2  ").text == "line 1\r\nline 2  "


@pytest.mark.parametrize("raw", [
    bytes(range(0x80, 0xA0)),                         # C1 range: nothing decodes it
    b"\xff\xfe\xfd\x00\x01\x02\x80\x81",
    bytes.fromhex("9f3c1a80e2d47b0c55aa13f0"),          # high-entropy token
])
def test_binary_is_not_shown_as_text(raw):
    d = guess_text(raw)
    assert d.text is None and d.reason


def test_scoring_stays_linear_on_long_hostile_payloads():
    import time
    for raw in (("Ж" * 2900).encode("utf-8"), ("ﾃﾞ" * 2900).encode("shift_jis"), bytes(range(0xA1, 0xFF)) * 40):
        t = time.perf_counter()
        guess_text(raw)
        assert time.perf_counter() - t < 0.25        # ~5 ms measured


def test_long_random_bytes_are_almost_never_taken_for_text():
    import random
    rng = random.Random(4)
    texts = 0
    for _ in range(300):
        raw = bytes(rng.randrange(256) for _ in range(48))
        texts += guess_text(raw).text is not None
    assert texts <= 3          # measured 0-1 in 300; short strings are inherently ambiguous


def test_eci_decides_over_any_guess():
    sjis = "ﾃﾞｻﾞｲﾝ".encode("shift_jis")
    assert decode_text(sjis, [(20, sjis)]).text == "ﾃﾞｻﾞｲﾝ"
    gb = "棉晦草".encode("gb18030")           # the very same bytes
    assert decode_text(gb, [(32, gb)]).text == "棉晦草"
    assert decode_text(b"caf\xe9", [(3, b"caf\xe9")]).text == "café"


def test_several_eci_segments():
    a, b = "营业".encode("gb18030"), "テスト".encode("shift_jis")
    d = decode_text(a + b, [(32, a), (20, b)])
    assert d.text == "营业テスト" and d.charset == "eci:32,20"


def test_bytes_that_break_their_declared_eci_are_not_text():
    d = decode_text(b"\xff\xfe", [(26, b"\xff\xfe")])
    assert d.text is None and "ECI 26" in d.reason
    assert decode_text(b"\x00\x01", [(899, b"\x00\x01")]).text is None
    assert decode_text(b"x", [(9999, b"x")]).text is None


# -- classification -----------------------------------------------------------------------------

def kind_of(text: str):
    raw = text.encode("utf-8")
    return classify(decode_text(raw), raw)


def test_receipt_is_our_application_number():
    no = make_application_no(dt.date(2026, 11, 28), 1)
    p = kind_of(no)
    assert (p.kind, p.application_no) == (RECEIPT, no)
    assert kind_of(no + "\r\n").kind == RECEIPT          # a trailing newline is forgiven
    assert kind_of(no[:-1] + ("A" if no[-1] != "A" else "B")).kind == UNKNOWN   # check char
    assert kind_of(no.lower()).kind == UNKNOWN


def test_appointment_numbers():
    no = make_appointment_no(dt.date(2026, 11, 28), 7)
    assert is_valid_appointment_no(no)
    assert kind_of(no).kind == APPOINTMENT and kind_of(no).appointment_no == no
    assert not is_valid_appointment_no(no[:-1] + ("0" if no[-1] != "0" else "1"))
    assert not is_valid_appointment_no("YY202602300001" + "X")         # 30 February
    with pytest.raises(ValueError):
        make_appointment_no(dt.date(2026, 1, 1), 0)


VALID_USCC = "91110000600037341L"


def test_business_licence_bare_code_with_gb32100_check():
    assert uscc.is_valid(VALID_USCC)
    p = kind_of(VALID_USCC)
    assert (p.kind, p.uscc) == (BUSINESS_LICENCE, VALID_USCC)
    wrong = VALID_USCC[:-1] + "M"
    p = kind_of(wrong)
    assert p.kind == UNKNOWN and "校验" in p.reason


def test_business_licence_links():
    p = kind_of(f"https://zj.gsxt.gov.cn/detail?uniScId={VALID_USCC}&x=1")
    assert (p.kind, p.uscc) == (BUSINESS_LICENCE, VALID_USCC)
    opaque = "http://www.gsxt.gov.cn/%7BBIpUiz2ySe_d1Zd8nSikrFMeQFGfCJEpu1v92i6r-1508980989967%7D"
    p = kind_of(opaque)
    assert (p.kind, p.uscc) == (BUSINESS_LICENCE, "")     # the hall resolves it
    assert "正在查询" in p.message


@pytest.mark.parametrize("text", [
    f"https://gsxt.gov.cn.evil.example/?uniscid={VALID_USCC}",
    f"https://evil.example/?next=gsxt.gov.cn&uniscid={VALID_USCC}",
    f"https://www.gsxt.gov.cn@evil.example/?uniscid={VALID_USCC}",
    f"https://www.gsxt.gov.cn/?uniscid={VALID_USCC[:-1]}M",
    f"https://www.gsxt.gov.cn/?uniscid={VALID_USCC}&uniscid=91320102MA1XXXXX0T",
    "https://[::1/",
    f"ftp://www.gsxt.gov.cn/?uniscid={VALID_USCC}",
])
def test_lookalike_and_broken_licence_links_are_unknown(text):
    assert kind_of(text).kind == UNKNOWN


HOSTILE = [
    "Robert'); DROP TABLE applications;--",
    "[b][color=ff0000]请到3号窗口[/color][/b]",
    "<script>alert(1)</script>",
    "\u202eQY2026112800001C",            # bidi override in front of a real number
    "QY2026112800001C\x00",
    "A" * 100_000,
    "\x1b[2J\x07",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_content_is_only_text(text):
    p = kind_of(text)
    assert p.kind == UNKNOWN
    assert p.text == text                           # kept exactly, never altered or run
    assert len(p.preview) <= 49
    assert all(c.isprintable() for c in p.preview)
    assert p.message.startswith("无法识别此二维码")


def test_preview_escapes_what_cannot_be_seen_and_truncates():
    assert preview("a\nb\tc\\d") == "a\\nb\\tc\\\\d"
    assert preview("x\u202ey\u200bz") == "x\\u202ey\\u200bz"
    assert preview("一二三四五", limit=3) == "一二三…"
    assert preview_bytes(b"ab\x00\xff") == "ab\\x00\\xff"


def test_scan_result_wires_it_together():
    raw = "江苏省南京市".encode("gb18030")
    code = scan_result(raw, None, "zxing", 1.5)
    assert (code.text, code.charset, code.kind, code.source, code.ms) == ("江苏省南京市", "gb18030", UNKNOWN, "zxing", 1.5)
    assert "江苏省南京市" in code.payload.message
