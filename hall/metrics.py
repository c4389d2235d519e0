"""GET /metrics: Prometheus exposition (prometheus-client).

Terminal and business numbers are read from the database at scrape time by a custom collector,
so they are right whichever worker process answers and survive restarts. Each app has its own
registry (tests start several halls in one process).

Authentication: with `metrics_token_file` set (config/hall.toml does), a scrape must send
`Authorization: Bearer <token>` — Prometheus's `authorization.credentials_file` (see
config/prometheus/prometheus.yml). Anything else gets a bare 401, the same whether the header
was missing, malformed or wrong. The token file is read again when it changes (rotate it
without a restart); a missing one is created with a random token (mode 0600) at start. Without
a token file (embedded and test halls) /metrics is open and the start says so in the log; a
hall on a non-loopback host refuses to start that way unless `metrics_public = true`
(hall/config.py).
"""
from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import threading
import time
from pathlib import Path

from fastapi import APIRouter, Request, Response
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, disable_created_metrics,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from hall import db
from hall.applications import FINAL
from hall.config import is_loopback

log = logging.getLogger("hall.metrics")
disable_created_metrics()     # *_created series only double the exposition; nobody alerts on them


class MetricsTokenError(RuntimeError):
    pass


class MetricsToken:
    """The bearer token in `path`, re-read when the file changes; created if missing."""

    def __init__(self, path: str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._token = b""

    def ensure(self) -> None:
        """Create the file with a random token if it does not exist (start-up), then read it."""
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass                      # another worker made it first: use theirs
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_urlsafe(32) + "\n")
                log.warning("metrics: created %s with a new random token; give Prometheus a copy "
                            "(authorization.credentials_file)", self.path)
        self.current()

    def current(self) -> bytes:
        try:
            st = self.path.stat()
        except OSError as e:
            raise MetricsTokenError(f"{self.path}: {e.strerror}") from None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._stamp:
                try:
                    token = self.path.read_bytes().strip()
                except OSError as e:
                    raise MetricsTokenError(f"{self.path}: {e.strerror}") from None
                if len(token) < 16 or any(c <= 0x20 or c > 0x7e for c in token):
                    raise MetricsTokenError(f"{self.path}: the token must be 16 or more printable ASCII "
                                            "characters without spaces")
                self._token, self._stamp = token, stamp
            return self._token

    def allows(self, authorization: str | None) -> bool:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return False
        return hmac.compare_digest(given.strip().encode("latin-1", "replace"), self.current())


@contextlib.asynccontextmanager
async def _lifespan(app):
    settings = app.state.settings
    if settings.metrics_token_file:
        token = MetricsToken(settings.metrics_token_file)
        try:
            token.ensure()
        except (MetricsTokenError, OSError) as e:
            # Not fatal for the kiosk API; /metrics answers 503 until the file is fixed.
            log.error("metrics: token unusable, /metrics answers 503 until it is fixed: %s", e)
        app.state.metrics_token = token
    else:
        app.state.metrics_token = None
        # Loud unless the hall listens on loopback only (embedded and test halls).
        log.log(logging.INFO if is_loopback(settings.host) else logging.WARNING,
                "metrics: /metrics has no token (metrics_token_file is not set): anyone who reaches %s:%s can read it",
                settings.host, settings.port)
    yield


router = APIRouter(lifespan=_lifespan)


# Gauges about terminals come from a few aggregate queries and one narrow per-terminal query
# (no ORM objects, no snapshot decoded in Python); the exposition is written directly rather than
# through prometheus-client's sample objects. At 10,000 terminals a scrape went from ~1 s of CPU
# and 5.4 MB to a few tens of ms (docs/hall.md, Benchmark). Per terminal only what the alert
# rules (config/prometheus/alerts.yml) need: up, paper state, outbox depth; levels and devices
# are counts.
CACHE_S = 5.0      # two scrapers (an HA Prometheus pair) or a fast scrape interval share one collection

