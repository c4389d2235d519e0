"""GA 467 framing for 2nd-generation ID card readers (SAM modules): pure, no I/O.

    AA AA AA 96 69 | LEN_H LEN_L | payload | CHK

LEN is big-endian and counts every byte after it, CHK included (so a frame is 7 + LEN bytes).
CHK is the XOR of LEN_H through the last payload byte. A command payload is `CMD PARA [DATA]`,
a reply payload `SW1 SW2 SW3 [DATA]`.

FrameDecoder works like pyserial's threaded.Packetizer (bytes in, frames out) but returns the
payloads instead of calling a handler, so the reader thread and the simulator can both drive it
from their own loops, and tests can feed it without a port.
"""
from __future__ import annotations

from dataclasses import dataclass

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2          # preamble + LEN_H LEN_L

# Commands (CMD, PARA).
FIND = (0x20, 0x01)             # 寻找居民身份证
SELECT = (0x20, 0x02)           # 选取居民身份证
READ_TEXT_PHOTO = (0x30, 0x01)  # 读固定信息（文字 + 照片）
SAM_STATUS = (0x11, 0xFF)       # SAM 状态检测
RESET = (0x10, 0xFF)            # 复位 SAM

# SW3 status codes.
SW_OK = 0x90
SW_FIND_OK = 0x9F
SW_FIND_FAILED = 0x80
SW_SELECT_FAILED = 0x81
SW_READ_FAILED = 0x41
SW_CHECKSUM_ERROR = 0x10
SW_LENGTH_ERROR = 0x11
SW_BAD_COMMAND = 0x21

SW3_MESSAGES: dict[int, str] = {
    SW_OK: "操作成功",
    SW_FIND_OK: "找到身份证",
    SW_FIND_FAILED: "未找到身份证，请放好证件",
    SW_SELECT_FAILED: "选卡失败，请重新放置证件",
    SW_READ_FAILED: "读卡失败，请重新放置证件",
    SW_CHECKSUM_ERROR: "读卡器收到的数据校验错误",
    SW_LENGTH_ERROR: "读卡器收到的数据长度错误",
    SW_BAD_COMMAND: "读卡器不支持该命令",
}

# Smallest legal LEN is a command (CMD PARA CHK = 3); the largest reply we know of (text +
# photo + fingerprint) is about 2.3 KB. Anything outside is line noise that happened to look
# like a preamble, and trusting it would make us wait for kilobytes that never come.
MIN_LEN = 3
MAX_LEN = 4096


def sw3_message(sw3: int) -> str:
    return SW3_MESSAGES.get(sw3, f"读卡器返回未知状态 0x{sw3:02X}")


def checksum(body: bytes) -> int:
    """XOR of LEN_H .. last payload byte."""
    chk = 0
    for b in body:
        chk ^= b
    return chk


def build_frame(payload: bytes) -> bytes:
    length = len(payload) + 1               # + CHK
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    return build_frame(bytes([cmd, para]) + bytes(data))


def build_reply(sw3: int, data: bytes = b"") -> bytes:
    """A reply as a SAM sends it: SW1 = SW2 = 0."""
    return build_frame(bytes([0x00, 0x00, sw3]) + bytes(data))


@dataclass(frozen=True)
class Reply:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def message(self) -> str:
        return sw3_message(self.sw3)


def parse_reply(payload: bytes) -> Reply:
    if len(payload) < 3:
        raise LengthError(f"reply payload of {len(payload)} bytes, need at least SW1 SW2 SW3")
    return Reply(payload[0], payload[1], payload[2], bytes(payload[3:]))


class FrameError(Exception):
    """A frame was recognised but is unusable; the decoder has already skipped past it."""


class ChecksumError(FrameError):
    pass


class LengthError(FrameError):
    pass


class FrameDecoder:
    """Incremental decoder: feed() any chunk of bytes, get back the payloads it completed.

    Errors do not interrupt decoding (one bad frame must not lose the good one behind it in the
    same chunk): they are collected and handed out by take_errors().
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._errors: list[FrameError] = []
        self.discarded = 0      # bytes dropped while hunting for a preamble (diagnostics)

    def reset(self) -> None:
        """Forget any partial frame, e.g. after a reply timeout, so it cannot swallow the next."""
        self.discarded += len(self._buf)
        self._buf.clear()

    def take_errors(self) -> list[FrameError]:
        errors, self._errors = self._errors, []
        return errors

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        payloads: list[bytes] = []
        while self._sync():
            if len(self._buf) < HEADER_LEN:
                break
            length = int.from_bytes(self._buf[5:7], "big")
            if not MIN_LEN <= length <= MAX_LEN:
                self._errors.append(LengthError(f"absurd frame length {length}"))
                self._skip_preamble()
                continue
            total = HEADER_LEN + length
            if len(self._buf) < total:
                break
            body = bytes(self._buf[5:total - 1])
            chk = self._buf[total - 1]
            if checksum(body) != chk:
                self._errors.append(ChecksumError(
                    f"checksum 0x{chk:02X}, expected 0x{checksum(body):02X} ({total} byte frame)"))
                # Skip only the preamble, not the whole claimed frame: if LEN itself was
                # corrupted, the next good frame may start inside that span.
                self._skip_preamble()
                continue
            payloads.append(body[2:])
            del self._buf[:total]
        return payloads

    def _sync(self) -> bool:
        """Drop bytes before the first preamble. True if the buffer now starts with one."""
        idx = self._buf.find(PREAMBLE)
        if idx >= 0:
            self.discarded += idx
            del self._buf[:idx]
            return True
        # Keep a tail that may be the start of a preamble split across two reads.
        keep = 0
        for n in range(min(len(PREAMBLE) - 1, len(self._buf)), 0, -1):
            if self._buf.endswith(PREAMBLE[:n]):
                keep = n
                break
        self.discarded += len(self._buf) - keep
        del self._buf[:len(self._buf) - keep]
        return False

    def _skip_preamble(self) -> None:
        self.discarded += 1
        del self._buf[:1]
