"""drivers/scanner/degrade.py: the set is reproducible, large enough, and holds the payloads the
terminal sees; the degradations do what they say (checked on the pixels, not on the parameters)."""
import hashlib

import cv2
import numpy as np

from drivers.scanner import degrade
from drivers.scanner.synth import Look, render_frame
from kiosk.domain.payload import APPOINTMENT, BUSINESS_LICENCE, RECEIPT, scan_result


def digest(frame):
    return hashlib.sha256(frame.tobytes()).hexdigest()


def test_the_same_seed_gives_the_same_set_and_frames():
    a = list(degrade.items(2))
    b = list(degrade.items(2))
    assert [(x.name, x.payload, x.look, x.seed) for x in a] == [(x.name, x.payload, x.look, x.seed) for x in b]
    assert digest(a[3].frame()) == digest(b[3].frame())
    other = list(degrade.items(2, seed=degrade.SEED + 1))
    assert [x.payload for x in other] != [x.payload for x in a]


def test_at_least_400_camera_frames_over_every_degradation():
    items = list(degrade.items())
    assert len(items) >= 400
    assert {it.kind for it in items} == set(degrade.KINDS)
    assert items[0].frame().shape == (720, 1280, 3)


def test_payloads_are_the_kinds_the_terminal_reads():
    items = list(degrade.items(8))
    kinds = {it.payload_kind for it in items}
    assert set(degrade.PAYLOAD_KINDS) <= kinds
    for it in items:
        code = scan_result(it.payload)
        expected = {"receipt": RECEIPT, "appointment": APPOINTMENT, "uscc": BUSINESS_LICENCE,
                    "gsxt": BUSINESS_LICENCE, "gsxt-uscc": BUSINESS_LICENCE}.get(it.payload_kind)
        if expected:
            assert code.kind == expected, it.name
        if it.payload_kind == "gb18030":
            assert code.charset == "gb18030" and code.text == it.payload.decode("gb18030")


def test_small_codes_are_version_1_at_one_to_one_and_a_half_pixels_per_module():
    small = [it for it in degrade.items() if it.kind == "small"]
    for it in small:
        assert degrade.code_modules(it.payload, it.ec, it.alnum) == 21 + 8      # version 1 + quiet zone
    symbol_px = [it.look.code_px * 21 / 29 for it in small]
    assert min(symbol_px) <= 21.5 and max(symbol_px) <= 34


def test_the_set_is_not_what_zxing_cpp_alone_reads_easily():
    """The subset used in make test: zxing-cpp alone reads well under 80 % of it."""
    from drivers.scanner.decoders import ZxingDecoder
    frames = [(it, cv2.cvtColor(it.frame(), cv2.COLOR_BGR2GRAY)) for it in degrade.subset(8)]
    t = degrade.total(degrade.score_decoder(ZxingDecoder(), frames))
    assert t.exact / t.frames <= 0.8


def test_degradations_change_the_pixels_as_described():
    base = Look(code_px=300, clutter=False, bgr=False)
    payload = b"QY2026112800012X"
    clean = render_frame(payload, base)
    from dataclasses import replace
    glare = render_frame(payload, replace(base, glare=300, glare_size=0.2))
    assert (glare >= 250).sum() > (clean >= 250).sum() + 2000          # a saturated spot
    moire = render_frame(payload, replace(base, moire=0.5, moire_period=8))
    code = (slice(220, 500), slice(500, 780))                  # inside the code, frame centre
    assert np.abs(moire[code].astype(int) - clean[code]).mean() > 5
    motion = render_frame(payload, replace(base, motion=15, motion_angle=90))[code].astype(int)
    # Vertical motion smears rows into each other: vertical gradients drop, horizontal stay.
    gy = np.abs(np.diff(motion, axis=0)).mean()
    gx = np.abs(np.diff(motion, axis=1)).mean()
    still = clean[code].astype(int)
    assert gy < 0.8 * gx
    assert np.abs(np.diff(still, axis=0)).mean() > 0.9 * np.abs(np.diff(still, axis=1)).mean()
    thumb = render_frame(payload, replace(base, occlude=0.25, occlude_at=0))
    assert np.abs(thumb.astype(int) - clean).sum() > 0
