"""drivers/scanner/pipeline.Deduper: one event per code in view; a new code at once."""
import pytest

from drivers.scanner.pipeline import Deduper


class Clock:
    t = 100.0

    def __call__(self):
        return self.t


def test_same_code_in_view_is_reported_once_and_a_new_one_at_once():
    clock = Clock()
    d = Deduper(3.0, clock)
    assert d.is_new(b"A")
    for _ in range(50):             # held in front of the camera for 10 s, seen every 0.2 s
        clock.t += 0.2
        assert not d.is_new(b"A")
    assert d.is_new(b"B")           # another code: immediately
    assert not d.is_new(b"A")       # A was seen 0 s ago: still the same showing


def test_a_code_shown_again_after_the_window_is_new():
    clock = Clock()
    d = Deduper(3.0, clock)
    assert d.is_new(b"A")
    clock.t += 3.01
    assert d.is_new(b"A")
    clock.t += 2.9
    assert not d.is_new(b"A")


def test_keyed_on_bytes_not_text_and_clearable():
    clock = Clock()
    d = Deduper(3.0, clock)
    assert d.is_new("营业".encode("utf-8")) and d.is_new("营业".encode("gb18030"))
    d.clear()
    assert d.is_new("营业".encode("utf-8"))
    with pytest.raises(ValueError):
        Deduper(0, clock)
