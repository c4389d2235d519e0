"""How a slip is rendered for one printer (RenderOptions), apart from the renderer itself.

Kept out of escpos_render.py so that building a printer at start (profiles.py, escpos_printer.py)
does not import python-escpos's printer classes, qrcode, python-barcode, PIL and pyusb: ~100
modules and ~3.5 MB the kiosk would hold idle (issue #15); escpos_render is imported on the first
slip instead.
"""
from __future__ import annotations

from dataclasses import dataclass

from drivers.printer import layout

TEXT_MODES = ("native", "raster")


@dataclass(frozen=True)
class RenderOptions:
    columns: int = 48                 # 48 for 80 mm, 32 for 58 mm
    text_mode: str = "native"         # native | raster
    qr_mode: str = "native"           # native | raster
    model: str = "default"            # python-escpos capability profile (cutter support)
    logo: str = ""                    # image file printed centred at the top; "" = none

    def __post_init__(self):
        if self.text_mode not in TEXT_MODES or self.qr_mode not in TEXT_MODES:
            raise ValueError(f"text and QR mode must be one of {TEXT_MODES}")
        if self.columns not in layout.COLUMNS_BY_PAPER_MM.values():
            raise ValueError(f"{self.columns} columns: use 32 (58 mm) or 48 (80 mm)")

    @property
    def paper_dots(self) -> int:
        return self.columns * layout.DOTS_PER_COLUMN
