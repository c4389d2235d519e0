"""HTTPS between the kiosk and the hall, for real on 127.0.0.1: a CA and certificates made in the
test (tests/integration/tls_pki.py), the hall served by uvicorn with the hall's own TLS settings
(hall.toml tls_certfile/tls_keyfile), the kiosk configured through kiosk.toml ([hall] ca_file,
pin_sha256) exactly as a technician would.

- good certificate (CA file, SPKI pin, certificate fingerprint pin): the application is delivered;
- expired / wrong host / another CA / pin mismatch / expired with a pin: the controller says the
  network is down (the queued outcome: "网络异常…" on the done screen, the 待上传回执) and the
  application waits in the outbox; the hall has received nothing;
- renewing the expired certificate delivers the queued application, once;
- nothing in the clear: an https hall redirecting to http:// — a plain HTTP listener sees no
  request from the kiosk (while a plain `requests` client does follow it there).
"""
from __future__ import annotations

import contextlib
import dataclasses
import http.server
import socket
import ssl
import threading
import uuid

import pytest
import requests
import uvicorn
from sqlalchemy import func, select

from hall import db as hall_db
from hall.app import create_app
from hall.embedded import EmbeddedHall
from kiosk import session as S
from kiosk.delivery import send_outbox_item
from kiosk.clock import SystemClock
from kiosk.config import ConfigError, hall_tls, load_config
from kiosk.controller import Controller, ControllerSettings
from kiosk.domain.catalogue import Catalog, Matter
from kiosk.outbox import OutboxItem, OutboxSender, SqliteOutbox
from kiosk.platform import HallHttpClient
from kiosk.ports import HallUnavailable
from kiosk.tls import pins_of
from tests.integration.conftest import CATALOG_DIR, HWGG, SAMPLE_ID_NUMBER, SAMPLE_NAME, SAMPLE_PHONE
from tests.integration.tls_pki import Pki
from tests.unit.conftest import MATTER, SIGNED, make_card
from tests.unit.test_controller import FakePrinter, walk_to_review, watch

TERMINAL = "T-TLS-1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def hall_data(tmp_path_factory):
    """The hall's database with one enrolled terminal; each test serves it with some certificate."""
    eh = EmbeddedHall(tmp_path_factory.mktemp("hall"), CATALOG_DIR)
    token = eh.enrol_terminal(TERMINAL, "TLS 测试终端", "一楼大厅")
    yield eh, token
    eh.stop()


def _listen(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    return sock


@contextlib.contextmanager
def tls_hall(hall_data, issued, port: int = 0):
    """The hall app over HTTPS with `issued` as its certificate, through HallSettings' TLS keys
    (checked at construction) and the uvicorn arguments `hall serve` uses."""
    eh, _ = hall_data
    settings = dataclasses.replace(eh.settings, tls_certfile=str(issued.cert), tls_keyfile=str(issued.key))
    app = create_app(settings, upgrade=True)
    sock = _listen(port)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2,
                            **settings.uvicorn_tls())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    for _ in range(200):
        if server.started:
            break
        thread.join(0.05)
    assert server.started, "the TLS hall did not start"
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.db.dispose()


def applications_at_hall(hall_data) -> int:
    eh, _ = hall_data
    d = hall_db.Database(eh.database_url)
    with d.session() as s:
        n = s.scalar(select(func.count()).select_from(hall_db.ApplicationRecord))
    d.dispose()
    return n


def kiosk_toml(tmp_path, url: str, token: str, **hall_keys) -> object:
    """A kiosk.toml as a technician writes it, loaded and checked by kiosk.config."""
    lines = ["[terminal]", f'id = "{TERMINAL}"', "[hall]", f'url = "{url}"', f'token = "{token}"',
             "connect_timeout_s = 2", "read_timeout_s = 5"]
    lines += [f'{k} = "{v}"' for k, v in hall_keys.items()]
    path = tmp_path / f"kiosk-{uuid.uuid4().hex[:6]}.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return load_config(path)


def client_for(cfg, tmp_path) -> HallHttpClient:
    return HallHttpClient(cfg.hall.url, cfg.hall.token, cfg.terminal.id, cache_dir=tmp_path,
                          connect_timeout_s=cfg.hall.connect_timeout_s, read_timeout_s=cfg.hall.read_timeout_s,
                          tls=hall_tls(cfg.hall))


