"""hall.toml's /metrics and holiday keys (hall/config.py)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hall.config import ConfigError, is_loopback, load_config

REPO = Path(__file__).resolve().parents[2]
BASE = '''host = "{host}"
port = 8700
database_url = "sqlite:///var/hall.db"
catalog_dir = "config/catalog"
hall_name = "测试便民服务中心"
'''


def load(tmp_path, host="127.0.0.1", extra=""):
    p = tmp_path / "hall.toml"
    p.write_text(BASE.format(host=host) + extra, "utf-8")
    return p, load_config(p)


def test_the_shipped_config_wants_a_metrics_token():
    s = load_config(REPO / "config" / "hall.toml")
    assert s.metrics_token_file == "var/metrics.token" and s.metrics_public is False
    assert s.holidays_dir == "config/holidays"


def test_loopback_hall_may_go_without_a_token(tmp_path):
    _, s = load(tmp_path)
    assert s.metrics_token_file == "" and not s.metrics_public


def test_a_hall_on_the_network_needs_a_token_or_an_explicit_public(tmp_path):
    p = tmp_path / "hall.toml"
    p.write_text(BASE.format(host="0.0.0.0"), "utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.path == str(p) and e.value.key == "metrics_token_file" and "loopback" in e.value.message
    _, s = load(tmp_path, "0.0.0.0", 'metrics_token_file = "/etc/bianmin/metrics.token"\n')
    assert s.metrics_token_file == "/etc/bianmin/metrics.token"
    _, s = load(tmp_path, "0.0.0.0", "metrics_public = true\n")
    assert s.metrics_public
    # `hall serve --host 0.0.0.0` over a loopback config is checked too.
    _, s = load(tmp_path)
    with pytest.raises(ConfigError) as e:
        dataclasses.replace(s, host="192.168.1.10")
    assert e.value.key == "metrics_token_file"


@pytest.mark.parametrize("key, value, expected", [
    ("metrics_token_file", "1", "bearer token"),
    ("metrics_public", '"yes"', "true or false"),
    ("holidays_dir", "[]", "holiday files"),
])
def test_wrong_types(tmp_path, key, value, expected):
    p = tmp_path / "hall.toml"
    p.write_text(BASE.format(host="127.0.0.1") + f"{key} = {value}\n", "utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.key == key and expected in e.value.message


@pytest.mark.parametrize("host, loop", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
                                        ("0.0.0.0", False), ("10.0.0.5", False), ("hall.example", False)])
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop
