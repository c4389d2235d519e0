"""The data parts of read replies (pure): what surrounds the 256-byte text block.

    30 01  text len (2, BE) | photo len (2, BE) | text | photo
    30 10  text len | photo len | fingerprint len (2, BE) | text | photo | fingerprint
    30 03  追加住址: 70 bytes UCS-2 (SW3 91 when the card has none)
    12 FF  SAM id: 16 bytes, shown as 05.01-20101010-0012345678-1234567890

Only the text leaves this module with its content. The WLT photo is handed to the caller just
long enough for an optional vendor decoder (photo.py); the fingerprint, never: only its length.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .codes import CardDataError
from .layouts import TEXT_LEN

PHOTO_LEN = 1024
FINGERPRINT_LEN = 1024          # two 512-byte templates, when the card carries them
NEW_ADDRESS_LEN = 70
SAM_ID_LEN = 16


@dataclass(frozen=True)
class ReadData:
    text: bytes
    photo: bytes = field(repr=False)
    fingerprint_len: int = 0


def split_read_data(data: bytes, with_fingerprint: bool = False) -> ReadData:
    """Split the data of a 30 01 (or, with_fingerprint, 30 10) reply."""
    lengths = 3 if with_fingerprint else 2
    head = 2 * lengths
    if len(data) < head:
        raise CardDataError(f"读卡数据过短（{len(data)} 字节）")
    sizes = [int.from_bytes(data[i:i + 2], "big") for i in range(0, head, 2)]
    text_len, photo_len = sizes[0], sizes[1]
    fp_len = sizes[2] if with_fingerprint else 0
    if text_len != TEXT_LEN or len(data) != head + sum(sizes):
        raise CardDataError(
            f"读卡数据长度不符：文字 {text_len}、照片 {photo_len}、指纹 {fp_len}、"
            f"共 {len(data)} 字节")
    text = bytes(data[head:head + text_len])
    photo = bytes(data[head + text_len:head + text_len + photo_len])
    return ReadData(text, photo, fp_len)


def build_read_data(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """The inverse (simulator, tests). fingerprint=None builds a 30 01 reply, else a 30 10."""
    parts = [text, photo] if fingerprint is None else [text, photo, fingerprint]
    return b"".join(len(p).to_bytes(2, "big") for p in parts) + b"".join(parts)


def parse_new_address(data: bytes) -> str:
    if len(data) != NEW_ADDRESS_LEN:
        raise CardDataError(f"追加住址应为 {NEW_ADDRESS_LEN} 字节，实际 {len(data)} 字节")
    try:
        return bytes(data).decode("utf-16-le").rstrip(" \x00")
    except UnicodeDecodeError as exc:
        raise CardDataError("追加住址不是有效的 UCS-2 编码") from exc


def build_new_address(address: str) -> bytes:
    if len(address) > NEW_ADDRESS_LEN // 2:
        raise ValueError("new address longer than 35 characters")
    return address.ljust(NEW_ADDRESS_LEN // 2).encode("utf-16-le")


def format_sam_id(data: bytes) -> str:
    """The SAM id as printed on readers: two 16-bit and three 32-bit little-endian numbers."""
    if len(data) != SAM_ID_LEN:
        raise CardDataError(f"安全模块号应为 {SAM_ID_LEN} 字节，实际 {len(data)} 字节")
    a, b = (int.from_bytes(data[i:i + 2], "little") for i in (0, 2))
    c, d, e = (int.from_bytes(data[i:i + 4], "little") for i in (4, 8, 12))
    return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"


def build_sam_id(a: int, b: int, c: int, d: int, e: int) -> bytes:
    return (a.to_bytes(2, "little") + b.to_bytes(2, "little") + c.to_bytes(4, "little")
            + d.to_bytes(4, "little") + e.to_bytes(4, "little"))
