"""Several real hall instances (`hall serve`, each its own uvicorn process) on one PostgreSQL,
with nginx in front using the shipped config/nginx/hall-cluster.conf: shared by
tests/integration/test_hall_cluster.py and tests/bench/bench_hall_cluster.py.

The nginx site file is used as shipped; only what a technician edits (the instances' addresses,
the listen line, the certificate paths, the log path) is replaced, and a minimal nginx.conf gives
it the http {} context sites-enabled gives it. Without a certificate the listen line loses `ssl`
and the ssl_* lines go (the benchmark: nginx's TLS work would only blur the hall's figures).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = REPO / "config" / "nginx" / "hall-cluster.conf"
EXAMPLE_SERVERS = ("server 127.0.0.1:8701", "server 127.0.0.1:8702", "server 127.0.0.1:8703")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}: {log.read_text()[-3000:] if log else ''}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s: {log.read_text()[-3000:] if log else ''}")


def hall_toml(path: Path, url: str, port: int, name: str = "集群测试") -> Path:
    path.write_text(f'host = "127.0.0.1"\nport = {port}\ndatabase_url = "{url}"\n'
                    f'catalog_dir = "{REPO / "config" / "catalog"}"\nhall_name = "{name}"\n'
                    f'holidays_dir = "{REPO / "config" / "holidays"}"\ncluster = true\n', "utf-8")
    return path


class Instance:
    def __init__(self, index: int, url: str, workdir: Path):
        self.index, self.port = index, free_port()
        self.dir = workdir / f"instance{index}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = hall_toml(self.dir / "hall.toml", url, self.port)
        self.log = self.dir / "hall.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Instance":
        self.proc = subprocess.Popen([sys.executable, "-m", "hall.cli", "serve", "--config", str(self.config)],
                                     cwd=REPO, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"),
                                     start_new_session=True)
        return self

    def wait(self) -> None:
        wait_http(f"{self.base_url}/healthz", proc=self.proc, log=self.log)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to PostgreSQL (its sessions and locks die with the TCP link)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    @property
    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None and self.proc.poll() is None else []


def nginx_site(ports: list[int], listen: int, workdir: Path, tls: tuple[Path, Path] | None,
               extra_location: str = "") -> str:
    """config/nginx/hall-cluster.conf with a technician's edits."""
    site = SITE.read_text("utf-8")
    servers = [line for line in site.splitlines() if re.match(r"\s*server 127\.0\.0\.1:870\d", line)]
    assert len(servers) == len(EXAMPLE_SERVERS), f"{SITE.name}: expected three example upstream servers"
    block = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    site = site.replace("\n".join(servers), block)
    assert "listen 443 ssl;" in site and "/var/log/nginx/" in site
    if tls is None:
        site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen};")
        site = "\n".join(line for line in site.splitlines() if not line.strip().startswith(("ssl_", "add_header Strict")))
    else:
        site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;")
        site = site.replace("/etc/bianmin/tls/hall.crt", str(tls[0])).replace("/etc/bianmin/tls/hall.key", str(tls[1]))
    site = re.sub(r"\s*listen 80;", f"\n    listen 127.0.0.1:{free_port()};", site)
    site = site.replace("/var/log/nginx/", f"{workdir}/")
    if extra_location:
        site = site.replace("location / {", "location / {\n        " + extra_location, 1)
    return site


class Nginx:
    def __init__(self, workdir: Path, ports: list[int], tls: tuple[Path, Path] | None = None,
                 extra_location: str = ""):
        self.dir = workdir / "nginx"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        (self.dir / "site.conf").write_text(nginx_site(ports, self.port, self.dir, tls, extra_location), "utf-8")
        temp = {k: self.dir / k for k in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for d in temp.values():
            d.mkdir(exist_ok=True)
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(f"""
daemon off;
master_process off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {self.dir}/site.conf;
}}
""", "utf-8")
        self.proc: subprocess.Popen | None = None

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run([NGINX, "-t", "-p", str(self.dir), "-c", str(self.conf), "-e", str(self.dir / "error.log")],
                              capture_output=True, text=True, timeout=30)

    def start(self) -> "Nginx":
        self.proc = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.conf), "-e", str(self.dir / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.dir / "error.log").read_text())
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.05)
        raise RuntimeError("nginx did not listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Cluster:
    """n instances of `hall serve` (cluster = true) on `url`, and nginx in front of them."""

    def __init__(self, url: str, n: int, workdir: Path, tls: tuple[Path, Path] | None = None,
                 extra_location: str = ""):
        self.instances = [Instance(i, url, workdir) for i in range(n)]
        self.nginx = Nginx(workdir, [i.port for i in self.instances], tls, extra_location)
        self.tls = tls

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.nginx.port}"

    def start(self) -> "Cluster":
        try:
            for i in self.instances:
                i.start()
            for i in self.instances:
                i.wait()
            self.nginx.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.nginx.stop()
        for i in self.instances:
            i.stop()

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