_DEVICE_COUNTS = {
    "sqlite": "SELECT d.key, json_extract(d.value, '$.state'), count(*) FROM heartbeats h "
              "JOIN terminals t ON t.id = h.terminal_id, json_each(h.snapshot, '$.devices') d "
              "WHERE NOT t.revoked GROUP BY 1, 2",
    "postgresql": "SELECT d.key, d.value ->> 'state', count(*) FROM heartbeats h "
                  "JOIN terminals t ON t.id = h.terminal_id, json_each(CASE WHEN json_typeof(h.snapshot -> 'devices') "
                  "= 'object' THEN h.snapshot -> 'devices' END) d WHERE NOT t.revoked GROUP BY 1, 2",
}
_PAPER_OF_PRINTER = {"ok": "ok", "busy": "ok", "paper_near_end": "near_end", "paper_out": "out"}
_PAPER_STATES = frozenset({"ok", "near_end", "out", "unknown"})


def _label(value: str) -> str:
    """A label value in the text exposition format."""
    if "\\" in value or '"' in value or "\n" in value:
        value = value.replace("\\", r"\\").replace('"', r'\"').replace("\n", r"\n")
    return value


def _head(name: str, kind: str, help_: str) -> str:
    return f"# HELP {name} {help_}\n# TYPE {name} {kind}\n"


def terminal_exposition(s) -> str:
    """The terminal families, as exposition text: per unrevoked terminal hall_terminal_up,
    hall_terminal_paper_state and hall_terminal_outbox_depth (what the alerts use); counts by
    level (hall_terminals) and by device state (hall_terminal_devices)."""
    t, hb = db.Terminal.__table__, db.Heartbeat.__table__
    snap = hb.c.snapshot
    now = db.utcnow()
    rows = s.execute(
        select(t.c.id, hb.c.terminal_id.is_not(None), hb.c.offline.is_(False) & (hb.c.offline_after >= now),
               hb.c.level, snap["paper"].as_string(), snap[("devices", "printer", "state")].as_string(),
               snap["outbox_pending"].as_integer())
        .select_from(t.outerjoin(hb, hb.c.terminal_id == t.c.id))
        .where(t.c.revoked.is_(False)).order_by(t.c.id)).all()
    up, paper, outbox = [], [], []
    levels = {"green": 0, "amber": 0, "red": 0}
    for tid, beat, online, level, paper_raw, printer, pending in rows:
        tid = _label(tid)
        if online:
            up.append(f'hall_terminal_up{{terminal="{tid}"}} 1.0\n')
            levels[level if level in levels else "red"] += 1
        else:
            up.append(f'hall_terminal_up{{terminal="{tid}"}} 0.0\n')
            levels["red"] += 1
        if not beat:
            continue
        state = paper_raw if paper_raw in _PAPER_STATES else _PAPER_OF_PRINTER.get(printer, "unknown")
        paper.append(f'hall_terminal_paper_state{{state="{state}",terminal="{tid}"}} 1.0\n')
        outbox.append(f'hall_terminal_outbox_depth{{terminal="{tid}"}} {float(pending or 0)!r}\n')
    devices = []
    sql = _DEVICE_COUNTS.get(s.get_bind().dialect.name)
    if sql is not None:
        for name, state, n in s.execute(text(sql)):
            devices.append(f'hall_terminal_devices{{device="{_label(str(name))}",state="{_label(str(state or ""))}"}} '
                           f"{float(n)!r}\n")
        devices.sort()
    return "".join([
        _head("hall_terminal_up", "gauge", "1 if the terminal heartbeated within 3 intervals"), *up,
        _head("hall_terminal_paper_state", "gauge", "1 for the printer's current paper state"), *paper,
        _head("hall_terminal_outbox_depth", "gauge", "submissions waiting in the terminal's outbox"), *outbox,
        _head("hall_terminals", "gauge", "terminals by level: green, amber, red (offline or never seen is red)"),
        *(f'hall_terminals{{level="{lv}"}} {float(n)!r}\n' for lv, n in levels.items()),
        _head("hall_terminal_devices", "gauge", "terminals whose device is in this state (last heartbeat)"), *devices,
    ])


