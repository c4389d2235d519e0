"""config/prometheus/ checked by promtool (Debian's `prometheus` package), and the hall's real
/metrics exposition linted by it; every metric the alerts use must be one the hall exports."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time

import pytest
import requests

from tests.integration.conftest import CATALOG_DIR, REPO, RunningHall

PROM = REPO / "config" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None and not os.environ.get("CI"),
                                    reason="promtool missing (apt-get install prometheus)")


def promtool(*args, stdin: str | None = None, cwd=PROM) -> subprocess.CompletedProcess:
    assert PROMTOOL, "promtool is required in CI (Debian package prometheus)"
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=60)


def prometheus_dir(tmp_path, token: str = "a-token-for-promtool-only-0123456789"):
    """config/prometheus/ as installed: with the hall's token copied next to prometheus.yml."""
    d = tmp_path / "prometheus"
    shutil.copytree(PROM, d)
    (d / "bianmin-hall.token").write_text(token + "\n", "utf-8")
    return d


@needs_promtool
@pytest.mark.parametrize("args", [("check", "config", "prometheus.yml"), ("check", "rules", "alerts.yml"),
                                  ("test", "rules", "alerts_test.yml")])
def test_promtool_accepts_the_shipped_config(args, tmp_path):
    r = promtool(*args, cwd=prometheus_dir(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr


@needs_promtool
def test_the_scrape_config_sends_the_token_file():
    """The shipped file is valid as it stands, and names a credentials file that promtool insists on."""
    assert promtool("check", "config", "--syntax-only", "prometheus.yml").returncode == 0
    r = promtool("check", "config", "prometheus.yml")
    if not (PROM / "bianmin-hall.token").exists():
        assert r.returncode != 0 and "bianmin-hall.token" in r.stdout + r.stderr
    text = (PROM / "prometheus.yml").read_text("utf-8")
    assert re.search(r"authorization:\s+type: Bearer\s+credentials_file: bianmin-hall.token", text)


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


@pytest.fixture
def token_hall(tmp_path):
    from hall.embedded import EmbeddedHall

    token_file = tmp_path / "secrets" / "metrics.token"
    server = EmbeddedHall(tmp_path / "hall", CATALOG_DIR, metrics_token_file=str(token_file))
    token = server.enrol_terminal("T-TEST-1", "测试终端", "一楼大厅")
    base = server.start()
    try:
        yield RunningHall(server, "T-TEST-1", token, base), token_file
    finally:
        server.stop()


def test_metrics_wants_the_bearer_token(token_hall):
    hall, token_file = token_hall
    url = f"{hall.base_url}/metrics"
    assert token_file.exists() and token_file.stat().st_mode & 0o777 == 0o600      # made at start
    token = token_file.read_text("utf-8").strip()
    assert len(token) >= 32
    for headers in ({}, {"Authorization": f"Bearer {token}x"}, {"Authorization": token},
                    {"Authorization": f"Basic {token}"}, {"Authorization": "Bearer "},
                    {"Authorization": hall.headers["Authorization"]}):          # a terminal's token is not it
        r = requests.get(url, headers=headers, timeout=10)
        assert r.status_code == 401, headers
        assert r.text == "unauthorized\n" and "hall_" not in r.text            # no detail, no data
        assert r.headers["www-authenticate"].startswith("Bearer")
    r = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200 and "hall_terminal_up" in r.text
    # Rotated without a restart: the file is read again when it changes.
    new = "rotated-token-" + "9" * 30
    token_file.write_text(new + "\n", "utf-8")
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {new}"}, timeout=10).status_code == 200
    # An unusable file: 503 (and a log line), never the metrics.
    token_file.write_text("short\n", "utf-8")
    assert requests.get(url, headers={"Authorization": f"Bearer {new}"}, timeout=10).status_code == 503
    # The kiosk API is not affected by any of this.
    assert requests.get(f"{hall.base_url}/api/v1/catalog", headers=hall.headers, timeout=10).status_code == 200


PROMETHEUS = shutil.which("prometheus")


@pytest.mark.skipif(PROMETHEUS is None and not os.environ.get("CI"), reason="prometheus missing (apt-get install prometheus)")
def test_prometheus_scrapes_the_hall_with_the_shipped_config(token_hall, tmp_path):
    """A real Prometheus with the shipped scrape config (target and scrape interval changed only)
    gets the hall's metrics with the token file, and reports the target down without it."""
    hall, token_file = token_hall
    d = prometheus_dir(tmp_path, token_file.read_text("utf-8").strip())
    text = (d / "prometheus.yml").read_text("utf-8")
    text = text.replace('"127.0.0.1:8700"', f'"{hall.base_url.split("//")[1]}"').replace("scrape_interval: 15s", "scrape_interval: 1s")
    # A second job with a wrong token: it must come out as down (401).
    wrong = text.split("scrape_configs:")[1].replace("job_name: bianmin-hall", "job_name: wrong-token") \
        .replace("credentials_file: bianmin-hall.token", "credentials_file: wrong.token")
    (d / "wrong.token").write_text("not-the-hall-token-000000000\n", "utf-8")
    (d / "prometheus.yml").write_text(text + wrong.split("\n", 1)[1], "utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={d / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "prometheus.log", "w"))
    try:
        health = {}
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not (health.get("bianmin-hall") == "up" and health.get("wrong-token") == "down"):
            time.sleep(0.5)
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
            except (requests.RequestException, ValueError, KeyError):
                continue
            health = {t["labels"]["job"]: t["health"] for t in targets}
        assert health == {"bianmin-hall": "up", "wrong-token": "down"}, (health, (tmp_path / "prometheus.log").read_text()[-2000:])
        errors = {t["labels"]["job"]: t["lastError"] for t in targets}
        assert "401" in errors["wrong-token"]
    finally:
        proc.terminate()
        proc.wait(10)
