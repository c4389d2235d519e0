"""The 256-byte text block of a resident ID card (居民身份证), as the SAM returns it.

UCS-2 little-endian, fixed-width fields padded with spaces:

    name 30 | sex 2 | nation 4 | birth 16 | address 70 | number 36 | authority 30 |
    valid-from 16 | valid-to 16 | reserved 36                      (bytes; chars = bytes / 2)

Sex and nation are codes (GB/T 2261.1, GB/T 3304); dates are YYYYMMDD; valid-to may read 长期.
The read (30 01) reply around it is: text length (2, BE) | photo length (2, BE) | text | photo.
"""
from __future__ import annotations

import datetime as dt

from kiosk.domain.identity import IdentityCard, is_valid_id_number

TEXT_LEN = 256
PHOTO_LEN = 1024

# (field, width in bytes), in card order.
FIELDS = (
    ("name", 30), ("sex", 2), ("nation", 4), ("birth", 16), ("address", 70),
    ("id_number", 36), ("authority", 30), ("valid_from", 16), ("valid_to", 16),
    ("reserved", 36),
)
assert sum(w for _, w in FIELDS) == TEXT_LEN

LONG_TERM = "长期"

# GB/T 2261.1
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
_SEX_BY_NAME = {v: k for k, v in SEX_CODES.items()}
_NATION_BY_NAME = {v: k for k, v in NATION_CODES.items()}


class CardDataError(ValueError):
    """The text block is not a readable resident ID card. Messages never carry personal data."""


def decode_resident_text(block: bytes) -> IdentityCard:
    if len(block) != TEXT_LEN:
        raise CardDataError(f"文字信息应为 {TEXT_LEN} 字节，实际 {len(block)} 字节")
    try:
        text = bytes(block).decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise CardDataError("文字信息不是有效的 UCS-2 编码") from exc

    raw: dict[str, str] = {}
    pos = 0
    for name, width in FIELDS:
        # Cards pad with spaces; NULs seen from some readers are treated the same way.
        raw[name] = text[pos:pos + width // 2].rstrip(" \x00")
        pos += width // 2

    if not raw["name"]:
        raise CardDataError("姓名为空")
    if raw["sex"] not in SEX_CODES:
        raise CardDataError(f"性别代码无效：{raw['sex']!r}")
    if raw["nation"] not in NATION_CODES:
        raise CardDataError(f"民族代码无效：{raw['nation']!r}")
    # The card's own check digit is our best guard against a garbled read of the number.
    if not is_valid_id_number(raw["id_number"]):
        raise CardDataError("公民身份号码格式或校验位错误")
    valid_to = None if raw["valid_to"] == LONG_TERM else _date(raw["valid_to"], "有效期截止日期")
    return IdentityCard(
        name=raw["name"],
        sex=SEX_CODES[raw["sex"]],
        nation=NATION_CODES[raw["nation"]],
        birth=_date(raw["birth"], "出生日期"),
        address=raw["address"],
        id_number=raw["id_number"].upper(),
        authority=raw["authority"],
        valid_from=_date(raw["valid_from"], "有效期起始日期"),
        valid_to=valid_to,
    )


def encode_resident_text(card: IdentityCard) -> bytes:
    """The inverse of decode_resident_text (used by the simulator and tests)."""
    try:
        values = {
            "name": card.name,
            "sex": _SEX_BY_NAME[card.sex],
            "nation": _NATION_BY_NAME[card.nation],
            "birth": card.birth.strftime("%Y%m%d"),
            "address": card.address,
            "id_number": card.id_number,
            "authority": card.authority,
            "valid_from": card.valid_from.strftime("%Y%m%d"),
            "valid_to": LONG_TERM if card.valid_to is None else card.valid_to.strftime("%Y%m%d"),
            "reserved": "",
        }
    except KeyError as exc:
        raise ValueError(f"no card code for {exc.args[0]!r}") from exc
    out = []
    for name, width in FIELDS:
        value = values[name]
        if len(value) > width // 2:
            raise ValueError(f"{name} longer than {width // 2} characters")
        out.append(value.ljust(width // 2, " "))
    return "".join(out).encode("utf-16-le")


def split_read_data(data: bytes) -> tuple[bytes, int]:
    """Split the data of a read (30 01) reply into (text block, photo length).

    Only the photo's length is returned: the WLT photo is never decoded, stored or passed on.
    """
    if len(data) < 4:
        raise CardDataError(f"读卡数据过短（{len(data)} 字节）")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len != TEXT_LEN or len(data) != 4 + text_len + photo_len:
        raise CardDataError(
            f"读卡数据长度不符：文字 {text_len}、照片 {photo_len}、共 {len(data)} 字节")
    return bytes(data[4:4 + text_len]), photo_len


def build_read_data(card: IdentityCard, photo: bytes) -> bytes:
    text = encode_resident_text(card)
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def _date(value: str, label: str) -> dt.date:
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError as exc:
        # The value itself stays out of the message: a birth date is personal data.
        raise CardDataError(f"{label}格式无效（应为 YYYYMMDD）") from exc
