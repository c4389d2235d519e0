"""Image preparations a cascade step may apply before its decoder.

Each takes a 2-D uint8 image and returns (prepared image, factor, origin) -- a corner (x, y)
found in the prepared image is origin + factor * (x, y) in the original -- or None when it does
not apply (upscaling a frame that is already large). Which of these the camera pipeline uses, and in
what order, is decided by measurement: see docs/scanning.md and cascade.default_steps().
"""
from __future__ import annotations

import cv2
import numpy as np

Prepared = tuple[np.ndarray, "float | tuple[float, float]", tuple[int, int]]   # image, factor(s), origin
ORIGIN = (0, 0)

UPSCALE_MAX_SIDE = 1000   # upscaling only pays for small images (a still, a crop)
MIN_SIDE = 64             # below this a downscaled image has no code left to find


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Cameras deliver BGR; the decoders want one channel."""
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 1:
        return frame[:, :, 0]
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def as_is(gray: np.ndarray) -> Prepared:
    return gray, 1.0, ORIGIN


def half(gray: np.ndarray) -> Prepared | None:
    """Half size, area-averaged: fewer pixels, and print grain, JPEG noise and moiré from a
    phone screen average out of large codes."""
    if min(gray.shape) < 2 * MIN_SIDE:
        return None
    return cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), 2.0, ORIGIN


def double(gray: np.ndarray) -> Prepared | None:
    """Twice the size, bicubic: modules of 1-2 pixels become wide enough to sample."""
    if max(gray.shape) > UPSCALE_MAX_SIDE:
        return None
    return cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC), 0.5, ORIGIN


def centre_double(gray: np.ndarray) -> Prepared | None:
    """The middle of the frame -- where the screen's target frame asks people to hold the
    code -- at twice the size: a code held too far away has modules of 1-1.5 pixels, which
    no decoder samples reliably; the crop keeps the cost of a whole frame."""
    h, w = gray.shape
    if min(h, w) < 4 * MIN_SIDE:
        return None
    x0, y0 = w // 4, h // 4
    crop = gray[y0:y0 + h // 2, x0:x0 + w // 2]
    return cv2.resize(crop, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC), 0.5, (x0, y0)


def adaptive(gray: np.ndarray) -> Prepared:
    """Local mean threshold over about 1/16 of the image: uneven light (a glare band, a shadow
    across a phone) no longer pulls half of the code to one side of a global threshold.
    A Gaussian of 1 pixel first: on a faint code the sensor noise is as large as the gap
    between dark and light, and thresholding it raw speckles every module (degradation set:
    low contrast 27/40 -> 39/40, moire 13 -> 22)."""
    block = max(3, (min(gray.shape) // 16) | 1)
    smooth = cv2.GaussianBlur(gray, (0, 0), 1.0)
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 2), 1.0, ORIGIN


def inverted(gray: np.ndarray) -> Prepared:
    """Light modules on dark (phones in dark mode): zbar looks only for dark-on-light."""
    return cv2.bitwise_not(gray), 1.0, ORIGIN


PREPARATIONS = {"as_is": as_is, "half": half, "double": double, "centre_double": centre_double,
                "adaptive": adaptive, "inverted": inverted}


# -- preparations of a crop around a candidate (locate.py): cheap because the crop is small ----

CROP_MAX_SIDE = 480       # an upscaled crop is kept below this (time grows with the area)


def upscale_sharp(gray: np.ndarray) -> Prepared | None:
    """A code held too far away (1.2-2 pixels per module): Lanczos up to ~4x, then an unsharp
    mask so the modules get edges again. Bicubic alone leaves them too soft to binarise."""
    side = max(gray.shape)
    k = min(4.0, CROP_MAX_SIDE / side)
    if k < 1.5:
        return None
    big = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_LANCZOS4)
    soft = cv2.GaussianBlur(big, (0, 0), 0.6 * k)
    return cv2.addWeighted(big, 2.0, soft, -1.0, 0), 1.0 / k, ORIGIN


def deblurred(gray: np.ndarray) -> Prepared | None:
    """A code moved while the shutter was open: Wiener deconvolution along the blur the crop
    itself shows (deblur.py), at about 240-360 pixels a side (larger crops are halved)."""
    from .deblur import deblur_motion
    if max(gray.shape) > 800 or min(gray.shape) < 32:
        return None
    image, factor = deblur_motion(gray)
    return image, factor, ORIGIN


def deblurred_full(gray: np.ndarray) -> Prepared | None:
    """deblurred, at the crop's full size for crops of 360-560 px (deblur.deblur_motion_full)."""
    from .deblur import deblur_motion_full
    image = deblur_motion_full(gray)
    return None if image is None else (image, 1.0, ORIGIN)


def lowpass(gray: np.ndarray) -> Prepared:
    """A phone screen filmed: the screen's pixel grid beats with the camera's into fine bands
    across the modules; a Gaussian of ~2 pixels removes the bands and keeps modules of >= 5."""
    return cv2.GaussianBlur(gray, (0, 0), 2.0), 1.0, ORIGIN


def lowpass_wide(gray: np.ndarray) -> Prepared:
    """lowpass for the longer moire periods (10-14 pixels), on codes with modules of >= 8."""
    return cv2.GaussianBlur(gray, (0, 0), 3.5), 1.0, ORIGIN


def local_contrast(gray: np.ndarray) -> Prepared:
    """Glare and shadow on one code: contrast-limited histogram equalisation in 8x8 tiles, so a
    bright spot and the rest of the code each get their own threshold."""
    return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray), 1.0, ORIGIN


def adaptive_crop(gray: np.ndarray) -> Prepared:
    """Adaptive threshold with a window of ~1/8 of the crop (a few modules)."""
    block = max(3, (min(gray.shape) // 8) | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 1), 1.0, ORIGIN


def closed(gray: np.ndarray) -> Prepared:
    """Thin or broken strokes (a worn print, a crease, moire bands): a morphological closing of
    the dark modules -- on grey levels that is a 3x3 opening -- fills light gaps and specks
    inside them, so a broken module reads as one."""
    return cv2.morphologyEx(gray, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)), 1.0, ORIGIN


STRETCH = 1.4


def stretch_x(gray: np.ndarray) -> Prepared:
    """A code tilted away from the camera is foreshortened along one axis: its finder patterns
    no longer show the 1:1:3:1:1 run ratios zxing-cpp looks for across that axis. Stretching
    the crop back by 1.4 restores them for tilts of ~30-50 degrees (degradation set,
    perspective). Cheaper than locating the finder patterns to undo the perspective exactly."""
    return cv2.resize(gray, None, fx=STRETCH, fy=1.0, interpolation=cv2.INTER_CUBIC), (1 / STRETCH, 1.0), ORIGIN


def stretch_y(gray: np.ndarray) -> Prepared:
    """stretch_x along the other axis."""
    return cv2.resize(gray, None, fx=1.0, fy=STRETCH, interpolation=cv2.INTER_CUBIC), (1.0, 1 / STRETCH), ORIGIN


PREPARATIONS.update({"lowpass_wide": lowpass_wide, "stretch_x": stretch_x, "stretch_y": stretch_y, "upscale_sharp": upscale_sharp, "deblurred": deblurred, "lowpass": lowpass,
                     "local_contrast": local_contrast, "adaptive_crop": adaptive_crop, "closed": closed})
