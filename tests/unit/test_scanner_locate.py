"""locate.py (the gate), deblur.py, hint.py: on generated camera frames."""
import cv2
import numpy as np

from drivers.scanner.deblur import deblur_motion, estimate_motion
from drivers.scanner.decoders import ZxingDecoder
from drivers.scanner.hint import Hint, hint_for
from drivers.scanner.locate import Candidate, candidates, texture_candidates
from drivers.scanner.pipeline import ScanPipeline
from drivers.scanner.synth import Look, render_frame

PAYLOAD = "江苏省南京市玄武区中山路1号 便民服务中心".encode("utf-8")


def gray(frame):
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def test_a_code_is_a_candidate_and_hall_clutter_mostly_is_not():
    g = gray(render_frame(PAYLOAD, Look(code_px=260, center=(0.7, 0.4), motion=14, motion_angle=30)))
    found = texture_candidates(g)
    assert found and found[0].box[0] <= 0.7 * 1280 <= found[0].box[2] and found[0].box[1] <= 0.4 * 720 <= found[0].box[3]
    empty = sum(bool(texture_candidates(gray(render_frame(None, Look(noise=3), seed=s)))) for s in range(30))
    assert empty <= 8          # measured 12/100 on such frames; heavy steps run on those only


def test_symbols_zxing_located_but_could_not_decode_come_first():
    g = np.full((720, 1280), 128, np.uint8)
    quad = ((100.0, 100.0), (200.0, 100.0), (200.0, 200.0), (100.0, 200.0))
    c = candidates(g, [quad])
    assert c[0].source == "zxing" and c[0].box[0] < 100 < 200 < c[0].box[2]


def test_motion_blur_direction_and_length_are_estimated_and_undone():
    look = Look(code_px=300, motion=22, motion_angle=60, noise=2)
    g = gray(render_frame(PAYLOAD, look, seed=1))
    crop = np.ascontiguousarray(g[360 - 230:360 + 230, 640 - 230:640 + 230])
    angle, length = estimate_motion(crop)
    assert abs((angle - 60 + 90) % 180 - 90) < 8 and abs(length - 22) <= 2
    assert ZxingDecoder().decode(crop) == []
    sharp, factor = deblur_motion(crop)
    assert [c.data for c in ZxingDecoder().decode(sharp)] == [PAYLOAD]


def hint_of(look, payload=PAYLOAD, seed=1):
    scan = ScanPipeline().process(render_frame(payload, look, seed=seed))
    assert scan.codes == (), "the frame was meant to be unreadable"
    return scan.hint


def test_hints_tell_the_person_what_to_do():
    assert hint_of(Look(code_px=40)) == Hint.CLOSER
    assert hint_of(Look(code_px=300, motion=30, motion_angle=20)) == Hint.STEADIER
    assert hint_of(Look(code_px=300, defocus=8)) == Hint.STEADIER
    # A reflection: the modules in the middle of the code washed out to white.
    assert hint_of(Look(code_px=300, glare=400, glare_size=0.3)) == Hint.TILT
    faint = np.random.default_rng(0).integers(120, 150, (300, 300)).astype(np.uint8)
    assert hint_for(faint, Candidate((0, 0, 300, 300), "texture", 300.0)) == Hint.BRIGHTER


def test_no_hint_without_a_candidate():
    scan = ScanPipeline().process(np.full((720, 1280, 3), 128, np.uint8))
    assert scan.codes == () and scan.hint is None
