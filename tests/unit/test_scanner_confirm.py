"""drivers/scanner/confirm.py and the pipeline: a fallback's read is passed on only when confirmed."""
import datetime as dt

import numpy as np
import pytest

from drivers.scanner.cascade import Cascade, Step
from drivers.scanner.confirm import CHECKSUM, FIRST_STEP, SECOND_FRAME, SECOND_STEP, Confirmer
from drivers.scanner.decoders import RawCode
from drivers.scanner.pipeline import ScanPipeline
from kiosk.domain.application_no import make_application_no
from kiosk.domain.payload import scan_result

FRAME = np.zeros((720, 1280), np.uint8)
RECEIPT = make_application_no(dt.date(2026, 11, 28), 12)


def one_char_off(s: str) -> str:
    """The same number with one character changed: what a misread would give."""
    i = len(s) - 3
    return s[:i] + ("1" if s[i] != "1" else "2") + s[i + 1:]


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class Fixed:
    """A decoder that returns the same codes on every call (one per step here)."""

    def __init__(self, name, codes):
        self.name, self.codes = name, list(codes)

    def decode(self, gray):
        return list(self.codes)


def pipeline(primary=(), fallback=(), other=()):
    steps = [Step("zxing", Fixed("p", primary)), Step("fallback", Fixed("f", fallback)),
             Step("other", Fixed("o", other))]
    return ScanPipeline(Cascade(steps, None), Confirmer(2.0, Clock()))


def test_first_step_reads_are_accepted_at_once():
    scan = pipeline(primary=[RawCode(b"https://example.org/x")]).process(FRAME)
    assert [c.raw for c in scan.codes] == [b"https://example.org/x"] and scan.confirmed_by == (FIRST_STEP,)


def test_a_fallback_read_with_a_valid_check_character_is_accepted():
    scan = pipeline(fallback=[RawCode(RECEIPT.encode())]).process(FRAME)
    assert [c.text for c in scan.codes] == [RECEIPT] and scan.confirmed_by == (CHECKSUM,)


def test_a_misread_receipt_number_never_opens_someone_elses_progress():
    wrong = one_char_off(RECEIPT)
    p = pipeline(fallback=[RawCode(wrong.encode())])
    scan = p.process(FRAME)
    # The check character does not hold: not a receipt, not passed on, held as pending.
    assert scan.codes == () and [c.text for c in scan.pending] == [wrong]
    assert scan.pending[0].kind != "receipt"


def test_plain_text_from_a_fallback_waits_for_a_second_frame():
    p = pipeline(fallback=[RawCode("江苏省南京市".encode("gb18030"))])
    first = p.process(FRAME)
    assert first.codes == () and len(first.pending) == 1
    second = p.process(FRAME)
    assert [c.text for c in second.codes] == ["江苏省南京市"] and second.confirmed_by == (SECOND_FRAME,)


def test_the_second_frame_must_come_within_the_window():
    clock = Clock()
    steps = [Step("zxing", Fixed("p", [])), Step("fallback", Fixed("f", [RawCode(b"hello")]))]
    p = ScanPipeline(Cascade(steps, None), Confirmer(2.0, clock))
    assert p.process(FRAME).codes == ()
    clock.t += 2.5
    assert p.process(FRAME).codes == ()      # too late: starts over
    clock.t += 0.5
    assert [c.raw for c in p.process(FRAME).codes] == [b"hello"]


def test_a_still_is_confirmed_by_a_second_step_not_by_another_still():
    p = pipeline(fallback=[RawCode(b"hello")])
    assert p.process_still(FRAME).codes == ()
    assert p.process_still(FRAME).codes == ()        # unrelated stills never confirm each other
    both = pipeline(fallback=[RawCode(b"hello")], other=[RawCode(b"hello")])
    scan = both.process_still(FRAME)
    assert [c.raw for c in scan.codes] == [b"hello"] and scan.confirmed_by == (SECOND_STEP,)


def test_a_still_marked_as_the_next_frame_confirms():
    p = pipeline(fallback=[RawCode(b"hello")])
    assert p.process_still(FRAME).codes == ()
    assert [c.raw for c in p.process_still(FRAME, next_frame=True).codes] == [b"hello"]


def test_licence_with_a_valid_uscc_checks_itself_an_opaque_link_does_not():
    c = Confirmer(2.0, Clock())
    assert c.why_accepted(scan_result(b"91110000600037341L"), primary=False) == CHECKSUM
    assert c.why_accepted(scan_result(b"http://zj.gsxt.gov.cn/x?uniscid=91110000600037341L"), False) == CHECKSUM
    assert c.why_accepted(scan_result(b"https://www.gsxt.gov.cn/%7BabcDEF%7D"), False) == ""


def test_window_must_be_positive():
    with pytest.raises(ValueError):
        Confirmer(0)
