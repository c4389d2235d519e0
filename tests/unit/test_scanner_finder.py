"""finder.py: a finder pattern covered by a thumb is drawn back from the other two; and the
cascade's crop/finder step, which looks at twice the box zxing-cpp located."""
import cv2
import numpy as np

from drivers.scanner import degrade
from drivers.scanner.cascade import Cascade, Step, default_steps
from drivers.scanner.decoders import ZxingDecoder
from drivers.scanner.finder import FinderRestorer, finder_patterns, third_finder
from drivers.scanner.locate import Candidate
from drivers.scanner.pipeline import ScanPipeline
from drivers.scanner.synth import Look

PAYLOAD = b"https://zwfw.js.gov.cn/bmfw/item?id=5a3f91c2e07&t=2"
MODULE = 6


def code(payload=PAYLOAD, angle=7.0):
    """A code with 6 px modules, rotated a little, on a light background (quiet zone 4)."""
    img = degrade.make_code(payload, "M", module_px=MODULE)
    img = cv2.copyMakeBorder(img, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.GaussianBlur(cv2.warpAffine(img, m, (w, h), borderValue=255), (0, 0), 0.8), m


def thumb(img, m, corner_modules=(7, 7)):
    """A skin-grey ellipse over the finder at the top left (code coordinates -> image)."""
    out = img.copy()
    x, y = (40 + (4 + 3.5) * MODULE, 40 + (4 + 3.5) * MODULE)
    cx, cy = m @ np.array([x, y, 1.0])
    cv2.ellipse(out, (int(cx - 12), int(cy - 12)), (int(6.5 * MODULE), int(5.5 * MODULE)), 30, 0, 360, 165, -1)
    return out


def test_two_finders_fix_the_third_among_a_few_places():
    img, m = code()
    found = finder_patterns(img)
    assert len(found) == 3
    tl, tr, bl = sorted(found, key=lambda f: (f.y > img.shape[0] / 2, f.x))
    assert all(abs(f.module - MODULE) < 1.0 for f in found)
    for a, b, missing in ((tr, bl, tl), (tl, tr, bl), (tl, bl, tr)):
        places = [p for p, _ in third_finder(a, b)]
        assert min(np.hypot(*(p - [missing.x, missing.y])) for p in places) < 2 * MODULE


def test_a_thumb_over_a_finder_defeats_zxing_and_the_drawn_finder_reads_it():
    img, m = code()
    covered = thumb(img, m)
    assert ZxingDecoder().decode(img)[0].data == PAYLOAD          # the code itself is fine
    assert ZxingDecoder().decode(covered) == []                    # the thumb defeats zxing-cpp
    assert len(finder_patterns(covered)) == 2
    got = FinderRestorer().decode(covered)
    assert [c.data for c in got] == [PAYLOAD]


def test_nothing_is_drawn_without_exactly_two_finders():
    rng = np.random.default_rng(3)
    noise = cv2.GaussianBlur(rng.integers(0, 256, (300, 300)).astype(np.uint8), (0, 0), 2.0)
    assert FinderRestorer().decode(noise) == []
    img, m = code()
    cut = img.copy()
    cut[:, : img.shape[1] // 2] = 200           # half the code gone: one finder left
    assert len(finder_patterns(cut)) <= 1 and FinderRestorer().decode(cut) == []


def test_grown_candidate_box_stays_inside_the_frame():
    c = Candidate((10, 20, 110, 100), "zxing", 80.0)
    assert c.grown((720, 1280), 1.0) == c.box
    x0, y0, x1, y1 = c.grown((720, 1280), 2.0)
    assert (x0, y0, x1, y1) == (0, 0, 161, 161)       # centre (60, 60), half side 100, clipped
    assert c.grown((120, 130), 3.0) == (0, 0, 130, 120)


def test_the_cascade_reads_an_occluded_frame_only_through_crop_finder_and_confirms_it():
    """occlusion/003 of the degradation set (a gsxt link: no check character): every other step
    fails on it (docs/scanning.md)."""
    it = next(i for i in degrade.items(kinds=("occlusion",)) if i.name == "occlusion/003")
    g = cv2.cvtColor(it.frame(), cv2.COLOR_BGR2GRAY)
    without = ScanPipeline(Cascade([s for s in default_steps() if s.name != "crop/finder"], None))
    assert not without.process_still(g).codes
    pipeline = ScanPipeline(Cascade(default_steps(), None))
    first = pipeline.process_still(g)
    # A fallback's read of a payload with no check character waits for a second frame.
    assert not first.codes and [c.raw for c in first.pending] == [it.payload]
    assert first.result.step == "crop/finder"
    second = pipeline.process_still(cv2.cvtColor(it.frame(next_frame=1), cv2.COLOR_BGR2GRAY), next_frame=True)
    assert [c.raw for c in second.codes] == [it.payload] and second.confirmed_by == ("second frame",)


def test_crop_finder_is_a_gated_candidate_step():
    step = next(s for s in default_steps() if s.name == "crop/finder")
    assert isinstance(step, Step) and step.on == "candidate" and step.grow == 2.0
    assert isinstance(step.decoder, FinderRestorer)