class _Families:
    """What generate_latest needs of a registry: collect()."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def _database_up(value: int):
    g = GaugeMetricFamily("hall_database_up", "1 if the hall's database answered this scrape")
    g.add_metric([], value)
    return g


class HallCollector:
    """The numbers read from the database at scrape time, as exposition bytes, cached CACHE_S:
    a scrape within that time of the previous one (another Prometheus, a fast interval) gets the
    same bytes; two at once wait for one collection (a lock), not two."""

    def __init__(self, database: db.Database, cache_s: float = CACHE_S):
        self.database = database
        self.cache_s = cache_s
        self._lock = threading.Lock()
        self._body = b""
        self._at = float("-inf")

    def exposition(self) -> bytes:
        with self._lock:
            if time.monotonic() - self._at >= self.cache_s:
                self._body = self._collect()
                self._at = time.monotonic()
            return self._body

    def _collect(self) -> bytes:
        try:
            with self.database.session() as s:
                terminals = terminal_exposition(s)
                business = self._business(s)
        except SQLAlchemyError as e:
            # A scrape must not fail as a whole: `up` stays 1 and hall_database_up says why.
            log.warning("metrics: database unavailable: %s", type(e).__name__)
            return generate_latest(_Families([_database_up(0)]))
        return terminals.encode() + generate_latest(_Families([*business, _database_up(1)]))

    def _business(self, s):
        apps = CounterMetricFamily("hall_applications", "applications received, by matter", labels=["matter"])
        for code, n in s.execute(select(db.ApplicationRecord.matter_code, func.count())
                                 .group_by(db.ApplicationRecord.matter_code)):
            apps.add_metric([code], n)
        open_ = GaugeMetricFamily("hall_applications_open", "applications not yet finished, by status",
                                  labels=["status"])
        for status, n in s.execute(select(db.ApplicationRecord.status, func.count())
                                   .where(db.ApplicationRecord.status.not_in(FINAL))
                                   .group_by(db.ApplicationRecord.status)):
            open_.add_metric([status], n)
        evals = CounterMetricFamily("hall_evaluations", "好差评 received, by matter and level (5 best … 1 worst)",
                                    labels=["matter", "level"])
        for code, lvl, n in s.execute(select(db.Evaluation.matter_code, db.Evaluation.level, func.count())
                                      .group_by(db.Evaluation.matter_code, db.Evaluation.level)):
            evals.add_metric([code or "", str(lvl)], n)
        follow = GaugeMetricFamily("hall_evaluation_follow_ups_open", "不满意 evaluations not yet revisited")
        follow.add_metric([], s.scalar(select(func.count()).select_from(db.Evaluation)
                                       .where(db.Evaluation.needs_follow_up.is_(True),
                                              db.Evaluation.revisit_at.is_(None))) or 0)
        reports = CounterMetricFamily("hall_credit_reports", "credit reports issued, by subject kind", labels=["kind"])
        for kind, n in s.execute(select(db.CreditReport.subject_kind, func.count())
                                 .group_by(db.CreditReport.subject_kind)):
            reports.add_metric([kind], n)
        return [apps, open_, evals, follow, reports]


class HallMetrics:
    def __init__(self, database: db.Database):
        self.collector = HallCollector(database)
        self.registry = CollectorRegistry()        # this process's own counters
        self.heartbeats = Counter("hall_heartbeats_received", "heartbeats received by this process",
                                  registry=self.registry)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition"},
                       401: {"content": {"text/plain": {}},
                             "description": "metrics_token_file is set and the bearer token is missing or wrong"},
                       503: {"content": {"text/plain": {}}, "description": "the token file is unusable"}})
def metrics(request: Request):
    token: MetricsToken | None = getattr(request.app.state, "metrics_token", None)
    if token is None and request.app.state.settings.metrics_token_file:
        token = request.app.state.metrics_token = MetricsToken(request.app.state.settings.metrics_token_file)
    if token is not None:
        try:
            allowed = token.allows(request.headers.get("authorization"))
        except MetricsTokenError as e:
            log.error("metrics: %s", e)
            return Response("metrics token unavailable\n", status_code=503, media_type="text/plain")
        if not allowed:
            return Response("unauthorized\n", status_code=401, media_type="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    m: HallMetrics = request.app.state.metrics
    return Response(m.collector.exposition() + generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
