"""GET /metrics: Prometheus exposition (prometheus-client).

Terminal and business numbers are read from the database at scrape time by a custom collector,
so they are right whichever worker process answers and survive restarts. Each app has its own
registry (tests start several halls in one process).
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, disable_created_metrics,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from hall import db
from hall.applications import FINAL
from hall.monitoring import LEVEL_ORDER, paper_state, terminal_view

log = logging.getLogger("hall.metrics")
disable_created_metrics()     # *_created series only double the exposition; nobody alerts on them
router = APIRouter()


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
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition"}})
def metrics(request: Request):
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
