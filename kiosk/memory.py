"""Process memory as the kernel sees it, and handing freed heap back to it (issue #7 soak).

The soak benchmark showed RSS rising over the first visits while Python's own objects did not:
the growth is in native memory (glibc malloc arenas of the many threads, Mesa llvmpipe, numpy /
OpenCV buffers). `breakdown()` splits /proc/<pid>/smaps into those kinds so a benchmark can say
where it goes; `trim()` asks glibc to return free pages (malloc_trim) after a visit, and
`collect_and_freeze()` keeps Python's full collections off a person's touches.
UI-independent: no Kivy here.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import threading
import time
from typing import Mapping

log = logging.getLogger(__name__)

ARENA_SIZE_KB = 64 * 1024      # glibc: a thread arena is a 64 MB (HEAP_MAX_SIZE) aligned reservation

KINDS = ("heap", "arenas", "anon_mmap", "stacks", "gpu", "files", "other")


def _parse(text: str):
    """(start, end, perms, path, fields) per mapping of an smaps text."""
    maps, cur = [], None
    for line in text.splitlines():
        head = line.split(None, 5)
        if head and "-" in head[0] and not head[0].endswith(":"):
            start, end = (int(x, 16) for x in head[0].split("-"))
            cur = (start, end, head[1], head[5].strip() if len(head) > 5 else "", {})
            maps.append(cur)
        elif cur is not None and head and head[0].endswith(":") and len(head) >= 2 and head[1].isdigit():
            cur[4][head[0][:-1]] = int(head[1])
    return maps


def breakdown_text(text: str) -> dict[str, int]:
    """Rss (KB) of one smaps text by kind:
    heap      -- [heap], glibc's main arena (brk): the main (Kivy) thread's mallocs -- under
                 Mesa llvmpipe that includes every GL texture and SDL text surface
    arenas    -- glibc thread arenas: anonymous rw parts of 64 MB-aligned reservations
    anon_mmap -- other anonymous mappings: large malloc()s (>= mmap threshold: frames, textures
                 of llvmpipe, numpy arrays), Python's own arenas
    stacks    -- [stack] and thread stacks (anonymous rw just above a 4 KB guard page)
    gpu       -- /dev/dri, memfd and shm mappings (GL buffers)
    files     -- file-backed (libraries, fonts, mmapped files)
    other     -- vdso, vvar and the like
    plus swap and total."""
    maps = _parse(text)
    out = dict.fromkeys(KINDS, 0)
    out["swap"] = 0
    arena_starts = set()
    for start, end, perms, path, _f in maps:       # arena: rw start at a 64 MB boundary, and the
        if not path and start % (ARENA_SIZE_KB * 1024) == 0:    # reservation continues ---p
            arena_starts.add(start)
    prev = None
    arena_until = 0
    for m in maps:
        start, end, perms, path, f = m
        rss = f.get("Rss", 0)
        out["swap"] += f.get("Swap", 0)
        if start in arena_starts:
            arena_until = start + ARENA_SIZE_KB * 1024
        if path == "[heap]":
            kind = "heap"
        elif path == "[stack]" or path.startswith("[stack:"):
            kind = "stacks"
        elif path.startswith(("/dev/dri", "/memfd:", "/dev/shm", "/SYSV")):
            kind = "gpu"
        elif path.startswith("["):
            kind = "other"
        elif path:
            kind = "files"
        elif start < arena_until:
            kind = "arenas"
        elif (prev is not None and not prev[3] and prev[2].startswith("---") and prev[1] == start
              and prev[1] - prev[0] == 4096 and end - start >= 1024 * 1024):
            kind = "stacks"      # pthread stack: a 4 KB guard page just below it
        else:
            kind = "anon_mmap"
        out[kind] += rss
        prev = m
    out["total"] = sum(out[k] for k in KINDS)
    return out


def breakdown(pid: int | str = "self") -> dict[str, int]:
    """Rss (KB) by kind of a live process (see breakdown_text); {} if it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            return breakdown_text(f.read())
    except OSError:
        return {}


def by_mapping(pid: int | str = "self", top: int = 25) -> list[tuple[str, int]]:
    """The largest resident parts (KB) by what is mapped: a file's name (libraries, fonts), or
    for anonymous memory its kind (breakdown_text). Where idle memory goes, mapping by mapping."""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            maps = _parse(f.read())
    except OSError:
        return []
    sums: dict[str, int] = {}
    for _start, _end, _perms, path, fields in maps:
        name = path.rsplit("/", 1)[-1] if path.startswith("/") else (path or "[anon]")
        sums[name] = sums.get(name, 0) + fields.get("Rss", 0)
    return sorted(sums.items(), key=lambda kv: -kv[1])[:top]


