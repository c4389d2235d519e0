"""Fuzz targets (issue #12, "Bad input"): each takes arbitrary bytes, runs one input parser of
the terminal or the hall on them, and lets through only that module's own typed errors.

Anything else escaping a target (TypeError, KeyError, IndexError, RecursionError, ...) is a
bug: the fuzzer (tests/fuzz/runner.py, atheris) stops and saves the input. A target also fails
on a broken promise even when nothing is raised (e.g. a decoder holding more bytes than a frame
can have, a shown preview still carrying a control character).

"Own typed error", per module (docs/reliability.md lists them too):
  ga467 framer / reply parser      ga467.ProtocolError (FrameError, ChecksumError, LengthError);
                                   FrameDecoder.feed itself never raises
  card text / read data            codes.CardDataError (a ProtocolError and ValueError)
  scanned-payload classifier       none: scan_result() never raises
  kiosk.toml loader                kiosk.config.ConfigError
  hall.toml loader                 hall.config.ConfigError (a ValueError)
  catalogue TOML                   kiosk.domain.catalogue.CatalogError (hall.catalog_store.load_matter,
                                   Matter.from_dict / Catalog.from_json); hall.catalog_check never raises
  credit import files              hall.credit_import.ImportError_ (a ValueError); check() never raises
  hall API bodies                  pydantic.ValidationError (hall.schemas models); for the json.loads
                                   step FastAPI runs first: json.JSONDecodeError / UnicodeDecodeError
                                   and RecursionError, which FastAPI answers 400/422 (tested over HTTP)
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Target:
    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]
    instrument: tuple[str, ...]            # modules whose bytecode atheris instruments for coverage
    typed: str                             # the errors let through, for the report
    share: int                             # inputs in the full 10^6 run
    max_len: int = 4096
    dictionary: tuple[bytes, ...] = ()     # tokens libFuzzer splices in (preamble, TOML keys, ...)
    setup: Callable[[], None] | None = None
    postgres: bool = False                 # needs FUZZ_HALL_DATABASE_URL: a database the caller provides


class BrokenPromise(AssertionError):
    """The module returned, but what it returned breaks its documented promise."""


# -- scratch files (the loaders take a path): one folder per process, rewritten per input -------
# The runner points FUZZ_SCRATCH into its work folder (libFuzzer ends with exit(): no clean-up
# runs there); anywhere else a temporary folder is made on first use and removed at exit.

_SCRATCH: Path | None = None


def _scratch(name: str, data: bytes) -> Path:
    global _SCRATCH
    if _SCRATCH is None:
        if os.environ.get("FUZZ_SCRATCH"):
            _SCRATCH = Path(os.environ["FUZZ_SCRATCH"])
            _SCRATCH.mkdir(parents=True, exist_ok=True)
        else:
            _SCRATCH = Path(tempfile.mkdtemp(prefix="fuzz-scratch-"))
            atexit.register(shutil.rmtree, _SCRATCH, True)
    p = _SCRATCH / name
    p.write_bytes(data)
    return p


# -- GA 467 frames ------------------------------------------------------------------------------

def _ga467(data: bytes) -> None:
    from drivers.idcard import ga467

    # The first byte cuts the rest into chunks, as reads from a serial port would.
    step = (data[0] % 37 + 1) if data else 1
    data = data[1:]
    dec = ga467.FrameDecoder()
    for i in range(0, len(data), step):
        for payload in dec.feed(data[i:i + step]):
            try:
                reply = ga467.parse_reply(payload)
                _ = (reply.status, reply.kind, reply.message)
            except ga467.ProtocolError:
                pass
        errors = dec.take_errors()
        if not all(isinstance(e, ga467.FrameError) for e in errors):
            raise BrokenPromise(f"decoder reported {errors!r}")
        if dec.pending > ga467.HEADER_LEN + ga467.MAX_LEN:
            raise BrokenPromise(f"decoder holds {dec.pending} bytes, more than one frame")
    dec.reset()
    if dec.pending:
        raise BrokenPromise("reset() kept bytes")


def _ga467_seeds() -> list[bytes]:
    from drivers.idcard import ga467
    from drivers.idcard.card_text import encode_card_text
    from drivers.idcard.fixtures import SAMPLE_CARDS
    from drivers.idcard.read_data import build_read_data

    card = next(iter(SAMPLE_CARDS.values()))
    read = ga467.build_reply(0x90, build_read_data(encode_card_text(card), bytes(1024)))
    return [b"\x05" + ga467.build_command(*ga467.FIND) + ga467.build_reply(0x9F, b"\x00" * 4),
            b"\x01" + ga467.build_reply(0x80) + b"\xaa\xaa" + ga467.build_reply(0x90, b"abc"),
            b"\x24" + read, b"\x10" + read[:300] + read]


# -- card text and the read-reply data around it -----------------------------------------------

def _card_text(data: bytes) -> None:
    from drivers.idcard.card_text import decode_card_text, encode_card_text
    from drivers.idcard.codes import CardDataError
    from drivers.idcard.read_data import format_sam_id, parse_new_address, split_read_data

    for attempt in (
        lambda: decode_card_text(data[:256]),
        lambda: decode_card_text(split_read_data(data, False).text),
        lambda: decode_card_text(split_read_data(data, True).text),
        lambda: parse_new_address(data[:70]),
        lambda: format_sam_id(data[:16]),
    ):
        try:
            out = attempt()
        except CardDataError:
            continue
        if hasattr(out, "id_number"):
            # A card the decoder accepted must survive the simulator's encoder unchanged.
            try:
                again = decode_card_text(encode_card_text(out))
            except ValueError:          # a value the encoder cannot write (e.g. over-long): fine
                continue
            if again != out:
                raise BrokenPromise(f"decode(encode(card)) differs: {again!r} != {out!r}")


def _card_seeds() -> list[bytes]:
    from drivers.idcard.card_text import encode_card_text
    from drivers.idcard.fixtures import SAMPLE_CARDS
    from drivers.idcard.read_data import build_new_address, build_read_data, build_sam_id

    cards = list(SAMPLE_CARDS.values())
    seeds = [encode_card_text(c) for c in cards]
    seeds += [build_read_data(encode_card_text(c), bytes(1024)) for c in cards[:2]]
    seeds += [build_read_data(encode_card_text(cards[0]), bytes(64), bytes(32)),
              build_new_address("北京市东城区景山前街4号"), build_sam_id(5, 1, 20101010, 12345678, 1234567890)]
    return seeds


# -- scanned payloads ----------------------------------------------------------------------------

_HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"}


def _payload(data: bytes) -> None:
    from kiosk.domain.payload import ECI_CODECS, scan_result

    # First byte: 0 = no ECI; otherwise split the rest into up to 3 segments with ECIs from it.
    segments = None
    if data and data[0] & 1:
        ecis = [None, *sorted(ECI_CODECS), 899, 14, 1000]
        body, n = data[1:], 1 + data[0] % 3
        cut = max(1, len(body) // n)
        segments = [(ecis[(data[0] >> 1) * (k + 3) % len(ecis)], body[k * cut:(k + 1) * cut if k < n - 1 else None])
                    for k in range(n)]
        data = body
    scan = scan_result(data, segments, "fuzz")
    shown = scan.payload.preview
    if len(shown) > 48 * 10 + 1 or any(unicodedata.category(c) in _HIDDEN for c in shown):
        raise BrokenPromise(f"preview not safe to show: {shown!r}")
    _ = scan.payload.message


def _payload_seeds() -> list[bytes]:
    from kiosk.domain.application_no import make_application_no
    import datetime as dt

    return [b"\x00" + make_application_no(dt.date(2026, 11, 28), 7).encode(),
            b"\x00http://www.gsxt.gov.cn/index.html?uniscid=91320102MA0079192H",
            b"\x00https://zj.gsxt.gov.cn/%7BABCDEF%7D", b"\x0091320102MA0079192H\r\n",
            b"\x00" + "电子营业执照".encode("gb18030"), b"\x00" + "ﾃﾞｻﾞｲﾝ".encode("shift_jis"),
            b"\x03" + "受理回执".encode("utf-8"), b"\x00\xff\xfe\x00\x01\x02", b"\x00http://[::1/x"]


# -- kiosk.toml and hall.toml ---------------------------------------------------------------------

def _kiosk_toml(data: bytes) -> None:
    import math

    from kiosk.config import ConfigError, load_config

    try:
        cfg = load_config(_scratch("kiosk.toml", data))
    except ConfigError:
        return
    for section in ("terminal", "hall", "idcard", "printer", "scanner"):
        for k, v in vars(getattr(cfg, section)).items():
            if isinstance(v, float) and not (math.isfinite(v) and v > 0):
                raise BrokenPromise(f"{section}.{k} = {v} accepted")


def _hall_toml(data: bytes) -> None:
    from hall.config import ConfigError, load_config

    try:
        load_config(_scratch("hall.toml", data))
    except ConfigError:
        pass


def _file_seeds(*paths: str) -> Callable[[], list[bytes]]:
    return lambda: [(REPO / p).read_bytes() for p in paths]


_TOML_WORDS = (b"[terminal]", b"[hall]", b"[idcard]", b"[printer]", b"[scanner]", b"[ui]", b"[storage]",
               b" = ", b"\"\"\"", b"'''", b"nan", b"inf", b"-inf", b"true", b"1979-05-27T07:32:00Z",
               b"[[materials]]", b"[[form]]", b"[[steps]]", b"{ }", b"[ ]", b"0x7f", b"1e400")


# -- the catalogue -------------------------------------------------------------------------------

def _catalog_toml(data: bytes) -> None:
    from hall import catalog_check
    from hall.catalog_store import load_matter
    from kiosk.domain.catalogue import CatalogError

    path = _scratch("matter.toml", data)
    try:
        load_matter(path)
    except CatalogError:
        pass
    _d, text, problems = catalog_check._load(path)      # the validator's reading never raises
    if _d is not None:
        problems += catalog_check.check_matter(_d, str(path), text)


def _catalog_json(data: bytes) -> None:
    """The kiosk's side: the catalogue as JSON from GET /api/v1/catalog or its cache."""
    from kiosk.domain.catalogue import Catalog, CatalogError

    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return
    if not isinstance(doc, dict):
        return
    try:
        Catalog.from_json(doc)
    except CatalogError:
        pass


