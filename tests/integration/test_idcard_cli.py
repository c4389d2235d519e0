"""`kiosk device idcard` against the simulator on a pty: what a technician sees on site."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.idcard import ga467
from drivers.idcard.fixtures import SAMPLE_CARDS
from drivers.idcard.ga467 import Sw3
from terminal.cli import main
from tests.integration.test_idcard_reader_pty import sim  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "config" / "kiosk.toml")
COMMON_KEYS = {"card_type", "name", "sex", "nation", "birth_date", "address", "id_number",
               "issuer", "valid_from", "valid_to"}


def run_cli(*args: str) -> list[str]:
    return ["--config", CONFIG, "device", "idcard", *args]


def test_json_of_a_resident_card_in_a_real_process(sim):
    sim.place_card(SAMPLE_CARDS["resident"])
    proc = subprocess.run([sys.executable, "-m", "terminal.cli",
                           *run_cli("--port", sim.path, "--json", "--timeout", "5")],
                          cwd=REPO, capture_output=True, text=True, timeout=20)
    assert proc.returncode == 0, proc.stderr
    fields = json.loads(proc.stdout)            # exactly one JSON object on stdout
    assert fields == {
        "card_type": "resident", "name": "张三", "sex": "男", "nation": "汉",
        "birth_date": "1990-03-07", "address": "江苏省南京市玄武区中山路1号",
        "id_number": "320102199003070017", "issuer": "南京市公安局玄武分局",
        "valid_from": "2020-01-01", "valid_to": "2040-01-01", "expired": False,
        "sam_id": "05.01-20230601-0012345678-1234567890",
    }
    assert "张三" not in proc.stderr and "320102199003070017" not in proc.stderr   # the log


@pytest.mark.parametrize("card_type, extras", [
    ("hmt_residence", {"pass_number": "H60123456", "issue_count": 1, "nation": ""}),
    ("foreign_2017", {"english_name": "SMITH, JOHN ROBERT", "nationality": "USA",
                      "id_number": "USA110085061112", "issuer": "1100"}),
    ("foreign_2023", {"english_name": "SCHMIDT-LEUTHEUSSER, ANNA MARIA EL KATHARINA",
                      "nationality": "DEU", "renewal_count": 0, "address": ""}),
])
def test_json_of_the_other_card_types(sim, capsys, card_type, extras):
    sim.place_card(SAMPLE_CARDS[card_type])
    assert main(run_cli("--port", sim.path, "--json", "--timeout", "5")) == 0
    fields = json.loads(capsys.readouterr().out)
    assert COMMON_KEYS <= set(fields) and fields["card_type"] == card_type
    assert fields["sex"] in ("男", "女")
    for key, value in extras.items():
        assert fields[key] == value


def test_text_output_is_labelled(sim, capsys):
    sim.place_card(SAMPLE_CARDS["hmt_residence"])
    assert main(run_cli("--port", sim.path, "--timeout", "5")) == 0
    out = capsys.readouterr().out
    assert "证件类型 / card_type: 港澳台居民居住证 (hmt_residence)" in out
    assert "通行证号码 / pass_number: H60123456" in out and "有效期至 / valid_to: 2029-03-01" in out


def test_no_card_before_the_timeout(sim, capsys):
    assert main(run_cli("--port", sim.path, "--timeout", "0.5")) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no card within the timeout" in captured.err


def test_reader_not_connected(tmp_path, capsys):
    port = str(tmp_path / "ttyUSB-missing")
    assert main(run_cli("--port", port, "--json", "--timeout", "0.5")) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "读卡器未连接" in captured.err and port in captured.err


def test_reader_fault(sim, capsys):
    sim.inject_status(Sw3.SAM_SELF_TEST_FAILED, command=ga467.SAM_STATUS)
    assert main(run_cli("--port", sim.path, "--timeout", "0.5")) == 3
    err = capsys.readouterr().err
    assert "读卡器故障" in err and "sam_selftest" in err and "安全模块自检失败" in err


def test_card_that_cannot_be_read(sim, capsys):
    sim.inject_status(Sw3.READ_FAILED, command=ga467.READ_TEXT_PHOTO)
    sim.place_card(SAMPLE_CARDS["resident"])
    assert main(run_cli("--port", sim.path, "--timeout", "0.8")) == 4
    err = capsys.readouterr().err
    assert "读取证件失败，请重新放置证件" in err
