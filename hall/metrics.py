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
from pathlib import Path

from fastapi import APIRouter, Request, Response
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, disable_created_metrics,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from hall import db
from hall.applications import FINAL
from hall.config import is_loopback
from hall.monitoring import LEVEL_ORDER, paper_state, terminal_view

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


class HallCollector:
    def __init__(self, database: db.Database):
        self.database = database

    def describe(self):
        # Nothing up front: otherwise the registry would run collect() (database queries) on register.
        return []

    def collect(self):
        try:
            with self.database.session() as s:
                yield from self._terminals(s)
                yield from self._business(s)
        except SQLAlchemyError as e:
            # A scrape must not fail as a whole: `up` stays 1 and hall_database_up says why.
            log.warning("metrics: database unavailable: %s", type(e).__name__)
            g = GaugeMetricFamily("hall_database_up", "1 if the hall's database answered this scrape")
            g.add_metric([], 0)
            yield g
            return
        g = GaugeMetricFamily("hall_database_up", "1 if the hall's database answered this scrape")
        g.add_metric([], 1)
        yield g

    def _terminals(self, s):
        now = db.utcnow()
        up = GaugeMetricFamily("hall_terminal_up", "1 if the terminal heartbeated within 3 intervals", labels=["terminal"])
        level = GaugeMetricFamily("hall_terminal_status_level", "0 green, 1 amber, 2 red", labels=["terminal"])
        seen = GaugeMetricFamily("hall_terminal_last_heartbeat_timestamp_seconds", "time of the last heartbeat",
                                 labels=["terminal"])
        device = GaugeMetricFamily("hall_terminal_device_status", "1 for each device's current state",
                                   labels=["terminal", "device", "state"])
        paper = GaugeMetricFamily("hall_terminal_paper_state", "1 for the printer's current paper state",
                                  labels=["terminal", "state"])
        outbox = GaugeMetricFamily("hall_terminal_outbox_depth", "submissions waiting in the terminal's outbox",
                                   labels=["terminal"])
        rows = s.execute(select(db.Terminal, db.Heartbeat).outerjoin(db.Heartbeat)
                         .where(db.Terminal.revoked.is_(False)))
        for t, hb in rows:
            v = terminal_view(t, hb, now)
            up.add_metric([t.id], 1 if v["online"] else 0)
            level.add_metric([t.id], LEVEL_ORDER[v["level"]])
            if hb is None:
                continue
            seen.add_metric([t.id], db.as_utc(hb.received_at).timestamp())
            snap = hb.snapshot or {}
            for name, d in sorted((snap.get("devices") or {}).items()):
                device.add_metric([t.id, name, str(d.get("state", ""))], 1)
            paper.add_metric([t.id, paper_state(snap)], 1)
            outbox.add_metric([t.id], snap.get("outbox_pending") or 0)
        return [up, level, seen, device, paper, outbox]

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
        self.registry = CollectorRegistry()
        self.registry.register(HallCollector(database))
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
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
