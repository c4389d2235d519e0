"""demoire.py: moire bands evened out along their direction (the crop/demoire step)."""
import cv2
import numpy as np

from drivers.scanner.cascade import default_steps
from drivers.scanner.decoders import ZxingDecoder
from drivers.scanner.demoire import PEAK_MIN, band, demoire
from drivers.scanner.synth import Look, render_frame
from tests.unit.degraded_crop import unread_crop

PAYLOAD = "浙江省杭州市西湖区文三路90号 王小明 社保卡补办".encode("gb18030")


def crop(look, payload=PAYLOAD, seed=5):
    g = cv2.cvtColor(render_frame(payload, look, seed=seed), cv2.COLOR_BGR2GRAY)
    cx, cy, r = int(look.center[0] * 1280), int(look.center[1] * 720), int(look.code_px * 0.7)
    return g[cy - r:cy + r, cx - r:cx + r]


def test_the_band_direction_and_period_are_found():
    for angle, period in ((30.0, 12.0), (120.0, 8.0), (165.0, 13.5)):
        g = crop(Look(code_px=260, angle=5, moire=0.6, moire_period=period, moire_angle=angle, blur=1.0,
                      noise=3, dark=40, light=220))
        direction, found_period, peak = band(g)
        assert abs(found_period - period) < 0.6
        assert min(abs(direction - angle) % 180, 180 - abs(direction - angle) % 180) < 4
        assert peak >= PEAK_MIN


def test_crops_without_bands_are_left_alone():
    assert demoire(crop(Look(code_px=260, angle=5, blur=1.0, noise=3))) is None
    hall = cv2.cvtColor(render_frame(None, Look(noise=3), seed=11), cv2.COLOR_BGR2GRAY)
    assert demoire(hall[200:500, 300:600]) is None
    assert demoire(np.full((60, 60), 128, np.uint8)) is None        # too small to hold a band


def test_evened_bands_read_where_the_crop_did_not():
    """moire/003 of the degradation set: bands of 13 px on modules of 7 px."""
    it, c = unread_crop("moire/003")
    assert ZxingDecoder().decode(c) == []
    assert ZxingDecoder().decode(cv2.GaussianBlur(c, (0, 0), 2.0)) == []      # what crop/lowpass does
    image, factor, origin = demoire(c)
    assert [x.data for x in ZxingDecoder().decode(image)] == [it.payload]
    assert image.shape == c.shape and (factor, origin) == (1.0, (0, 0))


def test_crop_demoire_is_in_the_cascade_behind_the_gate():
    step = next(s for s in default_steps() if s.name == "crop/demoire")
    assert step.on == "candidate" and step.prepare is demoire
