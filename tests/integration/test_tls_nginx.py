"""config/nginx/hall.conf, the shipped reverse-proxy example, for real: `nginx -t` accepts it, and a
kiosk (https, the hall's CA in kiosk.toml) heartbeats, submits and uploads a 2.7 MB material photo
through it to a hall on plain HTTP on 127.0.0.1; plain HTTP is redirected to https.

The file is used as shipped; only what a technician edits (ports, certificate paths, the log
path) is replaced, and the wrapper nginx.conf gives it the http {} context sites-enabled gives it.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from kiosk.delivery import send_outbox_item
from kiosk.clock import HallTime, SystemClock
from kiosk.config import hall_tls
from kiosk.controller import material_key, material_payload
from kiosk.domain import materials as M
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.platform import HallHttpClient
from tests.integration.test_tls_hall import kiosk_toml, pki, sample_application  # noqa: F401 (pki: fixture)

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX) and not os.environ.get("CI"),
                                reason="nginx is not installed (make bootstrap installs nginx-light)")


def noisy_jpeg(w: int, h: int) -> bytes:
    """A real JPEG that compresses badly (noise), so it is as big as a detailed photo."""
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.frombytes("RGB", (w, h), os.urandom(w * h * 3)).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_conf(tmp_path: Path, hall_port: int, cert: Path, key: Path) -> tuple[Path, int, int]:
    """The shipped example with a technician's edits, inside a minimal nginx.conf."""
    https, http = free_port(), free_port()
    site = (REPO / "config/nginx/hall.conf").read_text("utf-8")
    edits = {"server 127.0.0.1:8700;": f"server 127.0.0.1:{hall_port};",
             "listen 443 ssl;": f"listen 127.0.0.1:{https} ssl;",
             "listen 80;": f"listen 127.0.0.1:{http};",
             "/etc/bianmin/tls/hall.crt": str(cert), "/etc/bianmin/tls/hall.key": str(key),
             "/var/log/nginx/": f"{tmp_path}/"}
    for old, new in edits.items():
        assert old in site, f"config/nginx/hall.conf no longer has {old!r}"
        site = site.replace(old, new)
    (tmp_path / "hall.conf").write_text(site, "utf-8")
    temp = {k: tmp_path / k for k in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for d in temp.values():
        d.mkdir(exist_ok=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {tmp_path}/hall.conf;
}}
""", "utf-8")
    return conf, https, http


@contextlib.contextmanager
def running_nginx(conf: Path, https: int, tmp_path: Path):
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "error.log").read_text()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", https), timeout=0.2):
                break
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(10)


def test_nginx_accepts_the_example(sqlite_hall, pki, tmp_path):  # noqa: F811
    conf, _, _ = nginx_conf(tmp_path, sqlite_hall.server.port, pki.good.cert, pki.good.key)
    r = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "syntax is ok" in r.stderr and "test is successful" in r.stderr


def test_kiosk_through_nginx(sqlite_hall, pki, tmp_path):  # noqa: F811
    hall = sqlite_hall
    conf, https, http = nginx_conf(tmp_path, hall.server.port, pki.good.cert, pki.good.key)
    with running_nginx(conf, https, tmp_path):
        cfg = kiosk_toml(tmp_path, f"https://127.0.0.1:{https}", hall.token, ca_file=pki.ca.cert)
        hall_time = HallTime(SystemClock())
        client = HallHttpClient(cfg.hall.url, cfg.hall.token, hall.terminal_id, cache_dir=tmp_path,
                                tls=hall_tls(cfg.hall), hall_time=hall_time)
        assert client.heartbeat({"app_version": "test"}) == []
        assert abs(hall_time.offset_s()) < 1            # X-Hall-Time passes through the proxy
        assert client.catalog().matters                 # a GET with its ETag
        outbox = SqliteOutbox(tmp_path / "outbox.sqlite3", SystemClock())
        sender = OutboxSender(outbox, send=lambda item: send_outbox_item(client, outbox, item))
        key = uuid.uuid4().hex
        photo = noisy_jpeg(1800, 1300)                  # a large material photo (the hall's limit is 3 MiB)
        assert 2_000_000 < len(photo) < 3 * 1024 * 1024  # well over nginx's default 1 MB
        app = sample_application().to_json()
        app["terminal_id"] = hall.terminal_id
        outbox.enqueue_many([(key, "application", app),
                             (material_key(key, "cdqz"), "material",
                              material_payload(key, M.Attachment("cdqz", "image/jpeg", photo)))])
        assert sender.drain_once() is True
        assert outbox.pending_count() == 0
        no = outbox.result(key)["application_no"]
        assert outbox.result(material_key(key, "cdqz"))["size"] == len(photo)
        outbox.close()
        # a browser typing the bare name gets https
        r = requests.get(f"http://127.0.0.1:{http}/console/", allow_redirects=False, timeout=5)
        assert r.status_code == 301 and r.headers["Location"].startswith("https://")
    log = (tmp_path / "bianmin-hall.access.log").read_text()
    assert f"PUT /api/v1/applications/{no}/materials/cdqz" in log and "?" not in log
