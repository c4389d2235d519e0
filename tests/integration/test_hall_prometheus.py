"""config/prometheus/ checked by promtool (Debian's `prometheus` package), and the hall's real
/metrics exposition linted by it; every metric the alerts use must be one the hall exports."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import requests

from tests.integration.conftest import REPO

PROM = REPO / "config" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None and not os.environ.get("CI"),
                                    reason="promtool missing (apt-get install prometheus)")


def promtool(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    assert PROMTOOL, "promtool is required in CI (Debian package prometheus)"
    return subprocess.run([PROMTOOL, *args], cwd=PROM, capture_output=True, text=True, input=stdin, timeout=60)


@needs_promtool
@pytest.mark.parametrize("args", [("check", "config", "prometheus.yml"), ("check", "rules", "alerts.yml"),
                                  ("test", "rules", "alerts_test.yml")])
def test_promtool_accepts_the_shipped_config(args):
    r = promtool(*args)
    assert r.returncode == 0, r.stdout + r.stderr


@needs_promtool
def test_rule_tests_can_fail(tmp_path):
    """The rule tests are not vacuous: a rule with a longer `for` fails them."""
    (tmp_path / "alerts.yml").write_text((PROM / "alerts.yml").read_text("utf-8").replace("for: 2m", "for: 5m", 1), "utf-8")
    (tmp_path / "alerts_test.yml").write_text((PROM / "alerts_test.yml").read_text("utf-8"), "utf-8")
    r = subprocess.run([PROMTOOL, "test", "rules", "alerts_test.yml"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0 and "TerminalDown" in r.stdout + r.stderr


@needs_promtool
def test_the_hall_exposition_is_clean_and_has_what_alerts_use(sqlite_hall):
    h = sqlite_hall
    requests.post(f"{h.base_url}/api/v1/terminals/{h.terminal_id}/heartbeat", headers=h.headers, timeout=10,
                  json={"devices": {"printer": {"state": "paper_out"}}, "outbox_pending": 3})
    text = requests.get(f"{h.base_url}/metrics", timeout=10).text
    r = promtool("check", "metrics", stdin=text)
    assert r.returncode == 0, r.stdout + r.stderr
    exported = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    exported |= {n + "_total" for n in exported}
    used = set(re.findall(r"\b(hall_[a-z_]+)", (PROM / "alerts.yml").read_text("utf-8")))
    assert used and used <= exported, used - exported
