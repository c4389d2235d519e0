"""The real clock; tests inject their own (see kiosk.ports.Clock)."""
import time


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()
