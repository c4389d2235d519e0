"""The signature value (kiosk/domain/signature.py): plausibility, bounds, and the PNG it writes,
decoded here with OpenCV (an independent PNG reader) and compared pixel by pixel with the strokes."""
import math
import time

import cv2
import numpy as np
import pytest

from kiosk.domain import signature as sigmod
from kiosk.domain.signature import (DOT, EMPTY, MAX_POINTS, MAX_STROKES, SHORT, TINY, Signature,
                                    encode_png_grey)
from screens.i18n import EN

W, H = 600, 200


def decode(png: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None, "OpenCV could not decode the PNG"
    return img


def name_like() -> Signature:
    """Two 'characters' of several strokes each, as a finger would write 张三."""
    zhang = [[(0.10, 0.30), (0.22, 0.30), (0.22, 0.50), (0.12, 0.50), (0.12, 0.75), (0.24, 0.75)],
             [(0.30, 0.25), (0.30, 0.80)],
             [(0.26, 0.45), (0.38, 0.45)]]
    san = [[(0.50, 0.30), (0.62, 0.30)], [(0.52, 0.52), (0.60, 0.52)], [(0.46, 0.78), (0.66, 0.78)]]
    return Signature(zhang + san)


def ink_mask(png: bytes) -> np.ndarray:
    return decode(png) < 128


def expected_near(strokes, width=W, height=H, radius=3.5) -> np.ndarray:
    """Pixels within `radius` of a stroke's centre line (computed here independently, with numpy)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    near = np.zeros((height, width), bool)
    for s in strokes:
        pts = [(x * (width - 1), y * (height - 1)) for x, y in s]
        if len(pts) == 1:
            pts = pts * 2
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            dx, dy = x1 - x0, y1 - y0
            L2 = dx * dx + dy * dy or 1e-9
            t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / L2, 0, 1)
            near |= (xx - (x0 + t * dx)) ** 2 + (yy - (y0 + t * dy)) ** 2 <= radius ** 2
    return near


# -- the PNG ---------------------------------------------------------------------------------

def test_png_is_greyscale_of_the_requested_size_and_small():
    sig = name_like()
    png = sig.to_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = decode(png)
    assert img.shape == (H, W) and img.dtype == np.uint8          # one channel, 8 bits
    assert set(np.unique(img)) == {0, 255}                         # black ink on white
    assert len(png) < 8000
    assert decode(sig.to_png(300, 120)).shape == (120, 300)


def test_ink_lies_on_the_strokes_and_nowhere_else():
    sig = name_like()
    ink = ink_mask(sig.to_png())
    near = expected_near(sig.strokes)
    assert ink.sum() > 1500                                        # a 4 px pen along ~500 px of strokes
    assert not (ink & ~near).any(), "ink away from every stroke"
    # every point of every stroke is inked, and the middle of every segment too
    for s in sig.strokes:
        for (x0, y0), (x1, y1) in zip(s, s[1:]):
            for t in (0.0, 0.5, 1.0):
                x, y = (x0 + t * (x1 - x0)) * (W - 1), (y0 + t * (y1 - y0)) * (H - 1)
                assert ink[round(y), round(x)], (x, y)


def test_horizontal_line_has_a_pen_3_to_5_pixels_thick_and_y_points_down():
    sig = Signature([[(0.2, 0.25), (0.8, 0.25)]])
    ink = ink_mask(sig.to_png())
    rows = np.flatnonzero(ink[:, W // 2])
    assert 3 <= len(rows) <= 5
    assert abs(rows.mean() - 0.25 * (H - 1)) <= 1                  # near the top: y grows downwards
    assert not ink[H // 2:].any()
    cols = np.flatnonzero(ink.any(axis=0))
    assert abs(cols.min() - 0.2 * (W - 1)) <= 3 and abs(cols.max() - 0.8 * (W - 1)) <= 3


def test_round_pen_at_a_dot_and_the_corners_of_the_image():
    sig = Signature([[(0.5, 0.5)], [(0.0, 0.0)], [(1.0, 1.0)]])
    ink = ink_mask(sig.to_png())
    assert ink[0, 0] and ink[H - 1, W - 1] and ink[round(0.5 * (H - 1)), round(0.5 * (W - 1))]
    # a round pen: the dot is as tall as it is wide, and its corners are blank
    ys, xs = np.nonzero(ink[80:120, 280:320])
    assert np.ptp(ys) == np.ptp(xs) and 2 <= np.ptp(ys) <= 4
    cy, cx = 80 + int(np.median(ys)), 280 + int(np.median(xs))
    assert not ink[cy - 2, cx - 2] and not ink[cy + 2, cx + 2]


@pytest.mark.parametrize("aspect, xs, ys", [
    (3.0, (0, W - 1), (0, H - 1)),              # the box has the image's shape: corner to corner
    (1.0, (199, 400), (0, H - 1)),             # a square box: centred, full height, white sides
    (6.0, (0, W - 1), (50, 150)),              # a very wide box: full width, white above and below
])
def test_the_box_keeps_its_shape_in_the_image(aspect, xs, ys):
    ink = ink_mask(Signature([[(0.0, 0.0), (1.0, 1.0)]], aspect=aspect).to_png())
    cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
    assert abs(cols.min() - xs[0]) <= 3 and abs(cols.max() - xs[1]) <= 3, (cols.min(), cols.max())
    assert abs(rows.min() - ys[0]) <= 3 and abs(rows.max() - ys[1]) <= 3, (rows.min(), rows.max())


def test_empty_signature_is_a_white_png():
    img = decode(Signature().to_png())
    assert (img == 255).all()


def test_a_different_signature_gives_a_different_image():
    a = ink_mask(name_like().to_png())
    b = ink_mask(Signature([[(0.1, 0.9), (0.9, 0.1)]]).to_png())
    assert (a != b).sum() > 1000


def test_encoder_rejects_nothing_and_matches_the_bits():
    rows = [0b101, 0, 0b10]
    img = decode(encode_png_grey(3, 3, rows))
    assert img.tolist() == [[0, 255, 0], [255, 255, 255], [255, 0, 255]]


# -- plausibility ----------------------------------------------------------------------------

def test_a_name_is_plausible():
    sig = name_like()
    assert sig.reason() is None and sig.is_plausible()


@pytest.mark.parametrize("strokes, reason", [
    ([], EMPTY),
    ([[]], EMPTY),                                                 # a stroke with no points
    ([[(0.5, 0.5)]], DOT),
    ([[(0.5, 0.5), (0.501, 0.502)], [(0.5, 0.5)]], DOT),           # two taps in the same place
    ([[(0.50, 0.50), (0.52, 0.55), (0.53, 0.50), (0.51, 0.46)]] * 3, TINY),
    ([[(0.2, 0.5), (0.35, 0.5)]], SHORT),                          # one short dash
])
def test_implausible_signatures_are_rejected_with_a_plain_chinese_message(strokes, reason):
    sig = Signature(strokes)
    assert sig.reason() == reason
    assert not sig.is_plausible()
    assert "请" in reason and reason in EN                          # says what to do; has English


def test_every_message_has_english():
    for msg in sigmod.REASONS:
        assert EN.get(msg, "").strip(), msg


def test_length_uses_the_box_aspect():
    # the same normalised dash is longer on a wide box than on a square one
    dash = [[(0.1, 0.5), (0.5, 0.5)]]
    assert Signature(dash, aspect=3).ink_length() == pytest.approx(1.2)
    assert Signature(dash, aspect=1).ink_length() == pytest.approx(0.4)
    assert Signature(dash, aspect=3).reason() is None
    assert Signature(dash, aspect=1).reason() == SHORT


# -- bounded, forgiving input ----------------------------------------------------------------

def test_points_outside_the_box_are_clamped():
    sig = Signature([[(-0.5, 0.5), (1.7, 0.5), (0.5, -3), (0.5, 9)]])
    assert sig.strokes == (((0.0, 0.5), (1.0, 0.5), (0.5, 0.0), (0.5, 1.0)),)
    ink = ink_mask(sig.to_png())
    assert ink[round(0.5 * (H - 1)), 0] and ink[round(0.5 * (H - 1)), W - 1]


def test_bad_points_are_dropped_not_raised():
    sig = Signature([[(0.1, 0.1), (math.nan, 0.2), ("x", 0.3), (0.3,), None, (math.inf, 0), (0.4, 0.4)],
                     None, "abc", 7, [[0.5, 0.5]]], aspect=math.nan)
    assert sig.strokes == (((0.1, 0.1), (0.4, 0.4)), ((0.5, 0.5),))
    assert sig.aspect == sigmod.DEFAULT_ASPECT


def test_long_input_is_cut_to_the_bounds_and_renders_quickly():
    rng = np.random.default_rng(7)
    big = [rng.random((MAX_POINTS + 500, 2)).tolist() for _ in range(MAX_STROKES + 10)]
    t0 = time.perf_counter()
    sig = Signature(big)
    assert len(sig.strokes) == MAX_STROKES
    assert all(len(s) == MAX_POINTS for s in sig.strokes)
    png = sig.to_png()                                             # worst case: full-width jumps
    assert time.perf_counter() - t0 < 5
    assert decode(png).shape == (H, W)


def test_value_semantics_and_no_points_in_repr():
    a, b = name_like(), name_like()
    assert a == b and hash(a) == hash(b)
    assert "0.1" not in repr(a) and "strokes" in repr(a)
    with pytest.raises(AttributeError):
        a.strokes = ()