_libc = None
_trim_lock = threading.Lock()

# glibc mallopt() parameter (malloc.h)
M_ARENA_MAX = -8
ARENA_MAX = 2                   # the main arena (the Kivy thread) and one shared by the other threads


def _glibc():
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
            _libc.malloc_trim.restype = ctypes.c_int
            _libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            _libc.mallopt.restype = ctypes.c_int
        except (OSError, AttributeError):      # not glibc (musl, macOS): nothing to tune or trim
            _libc = False
    return _libc


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


def malloc_info() -> dict[str, int]:
    """glibc's own view (mallinfo2, glibc >= 2.33), KB: `heap` obtained from the kernel by brk and
    arenas, `in_use` of it by live blocks, `free` of it held free (fragments a trim cannot return
    are here), `mmapped` large blocks. {} where there is no mallinfo2."""
    libc = _glibc()
    fn = getattr(libc, "mallinfo2", None) if libc else None
    if fn is None:
        return {}
    fn.restype = _MallInfo2
    m = fn()
    return {"heap": m.arena // 1024, "in_use": m.uordblks // 1024, "free": m.fordblks // 1024,
            "mmapped": m.hblkhd // 1024}


def _malloc_trim():
    libc = _glibc()
    return libc.malloc_trim if libc else None


def tune_malloc(environ: Mapping[str, str] = os.environ) -> dict[str, int]:
    """Call first thing in the kiosk process, before Kivy, Mesa and the device threads exist.

    glibc gives each thread that mallocs its own arena (a 64 MB reservation) up to 8 per core;
    the kiosk has a dozen threads (controller, outbox, heartbeat, reader, camera, llvmpipe...),
    each arena holding its own free pages. ARENA_MAX caps them (issue #15 soak, 20 visits:
    arenas 23 -> 10 MB idle, 33 -> 10 MB after 20 visits). A MALLOC_ARENA_MAX in the environment
    wins (a measurement can compare). Returns what was set; {} without glibc or when left."""
    libc = _glibc()
    if not libc or "MALLOC_ARENA_MAX" in environ:
        return {}
    return {"arena_max": ARENA_MAX} if libc.mallopt(M_ARENA_MAX, ARENA_MAX) else {}


def trim() -> float | None:
    """glibc malloc_trim(0): give free pages of every arena back to the kernel. Returns the
    milliseconds it took, None where there is no glibc or a trim is already running."""
    fn = _malloc_trim()
    if fn is None or not _trim_lock.acquire(blocking=False):
        return None
    try:
        t0 = time.perf_counter()
        fn(0)
        return (time.perf_counter() - t0) * 1000
    finally:
        _trim_lock.release()


def collect_and_freeze() -> float:
    """A full garbage collection, then everything still alive is frozen (gc.freeze): later
    collections skip it. Returns the milliseconds it took.

    Why: a full (generation 2) collection walks every live object, and the kiosk holds ~250 k of
    them (Kivy, kv rules, the catalogue, modules); Python runs one whenever enough new objects
    survive, which happened while a screen was being built: 100-160 ms added to a touch, most of
    the touches over 100 ms (issue #15 bench). Run when the terminal is idle on the attract screen
    (start-up, and after each visit's wipe), the frozen set is what lives on; the collections a
    visit triggers then walk only that visit's objects. Unfrozen first, so a frozen object that
    has since become garbage is collected at the next call: nothing is kept for longer than a visit."""
    t0 = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return (time.perf_counter() - t0) * 1000


def tidy_soon(delay_s: float = 0.0) -> None:
    """collect_and_freeze() then trim(), on a short-lived thread (they take tens of ms: never on
    the UI thread, which is idle meanwhile but free to take a touch as soon as they are done).
    At most one trim runs at a time."""
    def run():
        if delay_s:
            time.sleep(delay_s)
        gc_ms = collect_and_freeze()
        ms = trim()
        log.debug("full collection took %.1f ms, malloc_trim %s ms", gc_ms, ms)
    threading.Thread(target=run, name="memory-tidy", daemon=True).start()
