"""Fixtures for tests that need a real hall over HTTP (ARCHITECTURE §6: no mock of the API).

`hall` — a started EmbeddedHall on 127.0.0.1 (its own SQLite file under tmp_path, the
repository's config/catalog) with one enrolled terminal. It yields a `RunningHall`:

    base_url      "http://127.0.0.1:<port>"; stays the same across stop()/start()
    terminal_id   the enrolled terminal ("T-TEST-1"), token its bearer token
    headers       {"Authorization": "Bearer <token>"} for requests
    stop(), start()   take the hall offline and back (same port, same data): outbox tests
    add_command(kind, payload=None) -> id   queue a remote command for the terminal, as the
                                            console will (written straight to the database)
    sample_application(**overrides) -> Application   a valid 户外广告设施设置审批 application
    server        the EmbeddedHall itself; data_dir, catalog_dir
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest

from hall.embedded import EmbeddedHall
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


@pytest.fixture
def hall(tmp_path) -> RunningHall:
    server = EmbeddedHall(tmp_path / "hall", CATALOG_DIR)
    token = server.enrol_terminal("T-TEST-1", "测试终端", "一楼大厅")
    base_url = server.start()
    try:
        yield RunningHall(server, "T-TEST-1", token, base_url)
    finally:
        server.stop()
