import datetime as dt

import pytest
from stdnum.iso7064 import mod_37_36

from kiosk.domain.application_no import application_no_date, is_valid_application_no, make_application_no

DAY = dt.date(2026, 11, 28)


def test_shape_and_check_character():
    no = make_application_no(DAY, 1)
    assert no.startswith("QY2026112800001") and len(no) == 16
    assert no[-1] == mod_37_36.calc_check_digit("QY2026112800001")
    assert is_valid_application_no(no)
    assert application_no_date(no) == DAY


@pytest.mark.parametrize("seq", [1, 2, 42, 9999, 99999])
def test_every_sequence_round_trips(seq):
    no = make_application_no(DAY, seq)
    assert int(no[10:15]) == seq and is_valid_application_no(no)


@pytest.mark.parametrize("seq", [0, -1, 100_000, True, 1.0, "1"])
def test_sequence_out_of_range_is_refused(seq):
    with pytest.raises(ValueError):
        make_application_no(DAY, seq)


def test_any_single_substitution_is_caught():
    no = make_application_no(DAY, 123)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i in range(2, len(no)):
        for c in alphabet:
            if c != no[i]:
                assert not is_valid_application_no(no[:i] + c + no[i + 1:]), (i, c)


def test_adjacent_transposition_is_caught():
    no = make_application_no(DAY, 12345)
    for i in range(2, len(no) - 1):
        if no[i] != no[i + 1]:
            swapped = no[:i] + no[i + 1] + no[i] + no[i + 2:]
            assert not is_valid_application_no(swapped), i


def _with_check(body: str) -> str:
    return body + mod_37_36.calc_check_digit(body)


@pytest.mark.parametrize("s", [
    "", "QY", "QY2026112800001", None, 2026112800001, b"QY2026112800001C",
    "qy2026112800001" + mod_37_36.calc_check_digit("QY2026112800001").lower(),   # receipts are upper case
    _with_check("QY2026113200001"),    # 32 November
    _with_check("QY2026022900001"),    # 2026 is not a leap year
    _with_check("QY2026112800000"),    # sequence 0 is never issued
    _with_check("XX2026112800001"),
    _with_check("QY20261128000001"),   # too long
    " " + make_application_no(DAY, 1),
    make_application_no(DAY, 1) + "\n",
    "QY٢٠٢٦١١٢٨٠٠٠٠١C",                # Arabic-Indic digits are not ASCII digits
    "https://example.com/QY2026112800001C",
])
def test_not_ours(s):
    assert not is_valid_application_no(s)


def test_date_of_an_invalid_number_raises():
    with pytest.raises(ValueError):
        application_no_date("QY2026112800001?")
