"""Touch -> next screen pairing (screens/touch_log.py): which screen change a touch caused."""
from screens.touch_log import touches_to_screens


def test_a_touch_is_timed_to_the_first_other_screen_shown():
    taps = [(1.0, "home"), (3.0, "matters")]
    shown = [(0.5, "home"), (1.08, "home"), (1.12, "matters"), (3.05, "guide")]
    pairs, spans = touches_to_screens(taps, shown)
    assert pairs == [("home", "matters", 120.0), ("matters", "guide", 50.0)]
    assert spans == [(1.0, 1.12), (3.0, 3.05)]


def test_a_touch_that_changes_no_screen_before_the_next_counts_for_nothing():
    taps = [(1.0, "form"), (2.0, "form"), (4.0, "form")]         # keys on the form's keyboard
    shown = [(0.5, "form"), (2.5, "form"), (4.03, "materials")]
    pairs, _ = touches_to_screens(taps, shown)
    assert pairs == [("form", "materials", 30.0)]


def test_a_screen_a_device_brought_is_not_the_last_touchs_doing():
    # 企业信用报告: the touch asks for the licence QR (same screen); the report appears when the
    # code is shown to the camera, seconds later: no touch took 2.6 s
    taps = [(1.0, "credit"), (3.0, None), (6.0, "credit_report")]
    shown = [(0.5, "credit"), (1.05, "credit"), (3.6, "credit_report"), (6.02, "credit")]
    pairs, spans = touches_to_screens(taps, shown)
    assert pairs == [("credit_report", "credit", 20.0)]
    assert spans == [(6.0, 6.02)]


def test_nothing_shown_after_the_last_touch_leaves_it_out():
    assert touches_to_screens([(1.0, "thanks")], [(0.5, "thanks")]) == ([], [])
