"""config/prometheus/prometheus-cluster.yml and cluster-rules.yml (issue #16) checked by promtool:
the config is valid, the rule unit tests pass (one instance down warns, all down pages, a
terminal down alerts once, sums and maxes), the tests fail when a rule is broken, and every
hall_ metric the rules use is one the hall really exports."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import requests

from tests.integration.test_hall_prometheus import PROM, PROMTOOL, needs_promtool


def cluster_dir(tmp_path, rules: str | None = None):
    d = tmp_path / "prometheus"
    d.mkdir()
    for name in ("prometheus-cluster.yml", "cluster-rules.yml", "cluster-rules_test.yml"):
        shutil.copy(PROM / name, d / name)
    if rules is not None:
        (d / "cluster-rules.yml").write_text(rules, "utf-8")
    (d / "bianmin-hall.token").write_text("a-token-for-promtool-only-0123456789\n", "utf-8")
    return d


def promtool(d, *args) -> subprocess.CompletedProcess:
    assert PROMTOOL, "promtool is required in CI (Debian package prometheus)"
    return subprocess.run([PROMTOOL, *args], cwd=d, capture_output=True, text=True, timeout=60)


@needs_promtool
@pytest.mark.parametrize("args", [("check", "config", "prometheus-cluster.yml"), ("check", "rules", "cluster-rules.yml"),
                                  ("test", "rules", "cluster-rules_test.yml")])
def test_promtool_accepts_the_cluster_config(args, tmp_path):
    r = promtool(cluster_dir(tmp_path), *args)
    assert r.returncode == 0, r.stdout + r.stderr


RULES = (PROM / "cluster-rules.yml").read_text("utf-8")
BROKEN = {
    # warning for one instance also when all are down (the page would come with three warnings)
    "HallInstanceDown": ('up{job="bianmin-hall-cluster"} == 0 and on (job, hall) hall_cluster:instances_up:sum > 0',
                         'up{job="bianmin-hall-cluster"} == 0'),
    # database figures summed over instances: three times the terminals
    "hall_cluster:terminals:max": ('max without (instance) (hall_terminals{', 'sum without (instance) (hall_terminals{'),
    # terminal alerts per instance instead of once
    "ClusterTerminalDown": ("expr: hall_cluster:terminal_up:max == 0", 'expr: hall_terminal_up{job="bianmin-hall-cluster"} == 0'),
}


@needs_promtool
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_rule_tests_catch_a_broken_rule(name, tmp_path):
    old, new = BROKEN[name]
    assert old in RULES
    r = promtool(cluster_dir(tmp_path, RULES.replace(old, new)), "test", "rules", "cluster-rules_test.yml")
    assert r.returncode != 0 and name in r.stdout + r.stderr, r.stdout


@needs_promtool
def test_the_rules_use_what_the_hall_exports(sqlite_hall):
    h = sqlite_hall
    requests.post(f"{h.base_url}/api/v1/terminals/{h.terminal_id}/heartbeat", headers=h.headers, timeout=10, json={})
    text = requests.get(f"{h.base_url}/metrics", timeout=10).text
    exported = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    exported |= {n + "_total" for n in exported}
    used = set(re.findall(r"\b(hall_[a-z_]+)\{", RULES))
    assert used and used <= exported, used - exported