def sample_application():
    from kiosk.domain.application import Applicant, Application
    return Application(matter_code=HWGG, matter_version=1,
                       applicant=Applicant(SAMPLE_NAME, SAMPLE_ID_NUMBER, SAMPLE_PHONE),
                       fields={"applicant_name": SAMPLE_NAME, "applicant_id_number": SAMPLE_ID_NUMBER,
                               "phone": SAMPLE_PHONE, "site_address": "玄武区长江路1号沿街外墙",
                               "carrier": "墙面附着式", "size": "6×3", "period": "1年"},
                       terminal_id=TERMINAL)


def outbox_and_sender(client, tmp_path):
    outbox = SqliteOutbox(tmp_path / f"outbox-{uuid.uuid4().hex[:6]}.sqlite3", SystemClock())
    return outbox, OutboxSender(outbox, send=lambda item: send_outbox_item(client, outbox, item))


# -- the good certificate ------------------------------------------------------------------------

@pytest.mark.parametrize("trust", ["ca_file", "spki_pin", "cert_pin", "ca_file_and_pin"])
def test_good_certificate_delivers_the_application(trust, pki, hall_data, tmp_path):
    spki, fingerprint = pins_of(pki.good.der)
    keys = {"ca_file": {"ca_file": pki.ca.cert}, "spki_pin": {"pin_sha256": spki},
            "cert_pin": {"pin_sha256": fingerprint},
            "ca_file_and_pin": {"ca_file": pki.ca.cert, "pin_sha256": f"{pins_of(pki.second_key.der)[0]}, {spki}"}}
    before = applications_at_hall(hall_data)
    with tls_hall(hall_data, pki.good) as port:
        cfg = kiosk_toml(tmp_path, f"https://127.0.0.1:{port}", hall_data[1], **keys[trust])
        client = client_for(cfg, tmp_path)
        outbox, sender = outbox_and_sender(client, tmp_path)
        key = uuid.uuid4().hex
        outbox.enqueue(key, "application", sample_application().to_json())
        result = sender.send_now(OutboxItem(key, "application", sample_application().to_json(), 0.0))
        assert result["application_no"]
        assert client.heartbeat({"app_version": "test"}) == []      # and the heartbeat, same session
        outbox.close()
    assert applications_at_hall(hall_data) == before + 1


# -- bad certificates: the terminal says the network is down and keeps the application -------------

class HallWithTestMatter:
    """The real HTTPS client for everything the controller sends; the catalogue is the unit tests'
    matter (walk_to_review knows its form), as a cached catalogue would provide it."""

    def __init__(self, client: HallHttpClient):
        self._client = client

    def catalog(self):
        return Catalog((Matter.from_dict(MATTER),))

    def __getattr__(self, name):
        return getattr(self._client, name)


def submit_through_controller(client, tmp_path):
    """A visit up to 确认提交 and the signature; returns (done snapshot, outbox, printer)."""
    outbox = SqliteOutbox(tmp_path / f"outbox-{uuid.uuid4().hex[:6]}.sqlite3", SystemClock())
    hall = HallWithTestMatter(client)
    sender = OutboxSender(outbox, lambda item: send_outbox_item(hall, outbox, item))
    printer = FakePrinter()
    c = Controller(ControllerSettings(TERMINAL, "测试服务中心", S.Timeouts(60, 15, 30), tick_s=0.05),
                   hall, outbox, sender, printer, SystemClock())
    wait = watch(c)
    c.start()
    try:
        walk_to_review(c, wait, Matter.from_dict(MATTER), make_card())
        c.post(S.Confirm())
        c.post(S.Sign(SIGNED))
        snap = wait(lambda s: s.screen == "done" and s.session.outcome.print_ok is not None, timeout=30)
    finally:
        c.stop()
    return snap, outbox, printer


