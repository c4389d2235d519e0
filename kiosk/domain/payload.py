"""What a scanned code says: its bytes as text, and which of our kinds of code it is.

Pure: no I/O, no OpenCV. The camera pipeline, the serial scanner and `kiosk device scan` all
end here, so a payload is read the same way whatever device saw it.

Text (issue #4, kiosk/domain/code_text.py): by the code's ECI when it declares one; otherwise UTF-8, then GB18030, then
Shift-JIS. A valid decoding is not proof of a right one -- nearly any byte string is "valid"
GB18030, and Shift-JIS half-width katakana pairs are valid GB2312 hanzi (ﾃﾞｻﾞｲﾝ reads as
棉晦草) -- so each candidate is scored for how plausible its characters are and the order
only breaks ties. When no candidate is plausible the text is None: wrong text is worse than
no text, and the screen then shows the escaped bytes instead of mojibake.

Kinds: our own receipts (受理编号, kiosk.domain.application_no), appointment codes (预约码),
电子营业执照 / business licence codes (统一社会信用代码, GB 32100 check via python-stdnum),
anything else is "unknown". A payload is only ever data: matched with anchored ASCII patterns
after a length cap, never evaluated, and shown through `preview()`, which escapes control and
bidi characters and truncates.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import parse_qsl, urlsplit

from stdnum.cn import uscc as _uscc

from kiosk.domain.application_no import is_valid_application_no
# The text half lives in code_text.py; re-exported: callers read a payload from one module.
from kiosk.domain.code_text import (ECI_BINARY, ECI_CODECS, DecodedText, Segment, decode_text,  # noqa: F401
                                    guess_text)
from kiosk.domain.message import Msg
from kiosk.domain.serial_no import APPOINTMENT as APPOINTMENT_NO

# -- what kind of code ---------------------------------------------------------------------------

BUSINESS_LICENCE = "business_licence"
RECEIPT = "receipt"
APPOINTMENT = "appointment"
UNKNOWN = "unknown"
KIND_NAMES = {BUSINESS_LICENCE: "营业执照", RECEIPT: "受理回执", APPOINTMENT: "预约码",
              UNKNOWN: "无法识别此二维码"}

# None of our kinds is longer than a URL; past this a payload is not even looked at.
MAX_CLASSIFY_CHARS = 2048
PREVIEW_CHARS = 48

# 电子营业执照 / business licence QR codes (docs/scanning.md has the sources and assumptions).
# The national system's codes are links into 国家企业信用信息公示系统, whose host is gsxt.gov.cn
# or a province under it (www., zj., bt., ...); the published ones carry an opaque, encrypted
# id (http://www.gsxt.gov.cn/%7B...%7D) and only some carry the code itself as `uniscid`. The
# app's dynamic code (refreshed every few minutes) has no public format. So: a gsxt link is a
# licence the hall resolves (POST /api/v1/identity/business-licence, ARCHITECTURE §6); when it
# names a 统一社会信用代码 that code must pass the GB 32100 check; a bare code is one too.
LICENCE_HOSTS = ("gsxt.gov.cn",)
_USCC_PARAMS = {"uniscid"}                 # compared lower-cased (uniScId, UNISCID, ...)
_USCC_SHAPE = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUWXY]{10}", re.ASCII)
_URL_SHAPE = re.compile(r"https?://[\x21-\x7e]{1,2040}", re.ASCII | re.IGNORECASE)

# 预约码 (appointment codes) our hall issues. No format exists elsewhere yet, so it mirrors the
# application number: YY + YYYYMMDD + 4-digit daily sequence + ISO 7064 Mod 37,36 check.
APPOINTMENT_PREFIX = APPOINTMENT_NO.prefix


@dataclass(frozen=True)
class Payload:
    kind: str                       # BUSINESS_LICENCE | RECEIPT | APPOINTMENT | UNKNOWN
    text: str | None                # the whole decoded text; None if it is not text
    preview: str                    # safe to show: escaped, truncated
    uscc: str = ""                  # business licence: the 统一社会信用代码 when the code has one
    application_no: str = ""        # receipt: our 受理编号
    appointment_no: str = ""        # appointment: the 预约码
    reason: str = ""                # unknown: why (for logs and the technician command)

    @property
    def message(self) -> str:
        """One line of plain Chinese for the screen (a Msg: English is looked up by template)."""
        if self.kind == BUSINESS_LICENCE:
            if self.uscc:
                return Msg(LICENCE_WITH_CODE, uscc=self.uscc)
            return Msg(LICENCE_OPAQUE)
        if self.kind == RECEIPT:
            return Msg(RECEIPT_SEEN, no=self.application_no)
        if self.kind == APPOINTMENT:
            return Msg(APPOINTMENT_SEEN, no=self.appointment_no)
        return Msg(UNKNOWN_CODE, preview=self.preview)


# What Payload.message says: the templates are the keys of the i18n catalogue (screens/i18n.py).
LICENCE_WITH_CODE = "已识别营业执照：{uscc}"
LICENCE_OPAQUE = "已识别营业执照，正在查询企业信息"
RECEIPT_SEEN = "已识别受理回执：{no}"
APPOINTMENT_SEEN = "已识别预约码：{no}"
UNKNOWN_CODE = "无法识别此二维码（内容：{preview}）"
MESSAGES = (LICENCE_WITH_CODE, LICENCE_OPAQUE, RECEIPT_SEEN, APPOINTMENT_SEEN, UNKNOWN_CODE)


def classify(decoded: DecodedText, raw: bytes) -> Payload:
    """Which of our kinds a decoded code is. Never raises, whatever the bytes."""
    text = decoded.text
    if text is None:
        return Payload(UNKNOWN, None, preview_bytes(raw), reason=decoded.reason or "not text")
    shown = preview(text)
    if len(text) > MAX_CLASSIFY_CHARS:
        return Payload(UNKNOWN, text, shown, reason=f"too long ({len(text)} characters)")
    # Codes generated by other systems sometimes end in a newline; nothing else is forgiven.
    s = text.strip(" \t\r\n")
    if is_valid_application_no(s):
        return Payload(RECEIPT, text, shown, application_no=s)
    if is_valid_appointment_no(s):
        return Payload(APPOINTMENT, text, shown, appointment_no=s)
    return _licence(s, text, shown)


def _licence(s: str, text: str, shown: str) -> Payload:
    if _USCC_SHAPE.fullmatch(s):
        if _uscc.is_valid(s):
            return Payload(BUSINESS_LICENCE, text, shown, uscc=s)
        return Payload(UNKNOWN, text, shown, reason="统一社会信用代码校验位不符")
    if not _URL_SHAPE.fullmatch(s):
        return Payload(UNKNOWN, text, shown, reason="not one of our kinds of code")
    try:
        url = urlsplit(s)
        host = url.hostname or ""
    except ValueError:          # e.g. a malformed IPv6 host: not a link we know
        return Payload(UNKNOWN, text, shown, reason="malformed link")
    if not any(host == h or host.endswith("." + h) for h in LICENCE_HOSTS):
        return Payload(UNKNOWN, text, shown, reason="link to a site we do not resolve")
    codes = [v for k, v in parse_qsl(url.query, keep_blank_values=True) if k.lower() in _USCC_PARAMS]
    if not codes:
        return Payload(BUSINESS_LICENCE, text, shown)       # opaque: the hall resolves it
    if len(set(codes)) == 1 and _USCC_SHAPE.fullmatch(codes[0]) and _uscc.is_valid(codes[0]):
        return Payload(BUSINESS_LICENCE, text, shown, uscc=codes[0])
    return Payload(UNKNOWN, text, shown, reason="统一社会信用代码校验位不符")


def is_valid_appointment_no(s: object) -> bool:
    return APPOINTMENT_NO.is_valid(s)


def make_appointment_no(date: dt.date, seq: int) -> str:
    """The `seq`-th appointment (1-based) for `date`, e.g. YY202611280001 + check."""
    return APPOINTMENT_NO.make(date, seq)


# -- showing a payload -------------------------------------------------------------------------

# Characters that must never reach a label as themselves: controls, bidi overrides and other
# invisible format characters (U+202E would turn the rest of the line around), line and
# paragraph separators, private-use, unassigned and lone surrogates.
_HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"}
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The text as plain, visible, one-line characters, at most `limit` of them (+ "…").

    Markup and SQL are left as the characters they are: the caller shows this as plain text
    (a Kivy Label with markup off) and never builds a query from it."""
    out = []
    for c in text[:limit]:
        if c in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[c])
        elif unicodedata.category(c) in _HIDDEN:
            o = ord(c)
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
        else:
            out.append(c)
    return "".join(out) + ("…" if len(text) > limit else "")


