"""GA 467 framing for 2nd-generation ID card readers (SAM modules): pure, no I/O.

    AA AA AA 96 69 | LEN_H LEN_L | payload | CHK

LEN is big-endian and counts every byte after it, CHK included (so a frame is 7 + LEN bytes).
CHK is the XOR of LEN_H through the last payload byte. A command payload is `CMD PARA [DATA]`,
a reply payload `SW1 SW2 SW3 [DATA]`. docs/idcard.md lists where each detail was confirmed.

FrameDecoder works like pyserial's threaded.Packetizer (bytes in, frames out) but returns the
payloads instead of calling a handler, so the reader thread and the simulator can both drive it
from their own loops, and tests can feed it without a port. It never blocks and never raises:
bad frames are collected as typed errors; a truncated frame simply stays pending until the
caller's reply timeout calls reset().
"""
from __future__ import annotations

import enum
import heapq
from dataclasses import dataclass

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2          # preamble + LEN_H LEN_L

# Commands (CMD, PARA).
RESET = (0x10, 0xFF)                    # 复位 SAM
SAM_STATUS = (0x11, 0xFF)               # SAM 状态检测
SAM_ID = (0x12, 0xFF)                   # 读 SAM 管理信息（安全模块号）
FIND = (0x20, 0x01)                     # 寻找证件
SELECT = (0x20, 0x02)                   # 选取证件
READ_TEXT_PHOTO = (0x30, 0x01)          # 读固定信息：文字 + 照片
READ_NEW_ADDRESS = (0x30, 0x03)         # 读追加住址
READ_TEXT_PHOTO_FP = (0x30, 0x10)       # 读固定信息：文字 + 照片 + 指纹
SET_MAX_RF_BYTES = (0x61, 0xFF)         # 设置 SAM 与证件间单帧最大字节数（数据 1 字节）

COMMAND_NAMES = {
    RESET: "reset", SAM_STATUS: "sam_status", SAM_ID: "sam_id", FIND: "find",
    SELECT: "select", READ_TEXT_PHOTO: "read", READ_NEW_ADDRESS: "read_new_address",
    READ_TEXT_PHOTO_FP: "read_fingerprint", SET_MAX_RF_BYTES: "set_max_rf_bytes",
}


class Sw3(enum.IntEnum):
    """Every SW3 a SAM is known to answer (GA 467 appendix, as implemented by vendors)."""
    OK = 0x90
    FIND_OK = 0x9F
    NO_CONTENT = 0x91
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    BAD_COMMAND = 0x21
    UNAUTHORISED = 0x23
    CARD_AUTH_FAILED = 0x31         # 证件认证 SAM 失败
    SAM_AUTH_FAILED = 0x32          # SAM 认证证件失败
    VERIFY_FAILED = 0x33            # 信息验证错误
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    SAM_SELF_TEST_FAILED = 0x60
    SAM_UNAUTHORISED = 0x66


class Sw3Kind(enum.Enum):
    """What a status means for the reader loop, so it can decide without a table of codes."""
    OK = "ok"               # the command did what it should
    NO_CARD = "no_card"     # nothing (or nothing readable) in the field: keep polling quietly
    CARD = "card"           # the card in the field could not be read: ask the user to re-place it
    LINK = "link"           # the SAM rejected our frame: a line or driver problem
    SAM = "sam"             # the security module itself is unusable: a device fault


@dataclass(frozen=True)
class Sw3Info:
    kind: Sw3Kind
    message: str            # plain Chinese, fit for a screen or a technician