def _catalog_json_seeds() -> list[bytes]:
    from hall.catalog_store import load_catalog

    body = load_catalog(REPO / "config" / "catalog").body
    one = json.loads(body)
    return [body, json.dumps({"matters": one["matters"][:1]}, ensure_ascii=False).encode()]


# -- credit import -------------------------------------------------------------------------------

_CREDIT_NAMES = ("subjects.csv", "licences.csv", "penalties.csv", "dishonest.csv", "abnormal.csv",
                 "credit.json", "credit.JSON", "other.csv", "x.txt")


def _credit(data: bytes) -> None:
    from hall.credit_import import ImportError_, check, parse

    name = _CREDIT_NAMES[data[0] % len(_CREDIT_NAMES)] if data else "credit.json"
    try:
        parsed = parse(data[1:], name)
    except ImportError_:
        return
    check(parsed)


def _credit_seeds() -> list[bytes]:
    sample = (REPO / "hall" / "sample_data" / "credit_sample.json").read_bytes()
    csv_rows = ("行政相对人代码,处罚决定书文号,处罚类别,违法行为类型,处罚依据,处罚内容,处罚决定日期,状态,处罚机关,已修复\n"
                "91320102MA0079192H,玄市监罚〔2025〕12号,罚款,超范围经营,《条例》第十条,罚款1000元,2025-03-01,有效,玄武区市场监督管理局,是\n")
    subjects = "code,kind,name\n91320102MA0079192H,enterprise,南京演示科技有限公司\n"
    return [b"\x05" + sample, b"\x02" + csv_rows.encode(), b"\x00" + subjects.encode(),
            b"\x00\xef\xbb\xbf" + subjects.encode()]


