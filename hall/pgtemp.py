"""A throw-away PostgreSQL cluster on 127.0.0.1, for tests and benchmarks.

Installs nothing: it uses the server binaries of Debian's `postgresql` package
(/usr/lib/postgresql/<version>/bin) and runs initdb + pg_ctl in a temporary directory on a free
port, with trust authentication on loopback only. PostgreSQL refuses to run as root, so when we
are root (CI) the cluster runs as the `postgres` system user the package creates.

    with TempPostgres() as pg:
        url = pg.create_database("t1")          # postgresql+psycopg://hall@127.0.0.1:PORT/t1
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (install Debian's `postgresql`)."""


def find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresUnavailable("PostgreSQL server binaries not found (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    def __init__(self, durable: bool = False):
        """durable=False turns fsync off: fine for tests, whose data is thrown away."""
        self.bindir = find_bindir()
        self.durable = durable
        self.port = 0
        self.dir: Path | None = None
        self._user = None

    @property
    def data(self) -> Path:
        return self.dir / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://hall@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        kwargs = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid}
        r = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=self.dir, **kwargs)
        if r.returncode != 0:
            log = self.dir / "postgres.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{Path(args[0]).name} failed ({r.returncode}): {r.stderr.strip()[-1500:]}\n{tail}")

    def start(self) -> "TempPostgres":
        self.dir = Path(tempfile.mkdtemp(prefix="hall-pg-"))
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no `postgres` user to run the server as") from None
            os.chown(self.dir, self._user.pw_uid, self._user.pw_gid)
        self.port = _free_port()
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "hall", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.dir}",
                   "-c max_connections=200", "-c shared_buffers=128MB"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "postgres.log"),
                  "-o", " ".join(options), "-w", "-t", "60", "start")
        return self

    def create_database(self, name: str, template: str | None = None) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=hall dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=hall dbname=postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.dir is None:
            return
        if (self.data / "postmaster.pid").exists():
            try:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError as e:
                print(f"TempPostgres: stop failed: {e}")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> "TempPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