def preview_bytes(raw: bytes, limit: int = PREVIEW_CHARS) -> str:
    """Bytes that are not text: printable ASCII as is, everything else as \\xNN."""
    out = []
    for b in raw[:limit]:
        c = chr(b)
        out.append(_SHORT_ESCAPES.get(c) or (c if 0x20 <= b < 0x7F else f"\\x{b:02x}"))
    return "".join(out) + ("…" if len(raw) > limit else "")


# -- a scan, as the scanners report it ---------------------------------------------------------

@dataclass(frozen=True)
class ScannedCode:
    """One code seen by a scanner: what CodeScanner.start's on_code receives."""
    raw: bytes                      # the symbol's bytes exactly
    text: str | None                # decoded text; None when it is not text (see payload.reason)
    charset: str                    # how the text was decoded: "eci:26", "utf-8", "gb18030", ...
    payload: Payload                # kind and fields
    source: str                     # which scanner step read it: "zxing", "zbar/half", "serial"
    ms: float = 0.0                 # decoding time for this frame or line

    @property
    def kind(self) -> str:
        return self.payload.kind


def scan_result(raw: bytes, segments: Sequence[Segment] | None = None, source: str = "",
                ms: float = 0.0) -> ScannedCode:
    """Bytes from a decoder (with the ECI pieces it saw, if any) -> a classified scan."""
    decoded = decode_text(raw, segments)
    return ScannedCode(raw, decoded.text, decoded.charset, classify(decoded, raw), source, ms)
