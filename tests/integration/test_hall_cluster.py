"""Three hall instances on one PostgreSQL behind nginx (config/nginx/hall-cluster.conf), for real
(issue #16): real `hall serve` processes on loopback ports, a throw-away PostgreSQL cluster, the
shipped nginx config with TLS. Terminals heartbeat, submit applications (idempotency keys,
retried after errors as the kiosk's outbox does) and acknowledge commands; console users log in
on one instance and go on through the others; one instance is killed with SIGKILL mid-load.
Checked: terminals carry on, no application lost or doubled, no command delivered twice, a
revocation refused by every instance within seconds, the offline sweep carries on without the
killed instance, the console session and its CSRF token valid on every instance.

Also here: cluster = true refused on SQLite, migrations run once when three `hall db upgrade`
start together, the sweep's advisory lock.
"""
from __future__ import annotations

import collections
import os
import random
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select, text

from hall import db as hall_db
from hall import locks
from hall.config import ConfigError, load_config
from hall.console.auth import create_user
from hall.monitoring import sweep_once
from tests.integration.conftest import CATALOG_DIR, HWGG, MANAGER, PASSWORD, SAMPLE_ID_NUMBER, SAMPLE_NAME, SAMPLE_PHONE, Console
from tests.integration.hall_cluster import NGINX, REPO, Cluster, hall_toml
from tests.integration.tls_pki import Pki

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX) and not os.environ.get("CI"),
                                reason="nginx is not installed (make bootstrap installs nginx-light)")

TERMINALS = 24
LOAD_S = 24.0             # terminals run this long; instance 0 is killed at KILL_AT_S
KILL_AT_S = 9.0
BEAT_EVERY_S = 0.5        # per terminal (a real one: 15 s) — 48 heartbeats/s through nginx


def application_body(terminal_id: str) -> dict:
    return {"matter_code": HWGG, "matter_version": 1, "terminal_id": terminal_id,
            "applicant": {"name": SAMPLE_NAME, "id_number": SAMPLE_ID_NUMBER, "phone": SAMPLE_PHONE},
            "fields": {"applicant_name": SAMPLE_NAME, "applicant_id_number": SAMPLE_ID_NUMBER,
                       "phone": SAMPLE_PHONE, "site_address": "玄武区长江路1号沿街外墙",
                       "carrier": "墙面附着式", "size": "6×3", "period": "1年"}}


@pytest.fixture
def pg_url(postgres):
    name = f"cluster_{uuid.uuid4().hex[:10]}"
    url = postgres.create_database(name)          # empty: the instances' own upgrade makes the schema
    yield url
    postgres.drop_database(name)


