"""Work-arounds for Kivy bugs that matter on a terminal that runs for weeks.

ScrollView (Kivy 2.3.1, kivy/uix/scrollview.py, update_from_scroll): every scroll update --
also every relayout of a list, which happens on each visit when a screen rebuilds its rows --
calls `self.fbind('bar_color', self._change_bar_color)`, and only the one trigger half a second
later calls `funbind` once. fbind does not deduplicate, so the bar_color observers of every
ScrollView grew by dozens of bound callbacks per customer visit, without end (found by the
100-visit soak: `make bench`, tests/bench/bench_kiosk_ui.py). Unbinding first keeps exactly one.
"""
from __future__ import annotations

from kivy.uix.scrollview import ScrollView

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    original = ScrollView.update_from_scroll

    def update_from_scroll(self, *largs):
        self.funbind("bar_color", self._change_bar_color)   # the call below binds it again, once
        return original(self, *largs)

    update_from_scroll.__doc__ = original.__doc__
    ScrollView.update_from_scroll = update_from_scroll
    _applied = True