SW3_INFO: dict[Sw3, Sw3Info] = {
    Sw3.OK: Sw3Info(Sw3Kind.OK, "操作成功"),
    Sw3.FIND_OK: Sw3Info(Sw3Kind.OK, "找到证件"),
    Sw3.NO_CONTENT: Sw3Info(Sw3Kind.OK, "证件中无此项内容"),
    Sw3.FIND_FAILED: Sw3Info(Sw3Kind.NO_CARD, "未找到证件，请将证件放在读卡区"),
    Sw3.SELECT_FAILED: Sw3Info(Sw3Kind.CARD, "选取证件失败，请重新放置证件"),
    Sw3.CHECKSUM_ERROR: Sw3Info(Sw3Kind.LINK, "读卡器收到的数据校验和错误"),
    Sw3.LENGTH_ERROR: Sw3Info(Sw3Kind.LINK, "读卡器收到的数据长度错误"),
    Sw3.BAD_COMMAND: Sw3Info(Sw3Kind.LINK, "读卡器不支持该命令"),
    Sw3.UNAUTHORISED: Sw3Info(Sw3Kind.CARD, "越权操作，请重新放置证件"),
    Sw3.CARD_AUTH_FAILED: Sw3Info(Sw3Kind.CARD, "证件认证读卡器失败，请重新放置证件"),
    Sw3.SAM_AUTH_FAILED: Sw3Info(Sw3Kind.CARD, "读卡器认证证件失败，证件可能无效"),
    Sw3.VERIFY_FAILED: Sw3Info(Sw3Kind.CARD, "证件信息验证错误，证件可能无效"),
    Sw3.UNKNOWN_CARD_TYPE: Sw3Info(Sw3Kind.CARD, "无法识别的证件类型"),
    Sw3.READ_FAILED: Sw3Info(Sw3Kind.CARD, "读取证件失败，请重新放置证件"),
    Sw3.SAM_SELF_TEST_FAILED: Sw3Info(Sw3Kind.SAM, "安全模块自检失败"),
    Sw3.SAM_UNAUTHORISED: Sw3Info(Sw3Kind.SAM, "安全模块未经授权，无法使用"),
}

# Kept for the skeleton's callers and tests.
SW_OK, SW_FIND_OK, SW_FIND_FAILED = Sw3.OK, Sw3.FIND_OK, Sw3.FIND_FAILED
SW_SELECT_FAILED, SW_READ_FAILED = Sw3.SELECT_FAILED, Sw3.READ_FAILED
SW_CHECKSUM_ERROR, SW_LENGTH_ERROR, SW_BAD_COMMAND = (Sw3.CHECKSUM_ERROR, Sw3.LENGTH_ERROR,
                                                      Sw3.BAD_COMMAND)
SW3_MESSAGES: dict[int, str] = {int(code): info.message for code, info in SW3_INFO.items()}

# Smallest legal LEN is a command (CMD PARA CHK = 3); the largest reply we know of (text +
# photo + fingerprint, 30 10) is 2,314. Anything outside is line noise that happened to look
# like a preamble, and trusting it would make us wait for kilobytes that never come.
MIN_LEN = 3
MAX_LEN = 4096


def sw3_info(sw3: int) -> Sw3Info:
    try:
        return SW3_INFO[Sw3(sw3)]
    except ValueError:
        return Sw3Info(Sw3Kind.LINK, f"读卡器返回未知状态 0x{sw3:02X}")


def sw3_message(sw3: int) -> str:
    return sw3_info(sw3).message


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


class ProtocolError(Exception):
    """Base of every error the protocol and card-data parsers raise (and the only one)."""


class FrameError(ProtocolError):
    """A frame was recognised but is unusable; the decoder has already skipped past it."""


class ChecksumError(FrameError):
    pass


class LengthError(FrameError):
    pass


@dataclass(frozen=True)
class Reply:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def info(self) -> Sw3Info:
        return sw3_info(self.sw3)

    @property
    def message(self) -> str:
        return self.info.message

    @property
    def kind(self) -> Sw3Kind:
        return self.info.kind

    @property
    def status(self) -> Sw3 | None:
        """The typed status, or None for a code no published table knows."""
        try:
            return Sw3(self.sw3)
        except ValueError:
            return None


def parse_reply(payload: bytes) -> Reply:
    if len(payload) < 3:
        raise LengthError(f"reply payload of {len(payload)} bytes, need at least SW1 SW2 SW3")
    return Reply(payload[0], payload[1], payload[2], bytes(payload[3:]))