def test_cluster_refuses_sqlite_naming_file_and_key(tmp_path):
    cfg = hall_toml(tmp_path / "hall.toml", f"sqlite:///{tmp_path / 'hall.db'}", 8700)
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    assert e.value.path == str(cfg) and e.value.key == "cluster" and "PostgreSQL" in e.value.message
    # `hall serve` says so and stops, also when the SQLite URL comes from HALL_DATABASE_URL.
    pg_cfg = hall_toml(tmp_path / "pg.toml", "postgresql+psycopg://hall@127.0.0.1:1/none", 8700)
    for config, env in ((cfg, {}), (pg_cfg, {"HALL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})):
        r = subprocess.run([sys.executable, "-m", "hall.cli", "serve", "--config", str(config)], cwd=REPO,
                           capture_output=True, text=True, timeout=60, env={**os.environ, **env})
        assert r.returncode == 2
        assert f"{config}: cluster: cluster = true" in r.stderr and "needs PostgreSQL" in r.stderr, r.stderr


def test_three_upgrades_at_once_migrate_once(pg_url, tmp_path):
    cfg = hall_toml(tmp_path / "hall.toml", pg_url, 8700)
    procs = [subprocess.Popen([sys.executable, "-m", "hall.cli", "db", "upgrade", "--config", str(cfg)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    d = hall_db.Database(pg_url)
    try:
        assert d.current_revision() == d.head_revision()
        with d.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        d.dispose()


def test_sweep_runs_in_one_instance_at_a_time(pg_url):
    d = hall_db.Database(pg_url)
    d.upgrade()
    try:
        with locks.try_session_lock(d.engine, locks.OFFLINE_SWEEP) as held:
            assert held is not None
            with d.engine.connect() as conn:
                assert locks.lock_holder_pids(conn, locks.OFFLINE_SWEEP) == [
                    held.execute(text("SELECT pg_backend_pid()")).scalar_one()]
            assert sweep_once(d) is None              # another "instance" is sweeping: skipped
        assert sweep_once(d) == []                    # released: this one sweeps
        with d.engine.connect() as conn:
            assert locks.lock_holder_pids(conn, locks.OFFLINE_SWEEP) == []
    finally:
        d.dispose()


class Terminal(threading.Thread):
    """One kiosk: heartbeats, acks what it gets, submits now and then with an idempotency key and
    retries that key until it has an answer (the outbox)."""

    def __init__(self, base_url: str, tid: str, token: str, ca: str, stop_at: float, stats):
        super().__init__(daemon=True)
        self.base_url, self.tid, self.stop_at, self.stats = base_url, tid, stop_at, stats
        self.http = requests.Session()
        self.http.verify, self.http.trust_env = ca, False     # REQUESTS_CA_BUNDLE would win otherwise
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.delivered: list[str] = []        # every command id any reply carried
        self.submitted: dict[str, str] = {}   # idempotency key -> application number
        self.errors: list[tuple[float, str]] = []
        self.lazy = int(tid[-1]) % 2 == 1

    def _post(self, path: str, **kw):
        try:
            r = self.http.post(self.base_url + path, timeout=10, **kw)
        except requests.RequestException as e:
            self.errors.append((time.monotonic(), type(e).__name__))
            return None
        if r.status_code >= 500:
            self.errors.append((time.monotonic(), str(r.status_code)))
        return r

    def _ack(self, c: dict) -> None:
        while (a := self._post(f"/api/v1/terminals/{self.tid}/commands/{c['id']}/ack")) is None or a.status_code >= 500:
            time.sleep(0.1)             # the instance died under it: again, through the others
        assert a.status_code == 204

    def run(self):
        rng = random.Random(self.tid)
        pending_key, to_ack = None, []
        while time.monotonic() < self.stop_at:
            r = self._post(f"/api/v1/terminals/{self.tid}/heartbeat", json={"screen": "attract", "interval_s": 5})
            if r is not None and r.status_code == 200:
                self.stats["beats"] += 1
                # Odd terminals ack only after their next heartbeat (a slow ack): that heartbeat
                # must not carry the command again.
                for c in to_ack:
                    self._ack(c)
                commands = r.json()["commands"]
                self.delivered += [c["id"] for c in commands]
                to_ack = commands if self.lazy else []
                if not self.lazy:
                    for c in commands:
                        self._ack(c)
            if pending_key is None and rng.random() < 0.3:
                pending_key = f"{self.tid}-{uuid.uuid4().hex}"
            if pending_key is not None:
                r = self._post("/api/v1/applications", json=application_body(self.tid),
                               headers={"Idempotency-Key": pending_key})
                if r is not None and r.status_code in (200, 201):
                    self.submitted[pending_key] = r.json()["application_no"]
                    if rng.random() < 0.2:      # the reply "lost": the outbox sends the same key again
                        again = self._post("/api/v1/applications", json=application_body(self.tid),
                                           headers={"Idempotency-Key": pending_key})
                        if again is not None and again.status_code == 200:
                            assert again.json()["application_no"] == self.submitted[pending_key]
                            self.stats["replays"] += 1
                    pending_key = None
            time.sleep(BEAT_EVERY_S)
        for c in to_ack:
            self._ack(c)
        while pending_key is not None:        # the outbox never drops an item
            r = self._post("/api/v1/applications", json=application_body(self.tid),
                           headers={"Idempotency-Key": pending_key})
            if r is not None and r.status_code in (200, 201):
                self.submitted[pending_key] = r.json()["application_no"]
                pending_key = None


def test_three_instances_behind_nginx_one_killed_mid_load(pg_url, tmp_path):
    pki = Pki(tmp_path / "pki")
    ca = str(pki.ca.cert)
    setup = hall_db.Database(pg_url)
    setup.upgrade()
    with setup.session() as s:
        tokens = {f"T-C{i:02d}": hall_db.enrol_terminal(s, f"T-C{i:02d}", f"集群终端{i}", "一楼") for i in range(TERMINALS)}
        revoked_token = hall_db.enrol_terminal(s, "T-REVOKED", "将停用", "二楼")
        silent_token = hall_db.enrol_terminal(s, "T-SILENT", "将离线", "二楼")
        create_user(s, MANAGER, PASSWORD, "manager", "刘主任", must_change_password=False)
        s.commit()
    # The header only for the test: which instance answered (not in the shipped file: clients
    # need not learn the instances' addresses).
    cluster = Cluster(pg_url, 3, tmp_path, tls=(pki.good.cert, pki.good.key),
                      extra_location="add_header X-Hall-Upstream $upstream_addr always;")
    with cluster:
        ports = {f"127.0.0.1:{i.port}": i.index for i in cluster.instances}
        assert cluster.nginx.check().returncode == 0
        # Prometheus scrapes the instances themselves; through the balancer /metrics is not served.
        assert requests.get(f"{cluster.base_url}/metrics", verify=ca, timeout=10).status_code == 404
        assert requests.get(f"{cluster.instances[1].base_url}/metrics", timeout=10).status_code == 200

        # Console: log in (through nginx) and go on; the requests land on every instance.
        console = Console(cluster.base_url)
        console.http.verify, console.http.trust_env = ca, False
        assert console.login(MANAGER).status_code == 303
        served_by = set()
        for _ in range(9):
            r = console.get("/console/api/terminals")
            assert r.status_code == 200 and "summary" in r.json()
            served_by.add(ports[r.headers["X-Hall-Upstream"]])
        assert served_by == {0, 1, 2}
        # A form post (CSRF token from a page one instance rendered) accepted by each instance.
        console.get("/console/")
        for _ in range(6):
            r = console.post("/console/terminals/T-C00/commands", {"kind": "notice", "text": "集群通知"})
            assert r.status_code == 303, r.text[:300]
            served_by.add(ports[r.headers["X-Hall-Upstream"]])

        # A revoked token is refused by every instance within a few seconds (each checks every 1 s).
        bad = {"Authorization": f"Bearer {revoked_token}"}
        for i in cluster.instances:
            assert requests.post(f"{i.base_url}/api/v1/terminals/T-REVOKED/heartbeat", json={}, headers=bad,
                                 timeout=10).status_code == 200
        with setup.session() as s:
            s.get(hall_db.Terminal, "T-REVOKED").revoked = True
            s.commit()
        t0 = time.monotonic()
        refused_after = {}
        while len(refused_after) < 3 and time.monotonic() - t0 < 10:
            for i in cluster.instances:
                if i.index not in refused_after and requests.post(
                        f"{i.base_url}/api/v1/terminals/T-REVOKED/heartbeat", json={}, headers=bad,
                        timeout=10).status_code == 401:
                    refused_after[i.index] = time.monotonic() - t0
            time.sleep(0.05)
        assert len(refused_after) == 3 and max(refused_after.values()) < 3.0, refused_after

        # Three heartbeats of one terminal at the same moment, one to each instance (a request
        # retried through the balancer while the first is still being answered): each command
        # goes out in exactly one of the replies.
        from concurrent.futures import ThreadPoolExecutor
        racer = {"Authorization": f"Bearer {tokens['T-C00']}"}
        with ThreadPoolExecutor(3) as pool:
            for round_ in range(5):
                with setup.session() as s:
                    cids = {hall_db.queue_command(s, "T-C00", "notice", {"text": f"竞争{round_}-{k}"}) for k in range(3)}
                replies = list(pool.map(lambda inst: requests.post(
                    f"{inst.base_url}/api/v1/terminals/T-C00/heartbeat", json={}, headers=racer, timeout=10).json(),
                    cluster.instances))
                got = [c["id"] for rep in replies for c in rep["commands"]]
                assert sorted(got) == sorted(set(got)) and cids <= set(got), (cids, replies)
                for cid in got:
                    assert requests.post(f"{cluster.instances[0].base_url}/api/v1/terminals/T-C00/commands/{cid}/ack",
                                         headers=racer, timeout=10).status_code == 204

        # Terminals under load; commands queued all along; instance 0 killed meanwhile.
        stats = collections.Counter()
        start = time.monotonic()
        fleet = [Terminal(cluster.base_url, tid, tok, ca, start + LOAD_S, stats) for tid, tok in tokens.items()]
        for t in fleet:
            t.start()
        queued, killed_at, beats_at_kill = [], None, 0
        while time.monotonic() - start < LOAD_S - 4:
            with setup.session() as s:
                for tid in random.sample(list(tokens), 3):
                    queued.append(hall_db.queue_command(s, tid, "notice", {"text": f"第{len(queued)}条"}))
            if killed_at is None and time.monotonic() - start >= KILL_AT_S:
                cluster.instances[0].kill()
                killed_at, beats_at_kill = time.monotonic(), stats["beats"]
            time.sleep(0.25)
        # The silent terminal: one heartbeat (interval 1 s) after the kill, then nothing: some
        # surviving instance's sweep must mark it offline, once.
        r = requests.post(f"{cluster.base_url}/api/v1/terminals/T-SILENT/heartbeat", verify=ca, timeout=10,
                          json={"interval_s": 1}, headers={"Authorization": f"Bearer {silent_token}"})
        assert r.status_code == 200
        for t in fleet:
            t.join(60)
        assert not any(t.is_alive() for t in fleet)
        after_kill = stats["beats"] - beats_at_kill
        # The terminals' last heartbeats deliver what was queued up to 4 s before the end.

        # Carried on: heartbeats went on through the other two; errors only around the kill.
        late_errors = [(t.tid, e) for t in fleet for at, e in t.errors if at > killed_at + 2.0]
        assert late_errors == []
        all_errors = [(t.tid, e) for t in fleet for _at, e in t.errors]
        assert len(all_errors) <= TERMINALS, all_errors      # at most one in-flight request each
        expected_after = (LOAD_S - KILL_AT_S) / BEAT_EVERY_S * TERMINALS
        assert after_kill > 0.5 * expected_after, (after_kill, expected_after)

        with setup.session() as s:
            # No application lost or doubled: every key the terminals hold is one row, with its number.
            keys = {k: no for t in fleet for k, no in t.submitted.items()}
            rows = dict(s.execute(select(hall_db.ApplicationRecord.idempotency_key,
                                         hall_db.ApplicationRecord.application_no)).all())
            assert rows == keys and len(set(rows.values())) == len(rows)
            # No command delivered twice, each delivered one acknowledged once.
            delivered = [c for t in fleet for c in t.delivered]
            dupes = [c for c, n in collections.Counter(delivered).items() if n > 1]
            assert dupes == []
            acked = set(s.scalars(select(hall_db.Command.id).where(hall_db.Command.acked_at.is_not(None))))
            assert set(delivered) <= acked
            ack_events = s.execute(select(func.count()).select_from(hall_db.TerminalEvent)
                                   .where(hall_db.TerminalEvent.kind == "ack")).scalar_one()
            assert ack_events == len(acked)
            # Every command the load queued was delivered, save ones claimed by a reply that died
            # with instance 0 (they come again after REDELIVER_S): at most one per terminal.
            undelivered = set(queued) - set(delivered)
            assert len(undelivered) <= TERMINALS, len(undelivered)
            stuck = set(s.scalars(select(hall_db.Command.id).where(hall_db.Command.id.in_(undelivered),
                                                                   hall_db.Command.delivered_at.is_(None))))
            assert stuck == set(), "queued commands never handed out"
        # The sweep went on (whoever held its lock may have died): T-SILENT offline, recorded once.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with setup.session() as s:
                offline = s.execute(select(func.count()).select_from(hall_db.TerminalEvent).where(
                    hall_db.TerminalEvent.terminal_id == "T-SILENT", hall_db.TerminalEvent.kind == "offline")).scalar_one()
            if offline:
                break
            time.sleep(0.5)
        time.sleep(2.5)         # a few more sweeps: still one event
        with setup.session() as s:
            assert s.execute(select(func.count()).select_from(hall_db.TerminalEvent).where(
                hall_db.TerminalEvent.terminal_id == "T-SILENT", hall_db.TerminalEvent.kind == "offline")).scalar_one() == 1
        # The console session made before the kill still works through the survivors.
        for _ in range(4):
            r = console.get("/console/api/terminals")
            assert r.status_code == 200 and ports[r.headers["X-Hall-Upstream"].split(", ")[-1]] in (1, 2)
        print(f"\ncluster: {stats['beats']} heartbeats ({after_kill} after the kill), "
              f"{len(keys)} applications ({stats['replays']} replayed keys), {len(delivered)} commands "
              f"delivered once each, {len(all_errors)} errors around the kill; revocation refused after "
              f"{max(refused_after.values()):.2f} s")
    setup.dispose()


def test_a_catalogue_reload_reaches_every_instance(pg_url, tmp_path):
    """The console's reload runs on one instance; the others follow through hall_meta (hall/cluster.py)."""
    import shutil

    from hall.catalog_versions import CatalogService
    from hall.cluster import CatalogFollower, announce_catalog_reload

    d = hall_db.Database(pg_url)
    d.upgrade()
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, catalog)
    try:
        a, b = CatalogService(catalog, d), CatalogService(catalog, d)     # two instances' copies
        a.load(), b.load()
        follow_b = CatalogFollower(b, d)
        assert follow_b.check_once() is False             # notes where it starts
        f = catalog / "hwgg-szsp.toml"
        f.write_text(f.read_text("utf-8").replace("version = 1", "version = 2", 1)
                     .replace('name = "户外广告设施设置审批"', 'name = "户外广告设施设置审批（新版）"', 1), "utf-8")
        assert follow_b.check_once() is False             # nothing announced: b keeps its copy
        assert b.snapshot.matter(HWGG).version == 1
        a.load()                                          # the console's reload, on instance a
        with d.session() as s:
            announce_catalog_reload(s)
            s.commit()
        assert follow_b.check_once() is True
        assert b.snapshot.matter(HWGG).version == 2 and b.snapshot.etag == a.snapshot.etag
        assert follow_b.check_once() is False             # once per announcement
    finally:
        d.dispose()
