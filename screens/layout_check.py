"""An automatic look at a screen: text that overflows its box, touch targets too small, text
too faint for its background.

Walks every widget under a root (Kivy thread only). Used by the autopilot after each
screenshot, so `make demo` and the e2e tests fail when a screen cuts text off, shrinks a
button below what an elderly user can hit, or draws text an elderly user cannot read.

Contrast (WCAG 2.x contrast ratio, 1.4.3): the text colour against the colour actually behind
the text's centre -- the widget's own box for buttons and inputs (background_color over their
background image), else the last fill (Rectangle, RoundedRectangle, BorderImage) drawn under
that point by the nearest ancestor's canvas, blended down through translucent fills onto the
Window's clear colour. The rule:
  * 4.5:1 for all text in 长者模式 (issue #7), and for normal-size text in standard mode;
  * 3:1 for large text in standard mode: >= 30 dp, or >= 24 dp bold (WCAG's 18 pt / 14 pt bold,
    scaled up because every body text here is already >= 24 dp, which WCAG would call large);
  * controls that are disabled are exempt (WCAG: inactive components); their reason is a label;
  * a fill with a texture (a picture) behind the text is not judged: its colour is not known.
"""
from __future__ import annotations

from kivy.core.window import Window
from kivy.graphics import Canvas, Color, Rectangle
from kivy.metrics import dp
from kivy.uix.button import Button, ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.relativelayout import RelativeLayout
from kivy.uix.textinput import TextInput

MIN_TARGET_DP = 60       # issue #7: touch targets >= 60x60 dp (the same in both modes here)
SLACK_PX = 2             # rounding of texture sizes
MIN_CONTRAST = 4.5       # WCAG 1.4.3 AA, and issue #7's 长者模式
MIN_CONTRAST_LARGE = 3.0
LARGE_DP, LARGE_BOLD_DP = 30, 24


def _visible(w) -> bool:
    node = w
    while node is not None and node is not node.parent:
        if getattr(node, "opacity", 1) == 0 or node.width <= 1 or node.height <= 1:
            return False
        node = node.parent
    return True


def _name(w) -> str:
    text = getattr(w, "text", "") or getattr(w, "hint_text", "")
    return f"{type(w).__name__}({text[:20]!r})"


def layout_problems(root, elder: bool | None = None) -> list[str]:
    """Overflowing text, small targets and low contrast under `root`. `elder`: 长者模式 rules
    (default: the running app's, i.e. its scale is above 1)."""
    if elder is None:
        from kivy.app import App
        app = App.get_running_app()
        elder = bool(app and getattr(app, "scale", 1.0) > 1.0)
    problems = []
    for w in root.walk(restrict=True):
        if isinstance(w, TextInput) and _visible(w):
            problems += contrast_problems(w, elder)
            continue
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
        problems += contrast_problems(w, elder)
    return problems


# -- contrast ------------------------------------------------------------------------------------

def contrast_ratio(fg, bg) -> float:
    """WCAG 2.x contrast ratio of two opaque RGB(A) colours (components 0..1)."""
    def lum(c):
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def required_contrast(w, elder: bool) -> float:
    size_dp = w.font_size / dp(1)
    large = size_dp >= LARGE_DP - 0.01 or (getattr(w, "bold", False) and size_dp >= LARGE_BOLD_DP - 0.01)
    return MIN_CONTRAST_LARGE if large and not elder else MIN_CONTRAST


def contrast_problems(w, elder: bool) -> list[str]:
    if w.disabled:
        return []
    if isinstance(w, TextInput):
        if not (w.text or w.hint_text):
            return []
        fg = w.foreground_color if w.text else w.hint_text_color
    else:
        fg = w.color
    if not in_view(w):
        return []                 # scrolled out of its list: judged when it is scrolled in
    bg = background_behind(w)
    if bg is None:
        return []
    fg = _over(fg, bg)
    ratio, need = contrast_ratio(fg, bg), required_contrast(w, elder)
    if ratio + 1e-6 >= need:
        return []
    return [f"{_name(w)} contrast {ratio:.2f}:1 < {need:g}:1 "
            f"(text {_hex(fg)} on {_hex(bg)}, {w.font_size / dp(1):.0f}dp{' bold' if getattr(w, 'bold', False) else ''})"]


