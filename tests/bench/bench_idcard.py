"""ID card path benchmarks (a script, not a pytest test; `make bench` runs it):

    .venv/bin/python tests/bench/bench_idcard.py [--placements N] [--idle-seconds S]

1. Card placed in the simulator -> identity event (on_card) through pyserial and a pty paced
   at 115200 baud, with the production poll interval (0.3 s). Reported:
     overhead = event - arrival of the FIND that saw the card
                - configured card latency (find + select + read)
                - wire time ((command + reply bytes of the three exchanges) x 10 / baud)
   i.e. everything the driver adds; target <= 20 ms median. The wait for the next poll
   (0 - 0.3 s, set by config) and the end-to-end time are printed beside it.
2. CPU of the idle poll loop (no card on the reader): the reader thread's own CPU time, from
   /proc (the simulator runs in this process too and is excluded); target < 1 % of one core.
3. FrameDecoder throughput, which must be far above the 11.5 KB/s of a 115200 baud line.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time

from drivers.idcard import ga467
from drivers.idcard.card_text import encode_card_text
from drivers.idcard.fixtures import FAKE_PHOTO, SAMPLE_CARD, SAMPLE_CARD_2
from drivers.idcard.read_data import build_read_data
from drivers.idcard.reader import SerialIdCardReader
from drivers.idcard.simulator import CardLatency, SamSimulator

BAUD = 115200
POLL = 0.3                      # config default (idcard.poll_interval_s)
# A SAM's radio work; a real text + photo read takes longer, which changes nothing here: it is
# subtracted like the wire time.
LATENCY = CardLatency(find=0.010, select=0.010, read=0.300)
# Bytes on the wire for find, select and read (command 10 B each; replies 15, 19, 1295 B).
EXCHANGE_BYTES = (10 + 15) + (10 + 19) + (10 + 1295)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_latency(placements: int) -> dict[str, list[float]]:
    sim = SamSimulator(baud=BAUD, latency=LATENCY)
    reader = SerialIdCardReader(sim.start(), baudrate=BAUD, poll_interval=POLL)
    got = threading.Event()
    stamp: list[float] = []

    def on_card(card) -> None:
        stamp.append(time.monotonic())
        got.set()

    reader.start(on_card, lambda status: None)
    fixed = LATENCY.find + LATENCY.select + LATENCY.read + sim.wire_time(EXCHANGE_BYTES)
    out: dict[str, list[float]] = {"overhead": [], "poll_wait": [], "total": []}
    try:
        time.sleep(0.5)
        for i in range(placements):
            got.clear()
            stamp.clear()
            sim.place_card(SAMPLE_CARD if i % 2 else SAMPLE_CARD_2)
            placed = sim.card_placed_at
            if not got.wait(5):
                raise SystemExit("no on_card within 5 s")
            found = sim.card_found_at
            out["overhead"].append(stamp[0] - found - fixed)
            out["poll_wait"].append(found - placed)
            out["total"].append(stamp[0] - placed)
            sim.remove_card()
            # Long enough for the reader to see the card gone, plus a random phase so the
            # next placement lands anywhere in the poll cycle.
            time.sleep(2.5 * POLL + random.uniform(0, POLL))
    finally:
        reader.stop()
        sim.stop()
    return out


def thread_cpu_seconds(native_id: int) -> float:
    """CPU time of one thread of this process (Linux /proc), ns resolution where available."""
    task = f"/proc/self/task/{native_id}"
    try:
        with open(f"{task}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        with open(f"{task}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_idle_cpu(seconds: float) -> tuple[float, float, int]:
    """(reader thread CPU %, whole process CPU %, exchanges per second) with no card."""
    sim = SamSimulator(baud=BAUD, latency=LATENCY)
    reader = SerialIdCardReader(sim.start(), baudrate=BAUD, poll_interval=POLL)
    reader.start(lambda card: None, lambda status: None)
    try:
        time.sleep(1.0)                     # past the start-up (SAM status, id, RF size)
        thread = next(t for t in threading.enumerate() if t.name == "idcard-reader")
        seen0, cpu0 = sim.commands_seen, thread_cpu_seconds(thread.native_id)
        proc0, wall0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        cpu1, proc1, wall1 = thread_cpu_seconds(thread.native_id), time.process_time(), \
            time.monotonic()
        rate = (sim.commands_seen - seen0) / (wall1 - wall0)
    finally:
        reader.stop()
        sim.stop()
    wall = wall1 - wall0
    return 100 * (cpu1 - cpu0) / wall, 100 * (proc1 - proc0) / wall, round(rate)


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--placements", type=int, default=30)
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    args = ap.parse_args()
    t_start = time.perf_counter()

    lat = {k: [v * 1000 for v in vs] for k, vs in bench_latency(args.placements).items()}
    wire_ms = EXCHANGE_BYTES * 10 / BAUD * 1000
    print(f"card placed -> on_card, {args.placements} placements, {BAUD} baud, {POLL} s poll")
    print(f"  subtracted: card latency {1000 * (LATENCY.find + LATENCY.select + LATENCY.read):.0f}"
          f" ms + wire time {wire_ms:.1f} ms ({EXCHANGE_BYTES} bytes x 10 / {BAUD})")
    print(f"  {'':<28} {'min':>8} {'median':>8} {'p95':>8} {'max':>8}   (ms)")
    for key, label in (("overhead", "overhead (target <= 20)"),
                       ("poll_wait", "wait for the next poll"), ("total", "end to end")):
        v = lat[key]
        print(f"  {label:<28} {min(v):8.1f} {statistics.median(v):8.1f} {pct(v, 95):8.1f} "
              f"{max(v):8.1f}")
    print()

    thread_pct, proc_pct, rate = bench_idle_cpu(args.idle_seconds)
    print(f"idle poll loop, no card, {args.idle_seconds:g} s at {POLL} s poll "
          f"({rate} commands/s)")
    print(f"  reader thread CPU: {thread_pct:.3f} % of one core (target < 1 %)")
    print(f"  whole process, simulator included: {proc_pct:.3f} %")
    print()

    read_frame = ga467.build_reply(ga467.Sw3.OK,
                                   build_read_data(encode_card_text(SAMPLE_CARD), FAKE_PHOTO))
    find_frame = ga467.build_reply(ga467.Sw3.FIND_OK, b"\x00\x00\x00\x00")
    line_rate = BAUD / 10 / 1e6
    print("FrameDecoder throughput (pure Python)")
    print(f"  {'frame':<16} {'chunk':>6} {'MB/s':>8} {'frames/s':>10} {'x line rate':>12}")
    for name, frame, count in (("read 1295 B", read_frame, 2000), ("find 15 B", find_frame,
                                                                   50000)):
        for chunk in (64, 4096):
            mbs, fps = bench_decoder(frame, count, chunk)
            print(f"  {name:<16} {chunk:>6} {mbs:8.2f} {fps:10.0f} {mbs / line_rate:12.0f}")
    print(f"\n(total {time.perf_counter() - t_start:.1f} s)")


if __name__ == "__main__":
    main()
