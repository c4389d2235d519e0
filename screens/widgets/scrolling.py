"""Putting a list at a place of our choosing, so that it stays there.

A Kivy ScrollView keeps a scroll effect with its own position and speed; a fling or an overscroll
left in it from the last person (or the last visit's autopilot) moves the list again a few frames
after `scroll_y` was set: a new list opened scrolled past its end, blank (test_soak, 长者模式).
"""
from __future__ import annotations


def set_scroll_y(scroll, scroll_y: float) -> None:
    """scroll.scroll_y = scroll_y (0 bottom .. 1 top), the scroll effect stopped there too."""
    scroll_y = min(1.0, max(0.0, scroll_y))
    effect = scroll.effect_y
    if effect is not None:
        effect.velocity = 0
    scroll.scroll_y = scroll_y
    if effect is not None:
        effect.value = effect.max * scroll_y      # as ScrollView's own bounds update puts it