BAD = {
    # served certificate, kiosk trust settings, what the log line names
    "expired": ("expired", lambda pki: {"ca_file": pki.ca.cert}),
    "wrong_host": ("wrong_host", lambda pki: {"ca_file": pki.ca.cert}),
    "another_ca": ("from_other_ca", lambda pki: {"ca_file": pki.ca.cert}),
    "pin_mismatch": ("good", lambda pki: {"pin_sha256": pins_of(pki.second_key.der)[0]}),
    "pin_mismatch_with_ca": ("good", lambda pki: {"ca_file": pki.ca.cert,
                                                  "pin_sha256": pins_of(pki.second_key.der)[1]}),
    "expired_but_pinned": ("expired", lambda pki: {"pin_sha256": pins_of(pki.expired.der)[0]}),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_certificate_queues_and_says_network_down(case, pki, hall_data, tmp_path):
    served, trust = BAD[case]
    before = applications_at_hall(hall_data)
    with tls_hall(hall_data, getattr(pki, served)) as port:
        cfg = kiosk_toml(tmp_path, f"https://127.0.0.1:{port}", hall_data[1], **trust(pki))
        client = client_for(cfg, tmp_path)
        with pytest.raises(HallUnavailable, match="SSLError"):
            client.heartbeat({"app_version": "test"})
        snap, outbox, printer = submit_through_controller(client, tmp_path)
    outcome = snap.session.outcome
    # the done screen's queued outcome: "网络异常。您的申请已安全保存在本机，网络恢复后自动上报…"
    assert outcome.queued and outcome.application_no.startswith("DS")
    assert printer.docs[0].title == "待上传回执" and "网络异常" in printer.docs[0].plain_text() and "网络恢复后自动上报" in printer.docs[0].plain_text()
    kinds = [i.kind for i in outbox.pending()]
    assert kinds[0] == "application" and outbox.pending()[0].key == outcome.key
    outbox.close()
    assert applications_at_hall(hall_data) == before          # nothing reached the hall


def test_renewed_certificate_delivers_what_waited(pki, hall_data, tmp_path):
    """The hall's certificate expired: submissions wait; the technician installs the renewed one
    and restarts the hall on the same address; the outbox delivers them, once."""
    before = applications_at_hall(hall_data)
    with tls_hall(hall_data, pki.expired) as port:
        cfg = kiosk_toml(tmp_path, f"https://127.0.0.1:{port}", hall_data[1], ca_file=pki.ca.cert)
        client = client_for(cfg, tmp_path)
        outbox, sender = outbox_and_sender(client, tmp_path)
        key = uuid.uuid4().hex
        outbox.enqueue(key, "application", sample_application().to_json())
        assert sender.drain_once() is False
        assert outbox.pending_count() == 1
    with tls_hall(hall_data, pki.good, port=port):
        assert sender.drain_once() is True
        assert sender.drain_once() is True        # nothing left, nothing sent twice
    assert outbox.pending_count() == 0 and outbox.result(key)["application_no"]
    outbox.close()
    assert applications_at_hall(hall_data) == before + 1


# -- never in the clear ------------------------------------------------------------------------------

class PlainListener:
    """A plain-HTTP listener that records every request line it receives."""

    def __init__(self):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                outer.requests.append(self.requestline)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"application_no": "LEAKED", "status": "submitted"}')
            do_POST = do_GET = do_PUT = _any

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def redirecting_tls_server(issued, to: str):
    """A TLS server with a good certificate that answers every request 307 -> `to`."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def _any(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(307)
            self.send_header("Location", to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        do_POST = do_GET = do_PUT = _any

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(issued.cert, issued.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_redirect_to_plain_http_is_not_followed(pki, hall_data, tmp_path):
    plain = PlainListener()
    try:
        with redirecting_tls_server(pki.good, f"http://127.0.0.1:{plain.port}") as port:
            url = f"https://127.0.0.1:{port}"
            # the listener works: a plain requests client follows the redirect into the clear
            r = requests.post(url + "/api/v1/applications", json={"probe": 1}, verify=str(pki.ca.cert), timeout=5)
            assert r.json()["application_no"] == "LEAKED" and len(plain.requests) == 1
            cfg = kiosk_toml(tmp_path, url, hall_data[1], ca_file=pki.ca.cert)
            client = client_for(cfg, tmp_path)
            outbox, sender = outbox_and_sender(client, tmp_path)
            key = uuid.uuid4().hex
            outbox.enqueue(key, "application", sample_application().to_json())
            assert sender.drain_once() is False            # "unexpected redirect": kept for later
            with pytest.raises(HallUnavailable, match="redirect"):
                client.heartbeat({"app_version": "test"})
            assert outbox.pending_count() == 1
            outbox.close()
        assert len(plain.requests) == 1, plain.requests  # the kiosk sent nothing in the clear
    finally:
        plain.close()


def test_plain_http_client_refuses_http_urls_once_the_hall_is_https(pki, tmp_path):
    """Even a mistaken http:// URL built by code goes nowhere when the hall is https."""
    plain = PlainListener()
    try:
        client = HallHttpClient("https://127.0.0.1:9", "t", TERMINAL, tmp_path, tls=hall_tls(
            kiosk_toml(tmp_path, "https://127.0.0.1:9", "t", ca_file=pki.ca.cert).hall))
        with pytest.raises(requests.ConnectionError, match="in the clear"):
            client._http.post(f"http://127.0.0.1:{plain.port}/api/v1/applications", json={"x": 1}, timeout=3)
        assert plain.requests == []
    finally:
        plain.close()


