"""Look and feel: one place for colours, sizes and the CJK font.

Sizes are for people who are often elderly: body text >= 26 sp, buttons >= 96 px high.
"""
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
FONT = ASSETS / "fonts" / "wqy-microhei.ttc"

PRIMARY = (0.08, 0.33, 0.68, 1)      # 政务蓝
PRIMARY_DARK = (0.05, 0.22, 0.48, 1)
ACCENT = (0.78, 0.12, 0.12, 1)       # for errors and the one most important number
OK_GREEN = (0.08, 0.47, 0.22, 1)     # 5.2:1 on BG (was 4.4:1: below WCAG AA for 26 sp text)
BG = (0.96, 0.97, 0.99, 1)
TEXT = (0.10, 0.12, 0.16, 1)
MUTED = (0.40, 0.44, 0.50, 1)
DISABLED = (0.75, 0.77, 0.80, 1)
HINT = (0.36, 0.39, 0.44, 1)         # placeholder text: 5.2:1 on an input's #eeeeee (Kivy's grey: 3.4:1)


def register_font() -> None:
    """Make the shipped CJK font every widget's default (Kivy has no font fallback)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase
    LabelBase.register(DEFAULT_FONT, str(FONT))
