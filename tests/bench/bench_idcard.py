"""ID card path benchmarks (a script, not a pytest test):

    .venv/bin/python tests/bench/bench_idcard.py

1. place_card -> on_card latency through pyserial and a pty paced at 115200 baud, with the
   reader's production poll interval (0.3 s). Expected: poll wait (0-0.3 s) + find/select
   (~4 ms on the line) + read reply (~112 ms on the line).
2. FrameDecoder throughput on 1,295-byte read replies and 15-byte find replies, fed in
   serial-sized chunks: it must be far above the 11.5 KB/s a 115200 baud line delivers.
"""
from __future__ import annotations

import random
import statistics
import threading
import time

from drivers.idcard import ga467
from drivers.idcard.reader import SerialIdCardReader
from drivers.idcard.resident_text import build_read_data
from drivers.idcard.simulator import FAKE_PHOTO, SAMPLE_CARD, SamSimulator

PLACEMENTS = 20


def bench_latency() -> list[float]:
    sim = SamSimulator(baud=115200)
    reader = SerialIdCardReader(sim.start())       # production defaults: 115200, 0.3 s poll
    got = threading.Event()
    stamp: list[float] = []

    def on_card(card) -> None:
        stamp.append(time.perf_counter())
        got.set()

    reader.start(on_card, lambda status: None)
    samples = []
    try:
        time.sleep(0.5)
        for _ in range(PLACEMENTS):
            got.clear()
            stamp.clear()
            t0 = time.perf_counter()
            sim.place_card(SAMPLE_CARD)
            if not got.wait(3):
                raise SystemExit("no on_card within 3 s")
            samples.append(stamp[0] - t0)
            sim.remove_card()
            # Long enough for the reader to see the card gone, plus a random phase so the
            # next placement lands anywhere in the poll cycle.
            time.sleep(0.4 + random.uniform(0, 0.3))
    finally:
        reader.stop()
        sim.stop()
    return samples


def bench_decoder(frame: bytes, count: int, chunk: int) -> tuple[float, float]:
    """(MB/s, frames/s) decoding `count` frames fed `chunk` bytes at a time."""
    stream = frame * count
    chunks = [stream[i:i + chunk] for i in range(0, len(stream), chunk)]
    dec = ga467.FrameDecoder()
    t0 = time.perf_counter()
    n = 0
    for c in chunks:
        n += len(dec.feed(c))
    elapsed = time.perf_counter() - t0
    assert n == count and not dec.take_errors()
    return len(stream) / elapsed / 1e6, count / elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    t_start = time.perf_counter()
    lat = [s * 1000 for s in bench_latency()]
    print(f"place_card -> on_card, {len(lat)} placements, 115200 baud pacing, 0.3 s poll")
    print(f"  {'min':>8} {'median':>8} {'p95':>8} {'max':>8}   (ms)")
    print(f"  {min(lat):8.1f} {statistics.median(lat):8.1f} {pct(lat, 95):8.1f} {max(lat):8.1f}")
    print()

    read_frame = ga467.build_reply(ga467.SW_OK, build_read_data(SAMPLE_CARD, FAKE_PHOTO))
    find_frame = ga467.build_reply(ga467.SW_FIND_OK, b"\x00\x00\x00\x00")
    line_rate = 115200 / 10 / 1e6
    print("FrameDecoder throughput (pure Python)")
    print(f"  {'frame':<16} {'chunk':>6} {'MB/s':>8} {'frames/s':>10} {'x 115200 line':>14}")
    cases = (("read 1295 B", read_frame, 2000), ("find 15 B", find_frame, 50000))
    for name, frame, count in cases:
        for chunk in (64, 4096):
            mbs, fps = bench_decoder(frame, count, chunk)
            print(f"  {name:<16} {chunk:>6} {mbs:8.2f} {fps:10.0f} {mbs / line_rate:14.0f}")
    print(f"\n(total {time.perf_counter() - t_start:.1f} s)")


if __name__ == "__main__":
    main()
