"""The simulated camera with nobody in front of it: the same frames as before, but it must not
hold a whole frame for the life of the process to make them (issue #15: 2.7 MB idle)."""
import tracemalloc

import cv2
import numpy as np

from drivers.scanner.simulator import SimulatedCamera


def empty_counter(w: int, h: int) -> np.ndarray:
    """The idle frame as it was built before: a left-to-right gradient, 70 to 150, grey BGR."""
    return cv2.cvtColor(np.tile(np.linspace(70, 150, w, dtype=np.uint8), (h, 1)), cv2.COLOR_GRAY2BGR)


def test_idle_frames_are_the_empty_counter_and_each_is_its_own():
    t = [0.0]
    cam = SimulatedCamera("", fps=15, size=(640, 480), clock=lambda: t[0], sleep=lambda s: t.__setitem__(0, t[0] + s))
    cam.open()
    first = cam.read()
    assert first.shape == (480, 640, 3) and first.dtype == np.uint8 and first.flags.c_contiguous
    assert np.array_equal(first, empty_counter(640, 480))
    first[:] = 0                                   # a consumer drawing on its frame...
    assert np.array_equal(cam.read(), empty_counter(640, 480))    # ...changes no later frame


def test_idle_camera_holds_no_frame():
    tracemalloc.start()
    try:
        cam = SimulatedCamera("", size=(1280, 720))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert cam.size == (1280, 720)
    assert held < 200_000, held                   # a 1280x720 BGR frame is 2 764 800 bytes
