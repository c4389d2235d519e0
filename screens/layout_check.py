"""An automatic look at a screen: text that overflows its box, touch targets too small.

Walks every widget under a root (Kivy thread only). Used by the autopilot after each
screenshot, so `make demo` and the e2e tests fail when a screen cuts text off or shrinks a
button below what an elderly user can hit.
"""
from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.button import ButtonBehavior
from kivy.uix.label import Label

MIN_TARGET_DP = 60       # issue #7: touch targets >= 60x60 dp (the same in both modes here)
SLACK_PX = 2             # rounding of texture sizes


def _visible(w) -> bool:
    node = w
    while node is not None and node is not node.parent:
        if getattr(node, "opacity", 1) == 0 or node.width <= 1 or node.height <= 1:
            return False
        node = node.parent
    return True


def _name(w) -> str:
    text = getattr(w, "text", "")
    return f"{type(w).__name__}({text[:20]!r})"


def layout_problems(root) -> list[str]:
    problems = []
    for w in root.walk(restrict=True):
        if not isinstance(w, Label) or not w.text or not _visible(w):
            continue
        w.texture_update()
        tw, th = w.texture_size
        if w.text_size[0] is None and tw > w.width + SLACK_PX:
            problems.append(f"{_name(w)} text {tw:.0f}px wide in a {w.width:.0f}px box")
        if th > w.height + SLACK_PX:
            problems.append(f"{_name(w)} text {th:.0f}px tall in a {w.height:.0f}px box")
        if isinstance(w, ButtonBehavior) and not w.disabled:
            if w.height < dp(MIN_TARGET_DP) - SLACK_PX or w.width < dp(MIN_TARGET_DP) - SLACK_PX:
                problems.append(f"{_name(w)} touch target {w.width:.0f}x{w.height:.0f}px < {MIN_TARGET_DP}dp")
    return problems