# -- kiosk.toml: the errors a technician sees ----------------------------------------------------------

def test_config_refuses_plain_http_and_names_the_fix(pki, tmp_path):
    with pytest.raises(ConfigError, match=r"hall\.url: plain http:// to 10\.1\.2\.3 would send ID numbers in the clear; "
                                          r"use https://10\.1\.2\.3:8700"):
        kiosk_toml(tmp_path, "http://10.1.2.3:8700", "t")
    kiosk_toml(tmp_path, "http://127.0.0.1:8700", "t")          # loopback: a local proxy or test hall
    with pytest.raises(ConfigError, match=r"hall\.ca_file / hall\.pin_sha256: set, but hall\.url is http://"):
        kiosk_toml(tmp_path, "http://127.0.0.1:8700", "t", ca_file=pki.ca.cert)
    with pytest.raises(ConfigError, match=r"kiosk-\w+\.toml: hall\.ca_file: cannot read /nonexistent/ca\.pem"):
        kiosk_toml(tmp_path, "https://hall.example.org", "t", ca_file="/nonexistent/ca.pem")
    with pytest.raises(ConfigError, match=r"hall\.ca_file: .*ca\.key holds no PEM certificate"):
        kiosk_toml(tmp_path, "https://hall.example.org", "t", ca_file=str(pki.ca.key))
    with pytest.raises(ConfigError, match=r"hall\.pin_sha256: 'abc': expected sha256//<base64>"):
        kiosk_toml(tmp_path, "https://hall.example.org", "t", pin_sha256="abc")
    with pytest.raises(ConfigError, match=r"hall\.pin_sha256: 'sha256//AAAA': a SHA-256 digest is 32 bytes"):
        kiosk_toml(tmp_path, "https://hall.example.org", "t", pin_sha256="sha256//AAAA")


# -- hall.toml: the hall serving TLS itself ---------------------------------------------------------

def test_hall_tls_settings_are_checked_at_start(pki, tmp_path):
    from hall.config import ConfigError as HallConfigError
    from hall.config import load_config as load_hall

    base = ('host = "127.0.0.1"\nport = 8700\ndatabase_url = "sqlite:///x.db"\ncatalog_dir = "config/catalog"\n'
            'hall_name = "测试"\n')
    path = tmp_path / "hall.toml"

    def hall_toml(extra: str):
        path.write_text(base + extra, "utf-8")
        return load_hall(path)

    s = hall_toml(f'tls_certfile = "{pki.good.cert}"\ntls_keyfile = "{pki.good.key}"\n')
    assert s.uvicorn_tls() == {"ssl_certfile": str(pki.good.cert), "ssl_keyfile": str(pki.good.key)}
    assert hall_toml("").uvicorn_tls() == {}
    with pytest.raises(HallConfigError, match=r"hall\.toml: tls_keyfile: tls_certfile and tls_keyfile go together"):
        hall_toml(f'tls_certfile = "{pki.good.cert}"\n')
    with pytest.raises(HallConfigError, match=r"hall\.toml: tls_keyfile: /nope\.key: file not found"):
        hall_toml(f'tls_certfile = "{pki.good.cert}"\ntls_keyfile = "/nope.key"\n')
    with pytest.raises(HallConfigError, match=r"hall\.toml: tls_certfile: .*not a PEM certificate and its matching key"):
        hall_toml(f'tls_certfile = "{pki.good.cert}"\ntls_keyfile = "{pki.second_key.key}"\n')
