import pytest

from kiosk.config import ConfigError, load_config


def write(tmp_path, text):
    p = tmp_path / "kiosk.toml"
    p.write_text(text, "utf-8")
    return p


def test_shipped_configs_load():
    assert load_config("config/kiosk.toml").idcard.driver == "sim"
    prod = load_config("config/kiosk.example.toml")
    assert prod.printer.driver == "network" and prod.hall.url.startswith("https://")


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: file not found"):
        load_config(tmp_path / "nope.toml")


def test_unknown_key_names_file_key_and_allowed(tmp_path):
    p = write(tmp_path, "[printer]\ncolums = 48\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert str(p) in msg and "printer.colums" in msg and "columns" in msg


def test_wrong_type_names_key_and_expected(tmp_path):
    with pytest.raises(ConfigError, match=r"idcard\.baudrate: expected int, got str"):
        load_config(write(tmp_path, '[idcard]\nbaudrate = "115200"\n'))


def test_bad_choice(tmp_path):
    with pytest.raises(ConfigError, match=r"printer\.columns: expected one of 32, 48"):
        load_config(write(tmp_path, "[printer]\ncolumns = 40\n"))


def test_syntax_error_and_encoding(tmp_path):
    with pytest.raises(ConfigError, match="TOML syntax error"):
        load_config(write(tmp_path, "[terminal\n"))
    p = tmp_path / "gbk.toml"
    p.write_bytes('[terminal]\nhall_name = "为民服务中心"\n'.encode("gbk"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(p)


def test_table_expected(tmp_path):
    with pytest.raises(ConfigError, match=r"hall: expected a table"):
        load_config(write(tmp_path, 'hall = "x"\n'))


def test_negative_timeout_rejected(tmp_path):
    with pytest.raises(ConfigError, match="idle_timeout_s: expected a positive"):
        load_config(write(tmp_path, "[terminal]\nidle_timeout_s = -1\n"))
