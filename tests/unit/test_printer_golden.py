"""Golden bytes: every template at both widths, exactly as a printer receives them.

Native bytes are kept as files (tests/golden/printer/*.bin, small and diffable with `xxd`);
raster bytes (45-65 kB each) as SHA-256 digests. A change here is a change on paper: look at
the PNGs (`kiosk device print --template NAME --sample --out x.bin --png x.png`), then
regenerate with  UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_printer_golden.py
"""
import hashlib
import json
import os
from pathlib import Path

import pytest

from drivers.printer.escpos_render import render
from drivers.printer.samples import TEMPLATES, sample

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "printer"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
RASTER_DIGESTS = GOLDEN / "raster-sha256.json"


def _bytes(template: str, columns: int, mode: str) -> bytes:
    return render(sample(template, columns, mode), columns, text_mode=mode, qr_mode=mode)


@pytest.mark.parametrize("columns", [32, 48], ids=["58mm", "80mm"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_native_bytes_match_golden(template, columns):
    path = GOLDEN / f"{template}-{'58' if columns == 32 else '80'}mm-native.bin"
    data = _bytes(template, columns, "native")
    if UPDATE:
        path.write_bytes(data)
    assert path.exists(), f"{path.name} missing: run with UPDATE_GOLDEN=1"
    assert data == path.read_bytes()


def test_raster_bytes_match_golden_digests():
    digests = {f"{t}-{'58' if c == 32 else '80'}mm-raster": hashlib.sha256(_bytes(t, c, "raster")).hexdigest()
               for t in TEMPLATES for c in (32, 48)}
    if UPDATE:
        RASTER_DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    assert digests == json.loads(RASTER_DIGESTS.read_text())