class FrameDecoder:
    """Incremental decoder: feed() any chunk of bytes, get back the payloads it completed.

    Errors do not interrupt decoding (one bad frame must not lose the good one behind it in the
    same chunk): they are collected and handed out by take_errors().
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._errors: list[FrameError] = []
        self.discarded = 0      # bytes dropped while hunting for a preamble (diagnostics)
        # The hunt for a complete frame inside an incomplete head frame (_skip_to_complete_frame)
        # is incremental: each preamble inside is found once and its frame checked once, when it
        # is complete. Re-scanning everything on every read made a 4 KB burst of preambles, read
        # a byte at a time, cost seconds (found by fuzzing, issue #12). The state belongs to the
        # current head frame: `_drops` counts front removals, and a new head starts a new hunt.
        self._drops = 0
        self._hunt_drops = -1
        self._hunt_scanned = 1
        self._hunt_headless: list[int] = []             # preambles whose LEN has not arrived yet
        self._hunt_waiting: list[tuple[int, int]] = []  # heap of (end, start) of incomplete frames

    @property
    def pending(self) -> int:
        """Bytes held back: a partial frame (or preamble) waiting for the rest."""
        return len(self._buf)

    def reset(self) -> None:
        """Forget any partial frame, e.g. after a reply timeout, so it cannot swallow the next."""
        self.discarded += len(self._buf)
        self._drop(len(self._buf))

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
                if self._skip_to_complete_frame():
                    continue
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
            self._drop(total)
        return payloads

    def _sync(self) -> bool:
        """Drop bytes before the first preamble. True if the buffer now starts with one."""
        idx = self._buf.find(PREAMBLE)
        if idx >= 0:
            self.discarded += idx
            self._drop(idx)
            return True
        # Keep a tail that may be the start of a preamble split across two reads.
        keep = 0
        for n in range(min(len(PREAMBLE) - 1, len(self._buf)), 0, -1):
            if self._buf.endswith(PREAMBLE[:n]):
                keep = n
                break
        self.discarded += len(self._buf) - keep
        self._drop(len(self._buf) - keep)
        return False

    def _skip_to_complete_frame(self) -> bool:
        """The frame at the head is still incomplete. If a complete, valid frame already
        follows inside it, the head was a truncated frame (or noise that looked like a header
        with a large LEN): drop it now rather than hold the good frame hostage until the
        caller's timeout. A false alarm needs a preamble *and* a matching checksum inside a
        real frame's data, which a 1 KB photo makes about a 1-in-10^11 event."""
        buf = self._buf
        if self._hunt_drops != self._drops:             # a new head frame: a new hunt
            self._hunt_drops, self._hunt_scanned = self._drops, 1
            self._hunt_headless, self._hunt_waiting = [], []
        # Preambles that arrived since the last look (one may straddle the old end).
        start = max(1, self._hunt_scanned - len(PREAMBLE) + 1)
        while (idx := buf.find(PREAMBLE, start)) >= 0:
            self._hunt_headless.append(idx)
            start = idx + 1
        self._hunt_scanned = len(buf)
        headless = []
        for idx in self._hunt_headless:
            if idx + HEADER_LEN > len(buf):
                headless.append(idx)
                continue
            length = int.from_bytes(buf[idx + 5:idx + 7], "big")
            if MIN_LEN <= length <= MAX_LEN:
                heapq.heappush(self._hunt_waiting, (idx + HEADER_LEN + length, idx))
        self._hunt_headless = headless
        # Frames complete now: the first valid one (lowest start) wins, as a rescan would find.
        valid = []
        while self._hunt_waiting and self._hunt_waiting[0][0] <= len(buf):
            end, idx = heapq.heappop(self._hunt_waiting)
            if checksum(buf[idx + 5:end - 1]) == buf[end - 1]:
                valid.append(idx)
        if not valid:
            return False
        idx = min(valid)
        self._errors.append(LengthError(f"frame cut short after {idx} bytes by the next frame"))
        self.discarded += idx
        self._drop(idx)
        return True

    def _skip_preamble(self) -> None:
        self.discarded += 1
        self._drop(1)

    def _drop(self, n: int) -> None:
        if n > 0:
            del self._buf[:n]
            self._drops += 1
