"""Receipt column layout: widths, wrapping on 58 mm (32 cols) and 80 mm (48 cols), nothing lost."""
import pytest

from drivers.printer.layout import (columns_for_paper, display_width, format_key_value,
                                    separator, wrap)

LONG_MATTER = "企业开办（含设立登记、公章刻制、申领发票、社保登记、公积金开户）一件事"
MIXED = "请于3个工作日内携带原件到B区12号窗口领取，咨询0571-87654321，网址www.zjzwfw.gov.cn"


def visible(text_or_lines) -> str:
    text = "".join(text_or_lines) if isinstance(text_or_lines, list) else text_or_lines
    return "".join(text.split())


def test_paper_widths():
    assert columns_for_paper(80) == 48
    assert columns_for_paper(58) == 32
    with pytest.raises(ValueError, match="58 or 80"):
        columns_for_paper(76)


@pytest.mark.parametrize("text, width", [
    ("", 0), ("ABC123", 6), ("受理回执", 8), ("申请编号：", 10), ("（或拨打12345）", 15),
    ("【补打】", 8), ("３", 2), ("·—", 4), ("e\u0301", 1),
])
def test_display_width(text, width):
    assert display_width(text) == width


@pytest.mark.parametrize("columns", [32, 48])
@pytest.mark.parametrize("text", [LONG_MATTER, MIXED, "A" * 100, "中" * 50, "x " * 40])
def test_wrap_fits_and_loses_nothing(text, columns):
    lines = wrap(text, columns)
    assert all(display_width(line) <= columns for line in lines)
    assert visible(lines) == visible(text)


def test_wrap_at_32_breaks_hanzi_by_width():
    assert wrap("中" * 20, 32) == ["中" * 16, "中" * 4]
    assert wrap("中" * 20, 48) == ["中" * 20]


def test_wrap_keeps_ascii_words_whole_when_they_fit():
    lines = wrap("申请编号为QY2026112800001K请妥善保管", 20)
    assert any("QY2026112800001K" in line for line in lines)
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]


def test_word_longer_than_a_line_is_split_not_cut():
    assert wrap("A" * 70, 32) == ["A" * 32, "A" * 32, "A" * 6]


def test_closing_punctuation_never_starts_a_line():
    lines = wrap("网络暂时中断申请已安全保存在本机网，络恢复后自动上报。", 32)
    assert all(not line.startswith(("，", "。", "）")) for line in lines)
    assert visible(lines) == visible("网络暂时中断申请已安全保存在本机网，络恢复后自动上报。")


def test_wrap_keeps_newlines_and_empty_text():
    assert wrap("", 32) == [""]
    assert wrap("第一行\n\n第三行", 32) == ["第一行", "", "第三行"]


def test_key_value_on_one_line():
    assert format_key_value("申请编号", "QY2026112800001K", 32) == ["申请编号：QY2026112800001K"]


@pytest.mark.parametrize("columns", [32, 48])
def test_key_value_wraps_with_hanging_indent(columns):
    lines = format_key_value("办理事项", LONG_MATTER, columns)
    assert len(lines) > 1
    assert lines[0].startswith("办理事项：")
    assert all(line.startswith(" " * 10) for line in lines[1:])   # under the value's start
    assert all(display_width(line) <= columns for line in lines)
    assert visible(lines) == visible("办理事项：" + LONG_MATTER)


def test_key_value_long_label_gets_its_own_line():
    lines = format_key_value("统一社会信用代码对应的市场主体名称", "杭州某某科技有限公司", 32)
    assert lines[0] == "统一社会信用代码对应的市场主体名"
    assert lines[1] == "称："
    assert lines[2] == "  杭州某某科技有限公司"


def test_separator_fills_the_line():
    assert separator("-", 32) == "-" * 32
    assert separator("=", 48) == "=" * 48
    assert display_width(separator("—", 48)) == 48


def test_row_short_label_and_value_share_a_line():
    from drivers.printer.layout import format_row
    assert format_row("行政许可", "2 条", 32) == ["行政许可" + " " * 20 + "2 条"]
    assert format_row("A", "B" * 40, 32) == ["A", "B" * 32, " " * 24 + "B" * 8]
