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


# More than this between the terminal's clock and the hall's = the clock is wrong (no NTP): the
# heartbeat reports it, the console flags it. Below it, a terminal keeps its own time.
CLOCK_OFF_S = 300.0
# The hall's time replaces the local one (receipts, the card's validity) once they differ by more
# than this: well above the measurement's error on a LAN (a round trip of a few ms), well below
# anything a citizen would notice on a receipt printed to the second.
CORRECT_ABOVE_S = 2.0


class HallTime:
    """The hall's clock as last measured by the heartbeat, and a Clock that follows it.

    A measurement is the hall's `server_time` in a reply, taken to be the hall's time at the
    midpoint of the request (error at most half the round trip). It is kept as an anchor on the
    *monotonic* clock, so the hall's time stays right between heartbeats even if someone (or
    NTP) sets the local clock meanwhile. Thread-safe enough: one tuple is replaced atomically.
    """

    def __init__(self, local, correct_above_s: float = CORRECT_ABOVE_S):
        self._local = local
        self._correct_above = correct_above_s
        self._anchor: tuple[float, float] | None = None     # (hall epoch - monotonic, round trip)

    def measure(self, sent_mono: float, received_mono: float, hall_epoch: float) -> None:
        rtt = max(0.0, received_mono - sent_mono)
        self._anchor = (hall_epoch - (sent_mono + rtt / 2), rtt)

    def hall_now(self) -> float | None:
        a = self._anchor
        return None if a is None else self._local.monotonic() + a[0]

    def offset_s(self) -> float | None:
        """Hall minus local, seconds (negative: the terminal is fast); None before a measurement."""
        hall = self.hall_now()
        return None if hall is None else hall - self._local.now()

    def rtt_s(self) -> float | None:
        a = self._anchor
        return None if a is None else a[1]

    def is_off(self) -> bool:
        off = self.offset_s()
        return off is not None and abs(off) > CLOCK_OFF_S

    # -- kiosk.ports.Clock: what the controller stamps receipts and checks card validity with --
    def now(self) -> float:
        local = self._local.now()
        hall = self.hall_now()
        if hall is not None and abs(hall - local) > self._correct_above:
            return hall
        return local

    def monotonic(self) -> float:
        return self._local.monotonic()
