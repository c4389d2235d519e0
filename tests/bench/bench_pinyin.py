"""Pinyin input method timings (a plain script, not collected by pytest).

    .venv/bin/python tests/bench/bench_pinyin.py

Prints: index size on disk; load time; RSS the loaded index adds to the process; and the time of
one candidate lookup per keystroke (median, p95, max) while typing realistic kiosk inputs letter
by letter — names, addresses, matter names — plus 删除 back down each one. Target on the 2-core
kiosk: p95 <= 20 ms per keystroke. Exits 1 when the target is missed.
"""
from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.domain.pinyin_ime import INDEX_DIR, PinyinIME  # noqa: E402

TARGET_P95_MS = 20.0

# What citizens type at a service-hall kiosk: addresses, names, companies, matters, and free text.
INPUTS = [
    "gongsi", "hubeisheng", "hubeishengwuhanshi", "jiangsushengnanjingshixuanwuquzhongshanlu",
    "zhejiangshenghangzhoushixihuqu", "beijingshichaoyangqu", "zhangsan", "lisi", "wangxiaoming",
    "ouyangxiaoming", "zhonghuarenmingongheguo", "tongyishehuixinyongdaima", "yingyezhizhao",
    "shenfenzheng", "hukouben", "budongchandengji", "gongjijin", "shebaokaihu", "huwaiguanggao",
    "qiyekaiban", "youxiangongsi", "jiancaishangmao", "kejifazhan", "xi'an", "xinan", "lvse",
    "woyaobanliyingyezhizhao", "qingshurushoujihaoma", "shi", "zh", "g", "xiang",
    "hubeish", "gongs", "nanjingdaxue", "dianhuahaoma",
]


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def keystrokes() -> list[str]:
    """Every prefix while typing each input, then every prefix again while deleting it."""
    seq = []
    for text in INPUTS:
        seq += [text[:k] for k in range(1, len(text) + 1)]
        seq += [text[:k] for k in range(len(text) - 1, 0, -1)]
    return seq


def pct(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * q))]


def main() -> int:
    size = sum(p.stat().st_size for p in INDEX_DIR.glob("*.txt"))
    print(f"index: {INDEX_DIR.relative_to(Path.cwd()) if INDEX_DIR.is_relative_to(Path.cwd()) else INDEX_DIR}"
          f" {size / 1e6:.2f} MB on disk")

    gc.collect()
    before = rss_kb()
    t0 = time.perf_counter()
    ime = PinyinIME.load()
    load_ms = (time.perf_counter() - t0) * 1000
    gc.collect()
    print(f"load (first, in this process): {load_ms:.0f} ms; RSS added by the loaded index: "
          f"{(rss_kb() - before) / 1024:.1f} MB")
    loads = []
    for _ in range(5):
        t0 = time.perf_counter()
        PinyinIME.load()
        loads.append((time.perf_counter() - t0) * 1000)
    print(f"load (again, x5): median {statistics.median(loads):.0f} ms")

    seq = keystrokes()
    for text in seq[:50]:                # warm-up: first calls allocate caches inside CPython
        ime.candidates(text)
    samples = []
    for text in seq:
        t0 = time.perf_counter()
        ime.candidates(text)
        samples.append((time.perf_counter() - t0) * 1000)
    p95 = pct(samples, 0.95)
    print(f"candidates per keystroke over {len(samples)} keystrokes ({len(INPUTS)} inputs typed and deleted):")
    print(f"  median {statistics.median(samples):.2f} ms   p95 {p95:.2f} ms   max {max(samples):.2f} ms"
          f"   (target p95 <= {TARGET_P95_MS:.0f} ms)")
    worst = sorted(zip(samples, seq), reverse=True)[:3]
    print("  slowest: " + ", ".join(f"{t!r} {ms:.1f} ms" for ms, t in worst))
    for text in ("gongsi", "hubeisheng", "hubeishengwuhanshi"):
        print(f"  {text}: {' '.join(c.text for c in ime.candidates(text)[:6])}")
    if p95 > TARGET_P95_MS:
        print("TARGET MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
