"""The real clock; tests inject their own (see kiosk.ports.Clock)."""
import datetime as dt
import time
from zoneinfo import ZoneInfo

# Halls are in China: screens and receipts show China time whatever the machine's zone is
# (the hall sends +08:00 too), so a receipt and the progress timeline always agree.
CHINA = ZoneInfo("Asia/Shanghai")


def china_time(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, CHINA)


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()