# -- hall API request bodies (pydantic, directly) -----------------------------------------------

def _models():
    from hall import schemas

    return (schemas.ApplicationIn, schemas.HeartbeatIn, schemas.EvaluationIn, schemas.CreditReportIn,
            schemas.LicenceIn, schemas.MaterialIn, schemas.DeviceIn, schemas.ApplicantIn)


def _bodies(data: bytes) -> None:
    from pydantic import ValidationError

    models = _models()
    model = models[data[0] % len(models)] if data else models[0]
    body = data[1:]
    for validate in (model.model_validate_json,                          # pydantic's own JSON parser
                     lambda b: model.model_validate(json.loads(b))):     # what FastAPI does
        try:
            m = validate(body)
        except ValidationError:
            continue
        except (ValueError, RecursionError):       # json.loads' own errors; FastAPI answers 400/422
            continue
        # What was accepted must go back out (stored as JSON, echoed in answers) without failing.
        m.model_dump_json()
        json.dumps(m.model_dump(mode="json"), ensure_ascii=False)


def _bodies_seeds() -> list[bytes]:
    from hall import schemas

    models = _models()
    ex = {
        schemas.ApplicationIn: schemas._EXAMPLE_APPLICATION,
        schemas.HeartbeatIn: {"app_version": "0.1.0", "uptime_s": 12.5, "screen": "attract",
                              "devices": {"printer": {"state": "ok", "code": "", "detail": ""}},
                              "outbox_pending": 0, "interval_s": 15, "paper": "ok", "today": {"sessions": 3},
                              "extra": {"a": [1, {"b": None}]}},
        schemas.EvaluationIn: {"level": 1, "reasons": ["办理时间长"], "comment": "", "application_no": None,
                               "matter_code": "320102-XK-CG-001"},
        schemas.CreditReportIn: {"subject": {"kind": "person", "code": "11010519491231002X"},
                                 "requester": {"name": "张三", "id_number": "11010519491231002X"},
                                 "licence_qr": "", "purpose": "招投标"},
        schemas.LicenceIn: {"payload": "http://www.gsxt.gov.cn/index.html?uniscid=91320102MA0079192H"},
        schemas.MaterialIn: {"id": "sqb", "disposition": "window"},
        schemas.DeviceIn: {"state": "ok", "code": "", "detail": ""},
        schemas.ApplicantIn: {"name": "张三", "id_number": "11010519491231002X", "phone": "13800000000"},
    }
    return [bytes([i]) + json.dumps(ex[m], ensure_ascii=False).encode() for i, m in enumerate(models)] + \
        [b"\x01" + b"[" * 5000 + b"]" * 5000, b"\x01{\"x\":" + b"[" * 3000 + b"]" * 3000 + b"}"]


