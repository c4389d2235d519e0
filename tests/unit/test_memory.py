"""kiosk.memory: the smaps breakdown the soak benchmark prints, and the malloc_trim helper."""
import sys
import time

import pytest

from kiosk import memory

SMAPS = """\
55d000000000-55d000100000 r-xp 00000000 08:01 123 /usr/bin/python3.11
Rss:                 400 kB
Swap:                  0 kB
55d001000000-55d002000000 rw-p 00000000 00:00 0                          [heap]
Rss:               10000 kB
Swap:                 16 kB
7f0000000000-7f0001000000 rw-p 00000000 00:00 0 
Rss:                3000 kB
7f0001000000-7f0004000000 ---p 00000000 00:00 0 
Rss:                   0 kB
7f1000100000-7f1000101000 ---p 00000000 00:00 0 
Rss:                   0 kB
7f1000101000-7f1000901000 rw-p 00000000 00:00 0 
Rss:                  24 kB
7f2000010000-7f2000410000 rw-p 00000000 00:00 0 
Rss:                4096 kB
7f3000000000-7f3000100000 rw-s 00000000 00:01 77 /memfd:mesa-shm (deleted)
Rss:                  50 kB
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]
Rss:                  12 kB
7ffc10000000-7ffc10002000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
"""


def test_breakdown_sorts_mappings_by_kind():
    b = memory.breakdown_text(SMAPS)
    assert b["files"] == 400
    assert b["heap"] == 10000
    assert b["arenas"] == 3000                  # rw part of a 64 MB-aligned reservation
    assert b["stacks"] == 24 + 12               # above a 4 KB guard page; [stack]
    assert b["anon_mmap"] == 4096               # a big malloc / texture
    assert b["gpu"] == 50
    assert b["other"] == 8
    assert b["swap"] == 16
    assert b["total"] == 400 + 10000 + 3000 + 36 + 4096 + 50 + 8


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux")
def test_breakdown_of_this_process_adds_up_to_its_rss():
    b = memory.breakdown()
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    assert b["files"] > 0 and b["heap"] + b["anon_mmap"] + b["arenas"] > 0
    assert abs(b["total"] - rss) < rss * 0.2
    assert memory.breakdown(2 ** 22 + 12345) == {}          # no such process: empty, no error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc")
def test_trim_returns_freed_heap_and_takes_little_time():
    blocks = [bytearray(100_000) for _ in range(300)]        # ~30 MB below the mmap threshold
    del blocks[:-1]                                          # freed, but the last one pins the heap top
    ms = memory.trim()
    assert ms is not None and ms < 500


def test_trim_soon_runs_off_the_calling_thread(monkeypatch):
    import threading
    ran = []
    monkeypatch.setattr(memory, "trim", lambda: ran.append(threading.current_thread().name) or 1.0)
    memory.trim_soon()
    deadline = time.monotonic() + 2
    while not ran and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == ["malloc-trim"]
