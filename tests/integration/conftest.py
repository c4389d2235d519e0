"""Fixtures for tests that need a real hall over HTTP (ARCHITECTURE §6: no mock of the API).

`hall` — a started EmbeddedHall on 127.0.0.1 (the repository's config/catalog) with one
enrolled terminal, run once on SQLite (its own file under tmp_path) and once on PostgreSQL (a
fresh database in a throw-away cluster that `postgres` starts on 127.0.0.1; see hall/pgtemp.py).
`sqlite_hall` is the same on SQLite only, for tests where the database makes no difference.
Both yield a `RunningHall`:

    base_url      "http://127.0.0.1:<port>"; stays the same across stop()/start()
    terminal_id   the enrolled terminal ("T-TEST-1"), token its bearer token
    headers       {"Authorization": "Bearer <token>"} for requests
    stop(), start()   take the hall offline and back (same port, same data): outbox tests
    add_command(kind, payload=None) -> id   queue a remote command for the terminal, as the
                                            console will (written straight to the database)
    sample_application(**overrides) -> Application   a valid 户外广告设施设置审批 application
    server        the EmbeddedHall itself; data_dir, catalog_dir
    backend       "sqlite" or "postgresql"
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from hall import db as hall_db
from hall.embedded import EmbeddedHall
from hall.pgtemp import PostgresUnavailable, TempPostgres
from kiosk.domain.application import Applicant, Application

REPO = Path(__file__).resolve().parents[2]
CATALOG_DIR = REPO / "config" / "catalog"
HWGG = "320102-XK-CG-001"            # 户外广告设施设置审批 (config/catalog/hwgg-szsp.toml)
GGCS_ZX = "320102-XK-WJ-001"         # 公共场所卫生许可证注销 (config/catalog/ggcs-wsxk-zx.toml)
SAMPLE_NAME = "张三"
SAMPLE_ID_NUMBER = "11010519491231002X"   # the worked example of GB 11643-1999: valid, nobody's
SAMPLE_PHONE = "13800000000"


@dataclass
class RunningHall:
    server: EmbeddedHall
    terminal_id: str
    token: str
    base_url: str
    backend: str = "sqlite"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    @property
    def catalog_dir(self) -> Path:
        return self.server.catalog_dir

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()

    def add_command(self, kind: str, payload: dict | None = None) -> str:
        return self.server.queue_command(self.terminal_id, kind, payload)

    def sample_application(self, **overrides) -> Application:
        app = Application(
            matter_code=HWGG, matter_version=1,
            applicant=Applicant(SAMPLE_NAME, SAMPLE_ID_NUMBER, SAMPLE_PHONE),
            fields={"applicant_name": SAMPLE_NAME, "applicant_id_number": SAMPLE_ID_NUMBER,
                    "phone": SAMPLE_PHONE, "site_address": "玄武区长江路1号沿街外墙",
                    "carrier": "墙面附着式", "size": "6×3", "period": "1年"},
            terminal_id=self.terminal_id)
        return dataclasses.replace(app, **overrides)


PG_TEMPLATE = "hall_template"


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster on 127.0.0.1 for the whole run, with a migrated template database
    each test clones (CREATE DATABASE … TEMPLATE takes ~0.1 s; migrating takes longer)."""
    try:
        pg = TempPostgres().start()
    except PostgresUnavailable as e:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {e}")
        pytest.skip(str(e))
    try:
        template = hall_db.Database(pg.create_database(PG_TEMPLATE))
        template.upgrade()
        template.dispose()
        yield pg
    finally:
        pg.stop()


def start_hall(tmp_path, database_url, backend: str, **settings) -> tuple[EmbeddedHall, RunningHall]:
    server = EmbeddedHall(tmp_path / "hall", CATALOG_DIR, database_url=database_url, **settings)
    token = server.enrol_terminal("T-TEST-1", "测试终端", "一楼大厅")
    base_url = server.start()
    return server, RunningHall(server, "T-TEST-1", token, base_url, backend)


@contextlib.contextmanager
def fresh_database(request, backend: str):
    """None (the embedded hall's own SQLite file) or the URL of a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield None
        return
    pg = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg.create_database(name, template=PG_TEMPLATE)
    try:
        yield url
    finally:
        pg.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def hall(request, tmp_path) -> RunningHall:
    with fresh_database(request, request.param) as url:
        server, running = start_hall(tmp_path, url, request.param)
        try:
            yield running
        finally:
            server.stop()


@pytest.fixture
def sqlite_hall(tmp_path) -> RunningHall:
    server, running = start_hall(tmp_path, None, "sqlite")
    try:
        yield running
    finally:
        server.stop()


# ---- console helpers ---------------------------------------------------------------------------

MANAGER, STAFF, TECH = "manager1", "staff1", "tech1"
PASSWORD = "Correct-horse-42"


def add_console_users(hall: RunningHall) -> None:
    hall.server.add_user(MANAGER, PASSWORD, "manager", "刘主任")
    hall.server.add_user(STAFF, PASSWORD, "staff", "窗口一")
    hall.server.add_user(TECH, PASSWORD, "technician", "运维")


class Console:
    """A logged-in console browser session over requests: keeps the cookie, reads the CSRF
    token from each page, posts forms the way the browser does."""

    def __init__(self, base_url: str):
        import requests

        self.base_url = base_url
        self.http = requests.Session()
        self.csrf = ""

    def login(self, username: str, password: str = PASSWORD):
        page = self.http.get(f"{self.base_url}/console/login", timeout=10)
        token = _hidden(page.text, "login_csrf")
        return self.http.post(f"{self.base_url}/console/login", timeout=10, allow_redirects=False,
                              data={"username": username, "password": password, "login_csrf": token,
                                    "next": "/console/"})

    def get(self, path: str, **kw):
        r = self.http.get(self.base_url + path, timeout=10, **kw)
        found = _hidden(r.text, "csrf") if "text/html" in r.headers.get("content-type", "") else ""
        self.csrf = found or self.csrf
        return r

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf", self.csrf)
        return self.http.post(self.base_url + path, data=data, timeout=10, allow_redirects=False, **kw)


def _hidden(html: str, name: str) -> str:
    import re

    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    return m.group(1) if m else ""


def console_as(hall: RunningHall, username: str) -> Console:
    c = Console(hall.base_url)
    r = c.login(username)
    assert r.status_code == 303, r.text[:500]
    c.get("/console/")
    return c
