"""Alembic: the migrations make exactly the schema the models describe (SQLite and PostgreSQL),
`hall db upgrade` works from the command line, and `hall serve` refuses an old schema."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hall import db as hall_db
from hall.models import Base
from tests.integration.conftest import REPO, fresh_database

CONFIG = '''host = "127.0.0.1"
port = 8700
database_url = "{url}"
catalog_dir = "{catalog}"
hall_name = "迁移测试"
'''


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_models(request, tmp_path, backend):
    with fresh_database(request, backend) as url:
        if url is None:
            url = f"sqlite:///{tmp_path / 'm.db'}"
        d = hall_db.Database(url)
        d.upgrade()
        with d.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert d.current_revision() == d.head_revision()
        d.upgrade()                                     # again: nothing to do, no error
        d.dispose()
        assert diff == [], diff


def hall_cli(*args, config):
    return subprocess.run([sys.executable, "-m", "hall.cli", *args, "--config", str(config)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_cli_upgrade_terminal_and_user(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "hall.toml"
    config.write_text(CONFIG.format(url=url, catalog=REPO / "config" / "catalog"), "utf-8")
    r = hall_cli("terminal", "add", "--name", "一楼1号机", "--location", "一楼", config=config)
    assert r.returncode == 2 and "hall db upgrade" in r.stderr        # not migrated yet
    r = hall_cli("db", "upgrade", config=config)
    assert r.returncode == 0 and "newest" in r.stdout
    r = hall_cli("terminal", "add", "--name", "一楼1号机", "--location", "一楼", "--id", "T-CLI", config=config)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]                         # alone on its last line
    assert len(token) >= 40 and " " not in token
    with sqlite3.connect(tmp_path / "cli.db") as con:
        (stored,) = con.execute("SELECT token_sha256 FROM terminals WHERE id = 'T-CLI'").fetchone()
    assert stored == hall_db.hash_token(token) and token not in stored
    assert hall_cli("terminal", "add", "--name", "x", "--location", "y", "--id", "T-CLI", config=config).returncode == 1
    add_user = [sys.executable, "-m", "hall.cli", "user", "add", "--username", "liu", "--role", "manager",
                "--password-stdin", "--config", str(config)]
    r = subprocess.run(add_user, input="short\n", cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "too short" in r.stderr
    r = subprocess.run(add_user, input="Long-enough-pass-1\n", cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(tmp_path / "cli.db") as con:
        (h,) = con.execute("SELECT password_hash FROM users WHERE username = 'liu'").fetchone()
    assert h.startswith("$argon2id$") and "Long-enough" not in h
    assert hall_cli("terminal", "revoke", "T-CLI", config=config).returncode == 0


def test_serve_refuses_an_unmigrated_database(tmp_path):
    config = tmp_path / "hall.toml"
    config.write_text(CONFIG.format(url=f"sqlite:///{tmp_path / 'empty.db'}", catalog=REPO / "config" / "catalog"),
                      "utf-8")
    r = subprocess.run([sys.executable, "-m", "hall.cli", "serve", "--config", str(config), "--port", "1"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "hall db upgrade" in r.stderr


def test_skeleton_database_is_moved_aside_by_the_demo_hall(tmp_path):
    from hall.embedded import EmbeddedHall

    (tmp_path / "h").mkdir()
    with sqlite3.connect(tmp_path / "h" / "hall.db") as con:
        con.execute("CREATE TABLE applications (id INTEGER PRIMARY KEY)")
    h = EmbeddedHall(tmp_path / "h", REPO / "config" / "catalog")
    h.enrol_terminal("T-1", "a", "b")
    assert (tmp_path / "h" / "hall.db.pre-alembic").exists()
    h.start()
    h.stop()
