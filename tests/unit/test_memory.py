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


def test_tidy_soon_runs_off_the_calling_thread(monkeypatch):
    import threading
    ran = []
    monkeypatch.setattr(memory, "collect_and_freeze", lambda: ran.append(("gc", threading.current_thread().name)) or 1.0)
    monkeypatch.setattr(memory, "trim", lambda: ran.append(("trim", threading.current_thread().name)) or 1.0)
    memory.tidy_soon()
    deadline = time.monotonic() + 2
    while len(ran) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == [("gc", "memory-tidy"), ("trim", "memory-tidy")]     # garbage freed first, then trimmed


class _Cycle:
    def __init__(self):
        self.me = self


def test_collect_and_freeze_frees_garbage_and_freezes_what_lives_on():
    import gc
    import weakref
    try:
        kept = [_Cycle() for _ in range(1000)]
        dropped = _Cycle()
        gone = weakref.ref(dropped)
        del dropped
        memory.collect_and_freeze()
        assert gone() is None                                  # the cycle was collected
        frozen = gc.get_freeze_count()
        assert frozen >= 2000                                  # the kept objects (and their dicts) frozen
        assert not any(o is kept[0] for o in gc.get_objects())   # a collection no longer walks them
        # frozen, then dropped: collected at the next call, not kept for ever
        late = weakref.ref(kept[0])
        kept.clear()
        memory.collect_and_freeze()
        assert late() is None
    finally:
        gc.unfreeze()



THREAD_ARENAS = """
import ctypes, sys, threading
from kiosk import memory
if sys.argv[1] == "tuned":
    assert memory.tune_malloc({}) == {"arena_max": memory.ARENA_MAX}
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
ready, done = threading.Barrier(7), threading.Event()
def work():
    keep = [libc.malloc(1000) for _ in range(100)]     # this thread's first mallocs pick its arena
    ready.wait()
    done.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads:
    t.start()
ready.wait()
arenas = 0
with open("/proc/self/maps") as f:
    for line in f:
        start, perms = line.split()[0].split("-")[0], line.split()[1]
        if perms.startswith("rw") and len(line.split()) == 5 and int(start, 16) % (memory.ARENA_SIZE_KB * 1024) == 0:
            arenas += 1
done.set()
print(arenas)
"""


def _run_glibc_probe(code: str, mode: str) -> int:
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    return int(subprocess.run([sys.executable, "-c", code, mode], cwd=root, check=True, capture_output=True,
                              text=True, env={"PYTHONPATH": str(root)}).stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")
def test_tuned_malloc_shares_one_arena_among_the_threads():
    """Six threads that malloc get six 64 MB arenas by default; tuned they share one."""
    assert _run_glibc_probe(THREAD_ARENAS, "default") >= 6
    assert _run_glibc_probe(THREAD_ARENAS, "tuned") == memory.ARENA_MAX - 1


def test_tune_malloc_leaves_what_the_environment_sets():
    assert memory.tune_malloc({"MALLOC_ARENA_MAX": "4"}) == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")
def test_malloc_info_sees_live_blocks_come_and_go():
    before = memory.malloc_info()["in_use"]
    blocks = [bytes(1000) for _ in range(20_000)]       # > 512 B: malloc, not pymalloc
    held = memory.malloc_info()["in_use"]
    del blocks
    assert held - before > 15_000                       # KB
    assert memory.malloc_info()["in_use"] - before < 5_000
