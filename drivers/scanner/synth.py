"""Camera frames with a QR code in them, as a phone or a paper held up to the kiosk would give.

The simulator's dev dock "shows" a code with these, and the tests and the benchmark build their
hard cases from them: the same code rotated, blurred, seen at an angle, faint, inverted (a
phone in dark mode), small in a 1280x720 frame of clutter. Payloads are bytes, so a code can
carry GB18030 as well as UTF-8 text (the qrcode package writes bytes in byte mode, no ECI).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_M

FRAME_SIZE = (1280, 720)


def code_image(payload: bytes, module_px: int = 8, border: int = 4,
               error_correction: int = ERROR_CORRECT_M) -> np.ndarray:
    """A clean grayscale QR code (0 = dark module, 255 = light), quiet zone included."""
    qr = qrcode.QRCode(error_correction=error_correction, box_size=1, border=border)
    qr.add_data(payload, optimize=0)    # one byte-mode segment: the bytes exactly as given
    qr.make(fit=True)
    modules = np.array(qr.get_matrix(), dtype=bool)
    img = np.where(modules, 0, 255).astype(np.uint8)
    return cv2.resize(img, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)


@dataclass(frozen=True)
class Look:
    """How the code appears to the camera. Defaults: a sharp, upright code in the middle."""
    code_px: int = 320            # side of the code (with quiet zone) in the frame
    angle: float = 0.0            # degrees, in the image plane
    tilt: float = 0.0             # 0..0.4: perspective, as if the top edge were further away
    blur: float = 0.0             # Gaussian sigma in pixels
    dark: int = 0                 # grey level of dark modules ...
    light: int = 255              # ... and of light ones (low contrast: e.g. 90 / 150)
    invert: bool = False          # light modules on dark (phone in dark mode)
    noise: float = 0.0            # sensor noise, sigma in grey levels
    motion: int = 0               # horizontal motion blur, in pixels (a hand moving)
    shade: float = 1.0            # light falls off across the frame to this fraction (a shadow)
    jpeg: int = 0                 # JPEG quality 1..100 (a camera's MJPG stream); 0 = none
    center: tuple[float, float] = (0.5, 0.5)   # where in the frame, as fractions
    clutter: bool = True          # a textured background rather than flat grey
    bgr: bool = True              # a 3-channel frame, as cameras deliver


def render_frame(payload: bytes | None, look: Look = Look(), frame_size: tuple[int, int] = FRAME_SIZE,
                 seed: int = 0) -> np.ndarray:
    """A whole camera frame (BGR unless look.bgr is False) showing `payload` as described;
    payload None: the scene with nobody holding up a code."""
    rng = np.random.default_rng(seed)
    w, h = frame_size
    frame = _background(w, h, rng) if look.clutter else np.full((h, w), 128, np.uint8)
    if payload is not None:
        frame = _place_code(frame, payload, look)
    return _camera_effects(frame, look, rng)


def _place_code(frame: np.ndarray, payload: bytes, look: Look) -> np.ndarray:
    h, w = frame.shape
    code = code_image(payload)
    lo, hi = (look.light, look.dark) if look.invert else (look.dark, look.light)
    code = (lo + (code.astype(np.float32) / 255.0) * (hi - lo)).astype(np.uint8)
    if 0 < look.code_px < code.shape[0]:
        # Shrink by area-averaging first, as a lens integrates light over each pixel; warping
        # straight from the large image would sample it and alias the modules.
        code = cv2.resize(code, (look.code_px, look.code_px), interpolation=cv2.INTER_AREA)
    src = np.float32([[0, 0], [code.shape[1], 0], [code.shape[1], code.shape[0]], [0, code.shape[0]]])
    dst = _corners(look, w, h)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(code, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    mask = cv2.warpPerspective(np.full(code.shape, 255, np.uint8), m, (w, h), flags=cv2.INTER_NEAREST)
    return np.where(mask > 0, warped, frame)


def _camera_effects(frame: np.ndarray, look: Look, rng: np.random.Generator) -> np.ndarray:
    h, w = frame.shape
    if look.shade != 1.0:
        ramp = np.linspace(1.0, look.shade, w, dtype=np.float32)[None, :]
        frame = (frame.astype(np.float32) * ramp).astype(np.uint8)
    if look.blur > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), look.blur)
    if look.motion > 1:
        kernel = np.full((1, look.motion), 1.0 / look.motion, np.float32)
        frame = cv2.filter2D(frame, -1, kernel)
    if look.noise > 0:
        frame = np.clip(frame + rng.normal(0, look.noise, frame.shape), 0, 255).astype(np.uint8)
    if look.jpeg:
        _, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, look.jpeg])
        frame = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if look.bgr else frame


def _corners(look: Look, w: int, h: int) -> np.ndarray:
    s = look.code_px / 2
    # A square, its top edge shortened for tilt, then rotated about its centre.
    pts = np.float32([[-s * (1 - look.tilt), -s], [s * (1 - look.tilt), -s], [s, s], [-s, s]])
    a = np.deg2rad(look.angle)
    rot = np.float32([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    cx, cy = look.center[0] * w, look.center[1] * h
    return (pts @ rot.T + np.float32([cx, cy])).astype(np.float32)


def _background(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """Hall lighting on a counter: a gradient, soft blobs and some hard edges (not a QR)."""
    x = np.linspace(0, 1, w, dtype=np.float32)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    img = 90 + 80 * x[None, :] * (0.6 + 0.4 * y)
    small = rng.normal(0, 25, (h // 40 + 1, w // 40 + 1)).astype(np.float32)
    img += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(6):   # edges of objects: a pen, a phone case, a sleeve
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(img, p1, p2, int(rng.integers(20, 230)), int(rng.integers(2, 12)))
    return img
