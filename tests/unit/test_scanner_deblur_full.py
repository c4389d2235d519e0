"""deblur.deblur_motion_full (the crop/deblur-full step): a halved crop's blur, undone at full size."""
import numpy as np

from drivers.scanner.cascade import default_steps
from drivers.scanner.deblur import FULL_MAX_SIDE, deblur_motion, deblur_motion_full
from drivers.scanner.decoders import ZxingDecoder
from tests.unit.degraded_crop import unread_crop


def test_only_crops_that_deblur_motion_halves_and_not_too_large():
    rng = np.random.default_rng(2)
    assert deblur_motion_full(rng.integers(0, 256, (300, 300)).astype(np.uint8)) is None      # not halved
    assert deblur_motion_full(rng.integers(0, 256, (FULL_MAX_SIDE + 20, 400)).astype(np.uint8)) is None
    out = deblur_motion_full(rng.integers(0, 256, (420, 400)).astype(np.uint8))
    assert out is not None and out.shape == (420, 400) and out.dtype == np.uint8


def test_a_blur_of_11_px_read_at_full_size_but_not_at_half():
    """motion/003 of the degradation set: 11 px at 10 degrees on a 266 px code."""
    it, crop = unread_crop("motion/003")
    half, factor = deblur_motion(crop)
    assert factor == 2.0 and ZxingDecoder().decode(half) == []
    assert [c.data for c in ZxingDecoder().decode(deblur_motion_full(crop))] == [it.payload]


def test_crop_deblur_full_follows_crop_deblur_behind_the_gate():
    names = [s.name for s in default_steps()]
    assert names.index("crop/deblur-full") == names.index("crop/deblur") + 1
    assert next(s for s in default_steps() if s.name == "crop/deblur-full").on == "candidate"
