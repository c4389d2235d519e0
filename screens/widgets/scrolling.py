"""Putting a list at a place of our choosing, so that it stays there.

A Kivy ScrollView keeps a scroll effect with its own position and speed; a fling or an overscroll
left in it from the last person (or the last visit's autopilot) moves the list again a few frames
after `scroll_y` was set: a new list opened scrolled past its end, blank (test_soak, 长者模式).
"""
from __future__ import annotations

from typing import Callable

from kivy.core.window import Window


def set_scroll_y(scroll, scroll_y: float) -> None:
    """scroll.scroll_y = scroll_y (0 bottom .. 1 top), the scroll effect stopped there too."""
    scroll_y = min(1.0, max(0.0, scroll_y))
    effect = scroll.effect_y
    if effect is not None:
        effect.velocity = 0
    scroll.scroll_y = scroll_y
    if effect is not None:
        effect.value = effect.max * scroll_y      # as ScrollView's own bounds update puts it


def after_next_frame(callback: Callable[[], None]) -> None:
    """callback() once the next frame has been drawn: everything is laid out by then (a label's
    text becomes a texture, then a size, then a layout, over a few clock ticks)."""
    def flipped(*_):
        Window.unbind(on_flip=flipped)
        callback()
    Window.bind(on_flip=flipped)


def scroll_when_drawn(scroll, where: Callable[[], float | None]) -> None:
    """The list at scroll_y = where() now and again once the frame is laid out (where() may answer
    None: leave it). Widgets built or changed this tick have no final place until then."""
    def place():
        target = where()
        if target is not None:
            set_scroll_y(scroll, target)
    place()
    after_next_frame(place)
