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
    # Effects of the degradation set (degrade.py); each off by default.
    motion_angle: float = 0.0     # direction of the motion blur, degrees
    defocus: float = 0.0          # out of focus: radius of the lens's blur disk, pixels
    glare: float = 0.0            # a lamp's reflection: grey levels added at its centre
    glare_at: tuple[float, float] = (0.5, 0.5)   # ... where on the code (fractions of its side)
    glare_size: float = 0.2       # ... its radius, as a fraction of the code's side
    occlude: float = 0.0          # a thumb over the code's edge: how far in (fraction of side)
    occlude_at: float = 0.0       # ... which edge, degrees round the code (0 = right, 90 = bottom)
    moire: float = 0.0            # a phone screen filmed: depth of the interference bands 0..1
    moire_period: float = 9.0     # ... their period in pixels
    moire_angle: float = 20.0     # ... their direction, degrees


def render_frame(payload: bytes | None, look: Look = Look(), frame_size: tuple[int, int] = FRAME_SIZE,
                 seed: int = 0, code: np.ndarray | None = None) -> np.ndarray:
    """A whole camera frame (BGR unless look.bgr is False) showing `payload` as described;
    payload None: the scene with nobody holding up a code. `code`: a clean code image made
    elsewhere (another error-correction level or encoding mode) instead of code_image(payload)."""
    rng = np.random.default_rng(seed)
    w, h = frame_size
    frame = _background(w, h, rng) if look.clutter else np.full((h, w), 128, np.uint8)
    if payload is not None or code is not None:
        frame = _place_code(frame, code if code is not None else code_image(payload), look)
    return _camera_effects(frame, look, rng)


def _place_code(frame: np.ndarray, code: np.ndarray, look: Look) -> np.ndarray:
    h, w = frame.shape
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
    if look.moire > 0:
        warped = _moire(warped, look)
    frame = np.where(mask > 0, warped, frame)
    if look.occlude > 0:
        frame = _thumb(frame, dst, look)
    if look.glare > 0:
        frame = _glare(frame, dst, look)
    return frame


def _moire(img: np.ndarray, look: Look) -> np.ndarray:
    """A screen's pixel grid beating against the camera's: bands of brighter and darker across
    the code, plus the grid itself as a fine ripple."""
    h, w = img.shape
    a = np.deg2rad(look.moire_angle)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = xx * np.cos(a) + yy * np.sin(a)
    bands = 1.0 + look.moire * np.sin(2 * np.pi * u / look.moire_period)
    ripple = 1.0 + 0.25 * look.moire * np.sin(2 * np.pi * xx / 2.5) * np.sin(2 * np.pi * yy / 2.5)
    return np.clip(img.astype(np.float32) * bands * ripple, 0, 255).astype(np.uint8)


def _code_frame(dst: np.ndarray):
    centre = dst.mean(axis=0)
    side = float(np.linalg.norm(dst[1] - dst[0]) + np.linalg.norm(dst[2] - dst[1])) / 2
    return centre, side


def _thumb(frame: np.ndarray, dst: np.ndarray, look: Look) -> np.ndarray:
    """A thumb over one edge of the code: a soft-edged ellipse of skin grey."""
    centre, side = _code_frame(dst)
    a = np.deg2rad(look.occlude_at)
    direction = np.float32([np.cos(a), np.sin(a)])
    # The ellipse's inner edge reaches `occlude` of the side into the code.
    semi_minor, semi_major = side * 0.35, side * 0.22
    cx, cy = centre + direction * (side / 2 - look.occlude * side + semi_minor)
    mask = np.zeros(frame.shape, np.float32)
    cv2.ellipse(mask, (int(cx), int(cy)), (int(semi_minor), int(semi_major)), look.occlude_at, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, side * 0.02))
    skin = 165.0
    return (frame * (1 - mask) + skin * mask).astype(np.uint8)


def _glare(frame: np.ndarray, dst: np.ndarray, look: Look) -> np.ndarray:
    """A lamp reflected in a phone's glass: a bright spot that saturates the sensor."""
    centre, side = _code_frame(dst)
    src = np.float32([[0, 0], [1, 0], [1, 1], [0, 1]])
    gx, gy = cv2.perspectiveTransform(np.float32([[look.glare_at]]), cv2.getPerspectiveTransform(src, dst))[0, 0]
    h, w = frame.shape
    r = max(2.0, look.glare_size * side)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = look.glare * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))
    return np.clip(frame.astype(np.float32) + spot, 0, 255).astype(np.uint8)


def _camera_effects(frame: np.ndarray, look: Look, rng: np.random.Generator) -> np.ndarray:
    h, w = frame.shape
    if look.shade != 1.0:
        ramp = np.linspace(1.0, look.shade, w, dtype=np.float32)[None, :]
        frame = (frame.astype(np.float32) * ramp).astype(np.uint8)
    if look.blur > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), look.blur)
    if look.defocus > 0:
        frame = cv2.filter2D(frame, -1, disk_kernel(look.defocus))
    if look.motion > 1:
        frame = cv2.filter2D(frame, -1, motion_kernel(look.motion, look.motion_angle))
    if look.noise > 0:
        frame = np.clip(frame + rng.normal(0, look.noise, frame.shape), 0, 255).astype(np.uint8)
    if look.jpeg:
        _, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, look.jpeg])
        frame = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if look.bgr else frame


def motion_kernel(length: float, angle: float = 0.0) -> np.ndarray:
    """A straight-line blur of `length` pixels in direction `angle` (degrees), sum 1."""
    if angle == 0 and float(length).is_integer():
        return np.full((1, int(length)), 1.0 / length, np.float32)
    n = int(np.ceil(length)) | 1
    k = np.zeros((n, n), np.float32)
    c = n // 2
    a = np.deg2rad(angle)
    dx, dy = np.cos(a) * (length - 1) / 2, np.sin(a) * (length - 1) / 2
    cv2.line(k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1)
    return k / k.sum()


def disk_kernel(radius: float) -> np.ndarray:
    """A lens out of focus: a uniform disk, sum 1."""
    n = int(np.ceil(radius)) * 2 + 1
    yy, xx = np.mgrid[0:n, 0:n] - n // 2
    k = (xx * xx + yy * yy <= radius * radius + 0.5).astype(np.float32)
    return k / k.sum()


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
