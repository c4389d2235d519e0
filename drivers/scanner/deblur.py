"""Undoing motion blur on a crop around a code: estimate the blur's direction and length from
the image itself, then a Wiener deconvolution with that straight-line kernel.

A hand moving a phone smears every edge into a ramp of the same length in the same direction.
So (1) the gradient energy is lowest along the motion (edges across it are smeared flat), and
(2) along that direction the derivative of the image is the difference of two copies of the
sharp edges L pixels apart: its autocorrelation dips at lag L (Yitzhaky & Kopeika 1997).
"""
from __future__ import annotations

import cv2
import numpy as np

from .synth import motion_kernel

ANGLES = np.arange(0, 180, 7.5)
MIN_LENGTH, MAX_LENGTH = 3, 30
NOISE_TO_SIGNAL = 0.01       # Wiener's K: larger = smoother, fewer ringing artefacts


def estimate_motion(gray: np.ndarray) -> tuple[float, int]:
    """(direction in degrees, length in pixels) of the blur in `gray` (a crop around a code)."""
    f = gray.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    sxx, syy, sxy = float((gx * gx).mean()), float((gy * gy).mean()), float((gx * gy).mean())
    # Energy of the derivative along angle a: sxx cos^2 + syy sin^2 + 2 sxy sin cos; its minimum
    # is the structure tensor's smaller eigenvector, in closed form.
    angle = 0.5 * np.degrees(np.arctan2(2 * sxy, sxx - syy)) + 90.0
    # The code's own edges (mostly along its two axes) pull that estimate off by up to ~10
    # degrees; the autocorrelation dip is deepest along the true direction: refine by it.
    best = None
    for a in angle + REFINE:
        length, depth = _length(f, float(a % 180))
        if best is None or depth < best[2]:
            best = (float(a % 180), length, depth)
    return best[0], best[1]


REFINE = np.arange(-12, 12.1, 3.0)


def _length(f: np.ndarray, angle: float) -> tuple[int, float]:
    """The blur length along `angle`, and how deep the autocorrelation dips there (relative)."""
    h, w = f.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)     # motion direction -> x axis
    r = cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    y0, y1, x0, x1 = h // 4, 3 * h // 4, w // 4, 3 * w // 4      # away from rotated borders
    d = np.diff(r[y0:y1, x0:x1], axis=1)
    d -= d.mean(axis=1, keepdims=True)
    n = d.shape[1]
    spec = np.fft.rfft(d, n=2 * n, axis=1)
    ac = np.fft.irfft(spec * np.conj(spec), axis=1)[:, :n].sum(axis=0)
    hi = min(MAX_LENGTH, n - 1)
    if hi <= MIN_LENGTH or ac[0] <= 0:
        return MIN_LENGTH, 0.0
    i = int(np.argmin(ac[MIN_LENGTH:hi + 1]))
    return i + MIN_LENGTH, float(ac[MIN_LENGTH + i] / ac[0])


def wiener(gray: np.ndarray, psf: np.ndarray, k: float = NOISE_TO_SIGNAL) -> np.ndarray:
    """Wiener deconvolution of `gray` by `psf` (sum 1), edges tapered against ringing."""
    f = gray.astype(np.float32) / 255.0
    pad = max(psf.shape)
    f = cv2.copyMakeBorder(f, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    big = np.zeros_like(f)
    ky, kx = psf.shape
    big[:ky, :kx] = psf
    big = np.roll(big, (-(ky // 2), -(kx // 2)), axis=(0, 1))
    h = np.fft.rfft2(big)
    g = np.fft.rfft2(f)
    out = np.fft.irfft2(g * np.conj(h) / (np.abs(h) ** 2 + k), s=f.shape)
    out = out[pad:-pad, pad:-pad]
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


WORK_SIDE = 240      # crops are deblurred at about this size: the FFTs' time grows with area


def _halved(gray: np.ndarray) -> tuple[np.ndarray, float]:
    factor = 1.0
    while max(gray.shape) > 2 * WORK_SIDE * 0.75 and factor < 4:
        gray = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        factor *= 2
    return gray, factor


def deblur_motion(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """The crop deblurred, and the factor from its pixels back to the crop's. Large crops are
    halved first (area-averaged): modules of >= 8 pixels stay >= 4, and it is 4x faster."""
    work, factor = _halved(gray)
    angle, length = estimate_motion(work)
    return wiener(work, motion_kernel(max(2, length), angle)), factor


FULL_MAX_SIDE = 560          # a full-size Wiener of such a crop: ~20 ms CPU


def deblur_motion_full(gray: np.ndarray) -> np.ndarray | None:
    """A crop that deblur_motion halved, deblurred at full size with the blur estimated at half
    size: the length found there is a whole number of half-size pixels, so at full size it is
    off by up to a pixel, and at half size so is the kernel -- a blur of 11 px deblurred as 12
    leaves the modules smeared (degradation set, motion). None for crops deblur_motion does
    not halve (it already works at full size) or that are too large."""
    work, factor = _halved(gray)
    if factor != 2.0 or max(gray.shape) > FULL_MAX_SIDE:
        return None
    angle, length = estimate_motion(work)
    return wiener(gray, motion_kernel(max(2, length * factor), angle))
