"""A finger on the screen for the autopilot (the demo, the soak and the memory bench).

The same as Kivy's `kivy.tests.common.UnitTestTouch` (MIT, Kivy authors), which the autopilot
used before: that module imports pytest and unittest (~80 modules) into the kiosk process,
so the memory bench measured a test framework a deployed terminal never loads."""
from __future__ import annotations

from kivy.base import EventLoop
from kivy.input.motionevent import MotionEvent


class Finger(MotionEvent):
    """touch = Finger(x, y); touch.touch_down(); touch.touch_move(x2, y2); touch.touch_up()
    -- window pixels, dispatched through the event loop as a real touch is."""

    def __init__(self, x: float, y: float):
        self.eventloop = EventLoop
        win = EventLoop.window
        super().__init__("Finger", 99, {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)},
                         is_touch=True, type_id="touch")
        self.profile = ["pos"]

    def touch_down(self, *_):
        self.eventloop.post_dispatch_input("begin", self)

    def touch_move(self, x: float, y: float):
        win = self.eventloop.window
        self.move({"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)})
        self.eventloop.post_dispatch_input("update", self)

    def touch_up(self, *_):
        self.eventloop.post_dispatch_input("end", self)

    def depack(self, args):
        self.sx, self.sy = args["x"], args["y"]      # ratios of the window, before depack uses them
        super().depack(args)
