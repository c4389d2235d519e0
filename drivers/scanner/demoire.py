"""A phone screen filmed: take out the moire bands by evening the light along them.

The screen's pixel grid beating against the camera's lays bands of brighter and darker across
the code -- a sinusoid of 5-14 px period multiplying the picture by as little as 0.3 and as much
as 1.7, so a light module in a dark band is darker than a dark one in a light band. No global
or square-window threshold separates them, and a low-pass that smooths the bands away (crop/
lowpass) smooths the modules too once the period reaches their size.

But the bands are straight: along a band the light is the same, while the modules alternate.
So the mean along a line running with the band, some 40 px long, is the band's brightness there
times the code's mean grey, and dividing by it evens the bands out and leaves the modules. Only
the band's direction is needed, not its exact period or phase: the strongest peak of the crop's
spectrum at periods of 4.5-15 px. A crop with no such peak (a code without moire, a hall scene)
is left alone, so the step costs one FFT there.
"""
from __future__ import annotations

import cv2
import numpy as np

from .preprocess import ORIGIN, Prepared
from .synth import motion_kernel

PERIODS = (4.5, 15.5)       # px: the bands a screen gives at the distances a phone is held
PEAK_MIN = 70.0             # band peak / median of the annulus: moire crops 145-350, codes
                            # without moire 7-66 (motion and defocus up to 240: harmless), hall 9-41
LINE = 41                   # px along the band: several modules, so their mean is the code's mean
MAX_SIDE = 800


def band(gray: np.ndarray) -> tuple[float, float, float]:
    """(direction of the band's wave in degrees, its period in px, peak strength)."""
    h, w = gray.shape
    f = gray.astype(np.float32)
    f -= f.mean()
    f *= np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)   # no edge of the crop in it
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(f)))
    fy = (np.arange(h) - h // 2)[:, None] / h
    fx = (np.arange(w) - w // 2)[None, :] / w
    r = np.hypot(fx, fy)
    annulus = (r > 1 / PERIODS[1]) & (r < 1 / PERIODS[0])
    if not annulus.any():
        return 0.0, 0.0, 0.0
    spectrum[~annulus] = 0
    y, x = np.unravel_index(int(np.argmax(spectrum)), spectrum.shape)
    floor = float(np.median(spectrum[annulus])) + 1e-6
    return float(np.degrees(np.arctan2(fy[y, 0], fx[0, x]))), float(1 / r[y, x]), float(spectrum[y, x] / floor)


def demoire(gray: np.ndarray) -> Prepared | None:
    """The crop divided by its mean along the moire bands; None when it shows no bands."""
    if max(gray.shape) > MAX_SIDE or min(gray.shape) < 2 * LINE:
        return None
    direction, _, peak = band(gray)
    if peak < PEAK_MIN:
        return None
    along = motion_kernel(LINE, direction + 90)            # a line running with the band
    light = gray.astype(np.float32) + 1
    mean = cv2.filter2D(light, -1, along, borderType=cv2.BORDER_REFLECT)
    even = light / mean * float(mean.mean())
    return np.clip(even, 0, 255).astype(np.uint8), 1.0, ORIGIN
