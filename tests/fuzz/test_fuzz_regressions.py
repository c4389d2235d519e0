"""Bugs the fuzzers found (issue #12, "Bad input"), each pinned by the smallest input that showed
it. The raw inputs also live in tests/fuzz/regressions/<target>/ and are replayed by every fuzz
run; these tests say what the right answer is."""
from __future__ import annotations

import pytest

from tests.fuzz.targets import REPO as REPO_ROOT
from tests.fuzz.targets import TARGETS


def test_hall_toml_not_utf8_is_a_config_error(tmp_path):
    # tomllib.load decodes the file itself: a GBK-saved hall.toml raised UnicodeDecodeError.
    from hall.config import ConfigError, load_config

    p = tmp_path / "hall.toml"
    p.write_bytes('hall_name = "示例便民服务中心"\n'.encode("gb18030"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.key == "(encoding)" and "UTF-8" in e.value.message


def test_catalogue_matter_not_utf8_is_a_catalog_error(tmp_path):
    # Same for a matter file: the hall stopped with a traceback instead of naming the file.
    from hall.catalog_store import load_matter
    from kiosk.domain.catalogue import CatalogError

    p = tmp_path / "matter.toml"
    p.write_bytes('name = "户外广告设施设置审批"\n'.encode("gb18030"))
    with pytest.raises(CatalogError) as e:
        load_matter(p)
    assert e.value.key == "(encoding)" and str(p) in str(e.value)


@pytest.mark.parametrize("name", sorted(n for n, t in TARGETS.items() if t.setup is None))
def test_every_saved_input_is_handled(name):
    """Replay the saved inputs of each target through it: only typed errors, no broken promise."""
    from tests.fuzz.runner import REGRESSIONS

    folder = REGRESSIONS / name
    inputs = sorted(folder.iterdir()) if folder.is_dir() else []
    for f in inputs:
        TARGETS[name].run(f.read_bytes())
    for seed in TARGETS[name].seeds():
        TARGETS[name].run(seed)


def test_heartbeat_extras_obey_the_string_rule():
    # HeartbeatIn keeps unknown keys for newer kiosks, but their strings went unchecked: a lone
    # surrogate was accepted and could not be serialised back to JSON (model_dump_json failed).
    from pydantic import ValidationError

    from hall.schemas import HeartbeatIn

    ok = HeartbeatIn.model_validate_json('{"clock_offset_ms": 12, "extra": {"note": "line1\\nline2", "k": ["a"]}}')
    assert ok.model_extra["extra"]["k"] == ["a"]
    for bad in ('{"x": "a\\ud800b"}', '{"x": {"\\u0000": 1}}', '{"x": [[["\\u001b[2J"]]]}', '{"\\udfff": 1}'):
        with pytest.raises(ValidationError):
            HeartbeatIn.model_validate_json(bad)


@pytest.mark.parametrize("value", ["inf", "nan", "+inf", "-0.0"])
def test_kiosk_toml_timeouts_must_be_finite(tmp_path, value):
    # TOML has inf and nan; `value <= 0` let both through (an idle timeout of inf never fires).
    from kiosk.config import ConfigError, load_config

    p = tmp_path / "kiosk.toml"
    p.write_text(f"[terminal]\nidle_timeout_s = {value}\n", "utf-8")
    with pytest.raises(ConfigError, match="terminal.idle_timeout_s"):
        load_config(p)


def test_credit_csv_with_a_bad_header_line_is_an_import_error():
    # DictReader reads the header lazily (reader.fieldnames): a stray CR in it raised csv.Error,
    # which the console's upload page (it catches ImportError_) would have answered with a 500.
    from hall.credit_import import ImportError_, parse

    with pytest.raises(ImportError_, match="line 1: not valid CSV"):
        parse(b'code,kind\rname\n91320102MA0079192H,enterprise\n', "subjects.csv")


def test_ga467_hunt_inside_a_long_frame_is_linear(monkeypatch):
    # A head frame claiming 4 KB, filled with preambles of bad frames, read a byte at a time (as
    # the reader's ser.read(in_waiting or 1) may): every read re-checked every frame inside, about
    # k x n checksums, 2.4 s for 4 KB. Now each inner frame is checked once, when it completes.
    from drivers.idcard import ga467

    calls = []
    real = ga467.checksum
    monkeypatch.setattr(ga467, "checksum", lambda body: calls.append(len(body)) or real(body))
    bad = ga467.PREAMBLE + b"\x00\x03\x20\x01\x00"          # LEN 3, wrong checksum
    data = ga467.PREAMBLE + (4096).to_bytes(2, "big") + bad * (4096 // len(bad))
    dec = ga467.FrameDecoder()
    for i in range(len(data)):
        assert dec.feed(data[i:i + 1]) == []
    inner = data.count(ga467.PREAMBLE) - 1
    assert len(calls) <= 2 * inner + 2, (len(calls), inner)
    # ... and the good frame behind such a burst still comes out.
    good = ga467.build_reply(0x90, b"ok")
    assert dec.feed(good) == [good[7:-1]]


def test_id_number_with_non_ascii_digits_is_invalid_not_an_exception():
    # str.isdigit() accepts "¹" and "３"; int() then raised ValueError inside is_valid_id_number:
    # from the card decoder (not a CardDataError), and from the credit import's row check, which
    # promises to report rows, never raise (a 500 on the console upload).
    from drivers.idcard.card_text import decode_card_text, encode_card_text
    from drivers.idcard.codes import CardDataError
    from drivers.idcard.fixtures import SAMPLE_CARDS
    from hall.credit_import import check, parse
    from kiosk.domain.identity import is_valid_id_number

    assert not is_valid_id_number("¹" * 17 + "X") and not is_valid_id_number("１１０１０５１９４９１２３１００２X")
    assert is_valid_id_number("11010519491231002X")
    card = next(iter(SAMPLE_CARDS.values()))
    block = encode_card_text(card).decode("utf-16-le")
    i = block.index(card.id_number)
    with pytest.raises(CardDataError):
        decode_card_text((block[:i] + "¹" + block[i + 1:]).encode("utf-16-le"))
    csv = "code,kind,name,legal_rep_id_number\n91320102MA0079192H,enterprise,演示,¹1010519491231002X\n"
    _good, problems = check(parse(csv.encode(), "subjects.csv"))
    assert [p.field for p in problems] == ["legal_rep_id_number"]


@pytest.mark.parametrize("url", ["https://hall.example.gov = [.cn", "https://[::1/", "https://hall.example.gov:99999/",
                                 "https://hall.example.gov:port/"])
def test_kiosk_toml_hall_url_that_urlsplit_refuses_is_a_config_error(tmp_path, url):
    # urlsplit raises ValueError for a stray "[" and .port for a bad port: it escaped load_config.
    from kiosk.config import ConfigError, load_config

    p = tmp_path / "kiosk.toml"
    p.write_text(f'[hall]\nurl = "{url}"\n', "utf-8")
    with pytest.raises(ConfigError, match="hall.url"):
        load_config(p)


@pytest.mark.parametrize("payload", ["https://[x", "http://gsxt.gov.cn]/x", "https://a.b/c?t=[::1"])
def test_business_licence_qr_urlsplit_refuses_is_404_not_500(sqlite_hall_for_fuzz, payload):
    # resolve_licence passed the QR to urlsplit, whose ValueError ("Invalid IPv6 URL") became a 500
    # on POST /api/v1/identity/business-licence and on a credit report with that licence_qr.
    import requests

    hall = sqlite_hall_for_fuzz
    r = requests.post(f"{hall.base_url}/api/v1/identity/business-licence", json={"payload": payload},
                      headers=hall.headers, timeout=10)
    assert r.status_code == 404, r.text
    body = {"subject": {"kind": "enterprise", "code": "91320102MA0079192H"},
            "requester": {"name": "张三", "id_number": "11010519491231002X"}, "licence_qr": payload}
    r = requests.post(f"{hall.base_url}/api/v1/credit-reports", json=body, headers=hall.headers, timeout=10)
    assert 400 <= r.status_code < 500, r.text


@pytest.fixture
def sqlite_hall_for_fuzz(tmp_path):
    from tests.integration.conftest import start_hall

    server, running = start_hall(tmp_path, None, "sqlite")
    server.import_credit(REPO_ROOT / "hall" / "sample_data" / "credit_sample.json")
    try:
        yield running
    finally:
        server.stop()
