"""Run one fuzz target under atheris (libFuzzer, coverage-guided) for a fixed number of inputs.

    .venv/bin/python -m tests.fuzz.runner TARGET --runs N [--out stats.json] [--seed S]

The target's modules are instrumented, so libFuzzer keeps the inputs that reach new branches
and mutates those (a frame with a valid checksum, a TOML file that parses, a body that gets
past the JSON parser); it starts from the target's seeds plus tests/fuzz/regressions/TARGET/
(inputs that once found a bug, replayed on every run).

What counts as a failure, and how it is measured:
- an exception other than the target's own typed errors: libFuzzer stops, prints it, and
  writes the input to --artifacts (crash-<sha1>); exit status non-zero;
- an input taking over 1 s of CPU (process_time, so a hall thread's work counts too): raised
  here as a failure, with the input saved like a crash. Wall time (perf_counter) is reported as
  well, but not judged: on a machine shared with other test runs (load 20 on 2 cores seen) a
  40 ms input can take 500 ms of wall time. libFuzzer's -timeout=10 stays as the hang guard;
- memory: -rss_limit_mb stops the run if the process grows past it; the peak RSS (getrusage)
  is recorded after 10 % of the inputs and at the end, so growth over the run shows.
Stats are written as JSON to --out every 1,000 inputs and at the last one (libFuzzer ends the
process with exit(), so there is no "after the loop" in Python).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGRESSIONS = HERE / "regressions"
MAX_CPU_S = 1.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dict_line(token: bytes) -> str:
    return '"' + "".join(f"\\x{b:02x}" for b in token) + '"'


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--out", default="")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--artifacts", default=".")
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--workdir", default="", help="where the corpus grows (default: a new temporary directory)")
    args = ap.parse_args(argv)

    import atheris

    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{args.target}-", dir=args.workdir or None))
    os.environ["FUZZ_SCRATCH"] = str(work / "scratch")      # the loaders' files, inside the work folder
    from tests.fuzz.targets import TARGETS

    target = TARGETS[args.target]
    with atheris.instrument_imports(include=list(target.instrument)):
        for name in target.instrument:
            importlib.import_module(name)
    if target.setup:            # after instrumenting: a hall started here runs the instrumented code
        target.setup()

    corpus = work / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(target.seeds()):
        (corpus / f"seed-{i}").write_bytes(seed)
    reg = REGRESSIONS / target.name
    if reg.is_dir():
        for f in reg.iterdir():
            shutil.copy(f, corpus / f"regression-{f.name}")
    dict_file = work / "tokens.dict"
    dict_file.write_text("\n".join(_dict_line(t) for t in target.dictionary) + "\n")

    stats = {"target": target.name, "typed": target.typed, "inputs": 0, "max_s": 0.0, "slowest_len": 0,
             "total_s": 0.0, "max_cpu_s": 0.0, "slowest_cpu_len": 0, "rss_mb_start": round(_rss_mb(), 1), "rss_mb_10pct": None, "rss_mb_end": None,
             "runs_asked": args.runs, "seed": args.seed}
    started = time.perf_counter()
    out = Path(args.out) if args.out else None

    def flush() -> None:
        stats["wall_s"] = round(time.perf_counter() - started, 2)
        stats["rss_mb_end"] = round(_rss_mb(), 1)
        if out:
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(stats, indent=1))
            os.replace(tmp, out)

    def one(data: bytes) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            target.run(data)
        finally:
            spent, cpu = time.perf_counter() - t0, time.process_time() - c0
            stats["inputs"] += 1
            stats["total_s"] += spent
            if spent > stats["max_s"]:
                stats["max_s"], stats["slowest_len"] = spent, len(data)
            if cpu > stats["max_cpu_s"]:
                stats["max_cpu_s"], stats["slowest_cpu_len"] = cpu, len(data)
            n = stats["inputs"]
            if n == max(1, args.runs // 10):
                stats["rss_mb_10pct"] = round(_rss_mb(), 1)
            if n % 1000 == 0 or n >= args.runs:
                flush()
        if cpu > MAX_CPU_S:
            flush()
            raise TimeoutError(f"one input took {cpu:.2f} s of CPU (limit {MAX_CPU_S} s), {len(data)} bytes")

    flush()
    sys.stdout.flush()
    atheris.Setup([sys.argv[0], f"-runs={args.runs}", "-timeout=10", f"-rss_limit_mb={args.rss_limit_mb}",
                   f"-max_len={target.max_len}", f"-dict={dict_file}", f"-seed={args.seed}",
                   f"-artifact_prefix={args.artifacts.rstrip('/')}/", "-print_final_stats=1", str(corpus)],
                  one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
