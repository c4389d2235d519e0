"""Touch -> next screen, from two logs the autopilot keeps (kept apart from it: no Kivy here, so
the pairing is unit-tested on its own)."""
from __future__ import annotations


def touches_to_screens(taps: list, shown: list) -> tuple[list, list]:
    """`taps`: (monotonic finger up, screen it was on), or (time, None) where something else acted (a
    card placed, a code shown, the idle timer left running). `shown`: (monotonic, screen) as screens were rendered or drawn.

    Returns (from screen, to screen, ms) for every touch that led to another screen: from the
    finger lifted to the first entry of `shown` naming another screen before the next touch or
    device event (only that is this touch's doing); and beside it each such touch's span (finger
    up, screen shown). All lists in time order."""
    out, spans, i = [], [], 0
    ends = [t for t, _ in taps[1:]] + [float("inf")]
    for (t_up, before), next_tap in zip(taps, ends):
        if before is None:          # not a touch: a card or a code (it only ends the last touch)
            continue
        while i < len(shown) and shown[i][0] < t_up:
            i += 1
        j = i
        while j < len(shown) and shown[j][0] < next_tap and shown[j][1] == before:
            j += 1
        if j < len(shown) and shown[j][0] < next_tap:
            out.append((before, shown[j][1], round((shown[j][0] - t_up) * 1000, 1)))
            spans.append((t_up, shown[j][0]))
    return out, spans