_JSON_WORDS = (b"\"matter_code\"", b"\"applicant\"", b"\"id_number\"", b"\"fields\"", b"\"materials\"",
               b"\"devices\"", b"\"state\"", b"\"level\"", b"\"subject\"", b"\"requester\"", b"\"payload\"",
               b"\"today\"", b"\"uptime_s\"", b"null", b"true", b"1e308", b"-0", b"\\u0000", b"\\ud800",
               b"\"11010519491231002X\"", b"NaN", b"Infinity")


# -- the registry --------------------------------------------------------------------------------

TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("ga467_frames", _ga467, _ga467_seeds, ("drivers.idcard.ga467",),
           "FrameError (collected); ProtocolError from parse_reply", 100_000, max_len=2400,
           dictionary=(b"\xaa\xaa\xaa\x96\x69", b"\x00\x03", b"\x10\x00", b"\x04\x0b")),
    Target("card_text", _card_text, _card_seeds,
           ("drivers.idcard.card_text", "drivers.idcard.layouts", "drivers.idcard.codes",
            "drivers.idcard.read_data", "drivers.idcard.resident_text", "kiosk.domain.identity"),
           "CardDataError", 200_000, max_len=2400,
           dictionary=(" ".encode("utf-16-le"), "J".encode("utf-16-le"), "I".encode("utf-16-le"),
                       "Y".encode("utf-16-le"), "长期".encode("utf-16-le"), "19491231".encode("utf-16-le"))),
    Target("scan_payload", _payload, _payload_seeds, ("kiosk.domain.payload", "kiosk.domain.application_no",
                                                      "kiosk.domain.serial_no"),
           "none (never raises)", 140_000, max_len=3000,
           dictionary=(b"http://", b"https://", b"gsxt.gov.cn", b"uniscid=", b"SL20", b"YY20", b"%7B")),
    Target("kiosk_toml", _kiosk_toml, _file_seeds("config/kiosk.toml", "config/kiosk.example.toml"),
           ("kiosk.config", "tomllib"), "kiosk.config.ConfigError", 70_000, dictionary=_TOML_WORDS),
    Target("hall_toml", _hall_toml, _file_seeds("config/hall.toml"), ("hall.config", "tomllib"),
           "hall.config.ConfigError", 70_000, dictionary=_TOML_WORDS),
    Target("catalog_toml", _catalog_toml, _file_seeds("config/catalog/hwgg-szsp.toml", "config/catalog/gzf-sq.toml"),
           ("hall.catalog_store", "hall.catalog_check", "kiosk.domain.catalogue", "tomllib"),
           "CatalogError (load_matter); catalog_check reports, never raises", 60_000, max_len=16_000,
           dictionary=_TOML_WORDS),
    Target("catalog_json", _catalog_json, _catalog_json_seeds, ("kiosk.domain.catalogue",),
           "CatalogError", 40_000, max_len=64_000, dictionary=_JSON_WORDS),
    Target("credit_import", _credit, _credit_seeds, ("hall.credit_import",), "ImportError_; check() never raises",
           100_000, max_len=8000, dictionary=(b"\"subjects\"", b"\"penalties\"", b",", b"\"\"", b"\r\n", b"\x00")),
    Target("hall_bodies", _bodies, _bodies_seeds, ("hall.schemas",),
           "pydantic ValidationError (json.loads errors before it)", 170_000, max_len=16_000,
           dictionary=_JSON_WORDS),
    Target("hall_http", lambda data: _http().run(data), lambda: _http().seeds(),
           ("hall.schemas", "hall.routers.applications", "hall.routers.credit", "hall.routers.evaluations",
            "hall.routers.terminals", "hall.applications", "hall.credit"),
           "any 4xx with a JSON detail (413 plain text); never 5xx", 40_000, max_len=65_000,
           dictionary=_JSON_WORDS, setup=lambda: _http().setup()),
    Target("hall_http_pg", lambda data: _http().run(data), lambda: _http().seeds(),
           ("hall.schemas", "hall.routers.applications", "hall.routers.credit", "hall.routers.evaluations",
            "hall.routers.terminals", "hall.applications", "hall.credit"),
           "as hall_http, on PostgreSQL", 10_000, max_len=65_000,
           dictionary=_JSON_WORDS, setup=lambda: _http().setup(postgres=True), postgres=True),
)}


def _http():
    from tests.fuzz import http_target

    return http_target
