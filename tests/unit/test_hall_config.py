from pathlib import Path

import pytest

from hall.config import ConfigError, HallSettings, load_config

REPO = Path(__file__).resolve().parents[2]
GOOD = '''host = "127.0.0.1"
port = 8700
database_url = "sqlite:///var/hall.db"
catalog_dir = "config/catalog"
hall_name = "测试便民服务中心"
'''


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "hall.toml"
    p.write_text(text, "utf-8")
    return p


def test_the_shipped_demo_config_loads():
    s = load_config(REPO / "config" / "hall.toml")
    assert s.host == "127.0.0.1" and s.port == 8700 and s.database_url.startswith("sqlite:///")
    assert (REPO / s.catalog_dir).is_dir() and s.hall_name


def test_good_file(tmp_path):
    s = load_config(write(tmp_path, GOOD))
    assert s == HallSettings("127.0.0.1", 8700, "sqlite:///var/hall.db", Path("config/catalog"), "测试便民服务中心")
    with pytest.raises(AttributeError):
        s.port = 1          # frozen


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "nope.toml")
    assert "nope.toml" in str(e.value) and "not found" in str(e.value)


def test_unknown_key_names_file_and_key(tmp_path):
    p = write(tmp_path, GOOD + "prot = 8701\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(p) in str(e.value) and e.value.key == "prot" and "allowed keys" in str(e.value)


@pytest.mark.parametrize("key, value, expected", [
    ("port", '"8700"', "integer"),
    ("port", "true", "integer"),
    ("port", "70000", "1..65535"),
    ("host", "127", "string"),
    ("hall_name", '""', "non-empty"),
    ("catalog_dir", "[]", "directory"),
    ("database_url", '"mysql://x"', "SQLAlchemy URL"),
])
def test_wrong_type_names_file_key_and_expectation(tmp_path, key, value, expected):
    text = "\n".join(f"{key} = {value}" if line.startswith(key + " ") else line for line in GOOD.splitlines())
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert str(p) in msg and e.value.key == key and expected in msg


def test_missing_key(tmp_path):
    p = write(tmp_path, "\n".join(line for line in GOOD.splitlines() if not line.startswith("port")))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.key == "port" and "missing" in str(e.value)


def test_bad_toml_names_the_file(tmp_path):
    p = write(tmp_path, "port = = 1\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(p) in str(e.value) and "TOML" in str(e.value)


def test_a_database_password_is_not_echoed(tmp_path):
    p = write(tmp_path, GOOD.replace("sqlite:///var/hall.db", "mysql://hall:s3cret@db/hall"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "s3cret" not in str(e.value)


def test_optional_keys_have_defaults_and_are_checked(tmp_path):
    s = load_config(write(tmp_path, GOOD))
    assert (s.heartbeat_interval_s, s.console_secure_cookie, s.login_max_failures) == (30, False, 5)
    s = load_config(write(tmp_path, GOOD + "heartbeat_interval_s = 15\nconsole_secure_cookie = true\n"))
    assert s.heartbeat_interval_s == 15 and s.console_secure_cookie is True
    for bad in ("heartbeat_interval_s = 0", 'console_secure_cookie = "yes"', "login_max_failures = true"):
        with pytest.raises(ConfigError) as e:
            load_config(write(tmp_path, GOOD + bad + "\n"))
        assert e.value.key == bad.split(" ")[0]
