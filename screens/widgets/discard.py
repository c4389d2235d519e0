"""Dropping widgets built at run time without leaving their bindings behind.

Kivy keeps, for every widget a kv rule was applied to, the bindings that rule made on other
objects (`font_size: sp(28) * app.scale` binds the app; `Builder._handlers[uid]`) until
`Builder.unbind_widget(uid)` is called, and it never calls it itself. A Spinner's DropDown binds
the Window's key and size events when it is made and never unbinds them. On a terminal that builds
form fields, material rows and guide texts every visit and runs for weeks, both pile up: callbacks
on the app and the window that point at dead widgets, and Builder's table of them. The memory
bench found 78 such bindings on the app per round of four visits (tests/e2e/test_soak.py).

Only for widgets that are dropped for good: a widget that is taken out and put back later (the
on-screen keyboard, kept matter tiles, 上一步/下一步) keeps its rules.
"""
from __future__ import annotations

from kivy.core.window import Window
from kivy.lang import Builder


def discard_children(parent) -> None:
    """`parent.clear_widgets()` for children that will not come back."""
    children = list(parent.children)
    parent.clear_widgets()
    for child in children:
        forget(child)


def forget(widget) -> None:
    """Unbind what kv rules (and a Spinner's list) bound for `widget` and everything inside it."""
    for w in widget.walk(restrict=True):
        Builder.unbind_widget(w.uid)
        dropdown = getattr(w, "_dropdown", None)          # a Spinner's own DropDown
        if dropdown is not None:
            Window.unbind(on_key_down=dropdown.on_key_down, size=dropdown._reposition)
            forget(dropdown)
