"""A real hall in a background thread: uvicorn on 127.0.0.1 with a SQLite file (or a database URL).

`kiosk demo` runs one next to the kiosk, and integration tests run the kiosk's client and
outbox against one over real HTTP. The data lives in data_dir/hall.db (or the database given),
so stopping and starting again (same data_dir, same port) keeps every application, terminal and
command: that is how tests take the hall "offline" and bring it back. The schema is migrated
to the newest version on start.
"""
from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import uvicorn

from hall import db
from hall.app import create_app
from hall.config import HallSettings

HOST = "127.0.0.1"
log = logging.getLogger("hall.embedded")


class EmbeddedHall:
    def __init__(self, data_dir: Path, catalog_dir: Path, port: int = 0,
                 hall_name: str = "示例便民服务中心（演示）", database_url: str | None = None, **settings):
        """`settings`: further HallSettings fields, e.g. heartbeat_interval_s=1 for tests."""
        self.data_dir, self.catalog_dir = Path(data_dir), Path(catalog_dir)
        self.port = port                 # 0 until the first start picks one; then kept for restarts
        self.hall_name = hall_name
        self._database_url = database_url
        self._extra = settings
        self.base_url: str | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._db: db.Database | None = None
        self.app = None                  # the FastAPI app while running (tests reach app.state)

    @property
    def database_url(self) -> str:
        return self._database_url or f"sqlite:///{(self.data_dir / 'hall.db').resolve()}"

    @property
    def settings(self) -> HallSettings:
        s = HallSettings(host=HOST, port=self.port, database_url=self.database_url,
                         catalog_dir=self.catalog_dir, hall_name=self.hall_name)
        return dataclasses.replace(s, **self._extra)

    def start(self, timeout: float = 10.0) -> str:
        """Start serving and return the base URL once /healthz answers."""
        if self._thread is not None:
            raise RuntimeError("hall already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._move_legacy_database()
        app = create_app(self.settings, upgrade=True)   # raises here, in the caller's thread, on a broken catalogue
        self.app = app
        sock = _listen(self.port)
        self.port = sock.getsockname()[1]
        # log_config=None: leave the host program's logging alone; no access log (it would
        # carry query strings, which may hold ID numbers).
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                                timeout_graceful_shutdown=3)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"hall:{self.port}", daemon=True)
        self._thread.start()
        self.base_url = f"http://{HOST}:{self.port}"
        try:
            self._wait_healthy(timeout)
        except Exception:
            self.stop()
            sock.close()                 # uvicorn closes it on a normal shutdown, not if it never started
            raise
        return self.base_url

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down (open connections are closed), join the thread; the data stays on disk."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._thread = self._server = None
        self.base_url = None
        if self._db is not None:
            self._db.dispose()
            self._db = None

    def __enter__(self) -> "EmbeddedHall":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # Direct database access: works whether or not the server is running.

    def _database(self) -> db.Database:
        if self._db is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._move_legacy_database()
            self._db = db.Database(self.database_url)
            self._db.upgrade()
        return self._db

    def _move_legacy_database(self) -> None:
        # Demo data made by the walking skeleton (tables without Alembic): set it aside rather
        # than fail; it is demo data, and the file is kept for anyone who wants it.
        if self._database_url is not None:
            return
        path = self.data_dir / "hall.db"
        if not path.exists():
            return
        probe = db.Database(self.database_url)
        try:
            probe.check_schema()
        except db.SchemaError as e:
            if "pre-migration" in str(e):
                probe.dispose()
                aside = path.with_suffix(".db.pre-alembic")
                for suffix in ("", "-wal", "-shm"):
                    p = Path(str(path) + suffix)
                    if p.exists():
                        p.replace(Path(str(aside) + suffix))
                log.warning("demo hall database %s predates migrations; moved it to %s", path, aside)
                return
        finally:
            probe.dispose()

    def add_user(self, username: str, password: str, role: str, display_name: str = "") -> None:
        """Create a console account (the demo and the console tests). Its password is a fixture
        printed in the docs, so no change is forced at the first login (real accounts: `hall user add`
        or the console, which force it)."""
        from hall.console.auth import create_user

        with self._database().session() as s:
            create_user(s, username, password, role, display_name, must_change_password=False)

    def import_credit(self, path: Path) -> dict[str, int]:
        from hall.credit_import import import_file

        with self._database().session() as s:
            return import_file(s, Path(path))

    def enrol_terminal(self, terminal_id: str, name: str, location: str) -> str:
        """Enrol (or, for the demo, re-enrol with a fresh token) a terminal; returns its token."""
        with self._database().session() as s:
            return db.enrol_terminal(s, terminal_id, name, location, replace=True)

    def queue_command(self, terminal_id: str, kind: str, payload: dict | None = None) -> str:
        """Queue a remote command for a terminal (what the console will do); returns its id."""
        with self._database().session() as s:
            return db.queue_command(s, terminal_id, kind, payload)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError(f"hall on port {self.port} exited during start-up; see the log")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
                    last = f"HTTP {r.status}"
            except (urllib.error.URLError, OSError) as e:
                last = str(e)            # not up yet: poll again
            time.sleep(0.05)
        raise TimeoutError(f"hall on port {self.port} did not answer /healthz within {timeout}s ({last})")


def _listen(port: int) -> socket.socket:
    # Bound here rather than by uvicorn so port 0 resolves before start-up, and with
    # SO_REUSEADDR so a restart can take the same port while old connections sit in TIME_WAIT.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
