"""The short fuzz run of `make test` (issue #12, "Bad input"): every target of targets.py under
atheris for a few thousand inputs (the full 10^6 is tests/bench/bench_fuzz.py, `make fuzz`).

Each runs in a process of its own, as libFuzzer ends the process when it is done. A target
fails on an exception other than its module's typed errors, a broken promise, an input over 1 s
(CPU) or an RSS over the limit; the failing input is kept in the test's tmp_path (crash-*)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.bench_fuzz import postgres_for
from tests.fuzz.targets import TARGETS

REPO = Path(__file__).resolve().parents[2]
SHORT = {"hall_http": 1500, "hall_http_pg": 500, "ga467_frames": 3000}      # the slower ones; the rest get DEFAULT
DEFAULT = 5000


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_target_short(name, tmp_path):
    runs = SHORT.get(name, DEFAULT)
    if TARGETS[name].postgres:
        from hall.pgtemp import PostgresUnavailable, find_bindir

        try:
            find_bindir()
        except PostgresUnavailable as e:        # as tests/integration/conftest.py: required in CI
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is required in CI: {e}")
            pytest.skip(str(e))
    stats_file = tmp_path / "stats.json"
    with postgres_for(TARGETS[name]) as env:
        proc = subprocess.run([sys.executable, "-m", "tests.fuzz.runner", name, "--runs", str(runs), "--seed", "3",
                               "--out", str(stats_file), "--artifacts", str(tmp_path), "--workdir", str(tmp_path),
                               "--rss-limit-mb", "1024"],
                              cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    stats = json.loads(stats_file.read_text())
    assert stats["inputs"] >= runs, stats
    assert stats["max_cpu_s"] < 1.0, stats
    assert stats["rss_mb_end"] < 1024, stats
