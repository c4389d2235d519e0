"""Code tables and value parsers shared by every card layout (pure).

Messages of CardDataError never carry the offending value: it is personal data.
"""
from __future__ import annotations

import datetime as dt

from .ga467 import ProtocolError

LONG_TERM = "长期"

# GB/T 2261.1 (the card stores the code)
SEX_CODES = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}

# GB/T 3304-1991, names as printed on the card (without 族).
NATION_CODES = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳",
    "21": "佤", "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西",
    "28": "景颇", "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌",
    "34": "布朗", "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌",
    "40": "普米", "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克",
    "46": "德昂", "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙",
    "52": "鄂伦春", "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺",
    "97": "其他", "98": "外国血统中国籍人士",
}
SEX_BY_NAME = {v: k for k, v in SEX_CODES.items()}
NATION_BY_NAME = {v: k for k, v in NATION_CODES.items()}


class CardDataError(ProtocolError, ValueError):
    """The text block (or the read reply around it) is not a readable card."""


def is_ascii_digits(value: str) -> bool:
    # str.isdigit() also accepts "²" or "٣"; a card only ever holds ASCII digits.
    return bool(value) and value.isascii() and value.isdigit()


def sex_name(code: str) -> str:
    if code not in SEX_CODES:
        raise CardDataError("性别代码无效")
    return SEX_CODES[code]


def nation_name(code: str) -> str:
    if code not in NATION_CODES:
        raise CardDataError("民族代码无效")
    return NATION_CODES[code]


def parse_date(value: str, label: str) -> dt.date:
    try:
        if len(value) != 8 or not is_ascii_digits(value):
            raise ValueError("not YYYYMMDD")
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError as exc:
        raise CardDataError(f"{label}格式无效（应为 YYYYMMDD）") from exc


def parse_valid_to(value: str) -> dt.date | None:
    return None if value == LONG_TERM else parse_date(value, "有效期截止日期")


def parse_count(value: str, label: str) -> int:
    if not is_ascii_digits(value):
        raise CardDataError(f"{label}无效")
    return int(value)


def format_date(value: dt.date | None) -> str:
    return LONG_TERM if value is None else value.strftime("%Y%m%d")