def in_view(w) -> bool:
    """The centre of w is inside the window and inside every scrolling list it is in."""
    from kivy.uix.scrollview import ScrollView
    x, y = w.to_window(*w.center)
    if not (0 <= x <= Window.width and 0 <= y <= Window.height):
        return False
    node = w.parent
    while node is not None and node is not node.parent:
        if isinstance(node, ScrollView):
            left, bottom = node.to_window(*node.pos)
            if not (left <= x <= left + node.width and bottom <= y <= bottom + node.height):
                return False
        node = node.parent
    return True


def background_behind(w) -> tuple | None:
    """The opaque colour behind the centre of w's box, or None where a picture is behind it."""
    x, y = w.to_window(*w.center)
    layers = []
    node = w
    while node is not None:
        fill = _own_fill(node)
        if fill is None:              # the label's own canvas is its text: only its canvas.before
            fill = _canvas_fill(node, x, y, before_only=node is w)
        if fill == "picture":
            return None
        if fill is not None:
            layers.append(fill)
            if fill[3] >= 1:
                break
        if node is node.parent or node.parent is None:
            break
        node = node.parent
    colour = tuple(Window.clearcolor[:3]) + (1.0,)
    for fill in reversed(layers):
        colour = _over(fill, colour)
    return colour


def _own_fill(w):
    """Buttons and text inputs paint their own box: background_color over an image ('' = flat)."""
    if isinstance(w, Button):
        if w.disabled:
            src = w.background_disabled_down if w.state == "down" else w.background_disabled_normal
        else:
            src = w.background_down if w.state == "down" else w.background_normal
    elif isinstance(w, TextInput):
        src = (w.background_disabled_normal if w.disabled
               else w.background_active if w.focus else w.background_normal)
    else:
        return None
    tint = tuple(w.background_color)
    if not src:
        return tint
    base = _image_colour(src)
    return tuple(b * t for b, t in zip(base[:3], tint[:3])) + (tint[3] * base[3],)


_IMAGE_COLOURS: dict[str, tuple] = {}


def _image_colour(src: str) -> tuple:
    """The colour in the middle of a background image (Kivy's default button and input images)."""
    if src not in _IMAGE_COLOURS:
        from kivy.core.image import Image as CoreImage
        try:
            tex = CoreImage(src).texture
            data, (iw, ih) = tex.pixels, tex.size      # RGBA bytes of the (region of the) texture
            i = ((ih // 2) * iw + iw // 2) * 4          # the centre: what a BorderImage stretches
            _IMAGE_COLOURS[src] = tuple(v / 255 for v in data[i:i + 4])
        except Exception:
            _IMAGE_COLOURS[src] = (0.5, 0.5, 0.5, 1.0)
    return _IMAGE_COLOURS[src]


def _canvas_fill(node, x: float, y: float, before_only: bool = False):
    """The colour of the last fill under (x, y) in node's own canvas instructions (canvas.before,
    then canvas; children's canvases are theirs), 'picture' for a textured one, else None."""
    if isinstance(node, RelativeLayout):
        lx, ly = node.to_widget(x, y)            # its own instructions are drawn translated
    elif node.parent is not None and node.parent is not node:
        lx, ly = node.parent.to_widget(x, y)
    else:
        lx, ly = x, y
    colour, found = (1, 1, 1, 1), None
    groups = [node.canvas.before.children if node.canvas.has_before else []]
    if not before_only:
        groups.append(node.canvas.children)
    for children in groups:
        for ins in children:
            if isinstance(ins, Canvas):
                continue
            if isinstance(ins, Color):
                colour = tuple(ins.rgba)
            elif isinstance(ins, Rectangle):
                (px, py), (sw, sh) = ins.pos, ins.size
                if px <= lx <= px + sw and py <= ly <= py + sh and colour[3] > 0:
                    found = "picture" if ins.texture is not None and not _blank(ins) else colour
    return found


def _blank(ins) -> bool:
    """A plain Rectangle carries Kivy's default texture (flat white): that is a fill, not a picture."""
    return ins.texture is Rectangle().texture


def _over(top, bottom) -> tuple:
    a = top[3] if len(top) > 3 else 1.0
    return tuple(t * a + b * (1 - a) for t, b in zip(top[:3], bottom[:3])) + (1.0,)


def _hex(c) -> str:
    return "#" + "".join(f"{round(v * 255):02x}" for v in c[:3])
