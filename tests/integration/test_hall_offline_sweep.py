"""The offline sweep when a whole hall's terminals stop at once (the hall's own network dropped):
every terminal is marked offline once, with one event each, in short chunked transactions, also
with two sweepers at the same time (two workers) — on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from hall import db as hall_db
from hall import monitoring
from hall.monitoring import sweep_offline

N = 1_200


def enrol_silent_terminals(database: hall_db.Database, now: dt.datetime) -> None:
    """N terminals last heard 10 minutes ago, plus one that is fine."""
    terminals = [{"id": f"T-S{i:05d}", "name": f"终端{i}", "location": "一楼", "token_sha256": f"{i:064x}",
                  "revoked": False, "created_at": now} for i in range(N)]
    beats = [{"terminal_id": t["id"], "received_at": now - dt.timedelta(minutes=10), "snapshot": {}, "interval_s": 15,
              "offline_after": now - dt.timedelta(minutes=9), "level": "green", "reason": "", "offline": False}
             for t in terminals]
    with database.engine.begin() as conn:
        conn.execute(hall_db.Terminal.__table__.insert(), terminals)
        conn.execute(hall_db.Heartbeat.__table__.insert(), beats)
        conn.execute(hall_db.Heartbeat.__table__.update().where(hall_db.Heartbeat.terminal_id == "T-TEST-1")
                     .values(offline_after=now + dt.timedelta(minutes=1)))


def test_a_whole_hall_going_offline_is_marked_once_in_chunks_by_two_sweepers(hall, monkeypatch):
    monkeypatch.setattr(monitoring, "SWEEP_CHUNK", 100)      # 12 chunks: chunk boundaries are exercised
    database = hall_db.Database(hall.server.database_url)
    now = hall_db.utcnow()
    with database.engine.begin() as conn:             # the hall's own terminal: heard just now
        conn.execute(hall_db.Heartbeat.__table__.insert(), [{
            "terminal_id": "T-TEST-1", "received_at": now, "snapshot": {}, "interval_s": 15,
            "offline_after": now, "level": "green", "reason": "", "offline": False}])
    enrol_silent_terminals(database, now)
    marked: list[list[str]] = []

    def sweeper():
        with database.session() as s:
            marked.append(sweep_offline(s, now))
    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    together = [tid for m in marked for tid in m]
    assert len(together) == N and len(set(together)) == N and "T-TEST-1" not in together
    with database.session() as s:
        hb = hall_db.Heartbeat
        assert s.scalar(select(func.count()).select_from(hb).where(hb.offline.is_(True))) == N
        assert s.scalar(select(func.count()).select_from(hb).where(hb.offline.is_(True), hb.level == "red",
                                                                   hb.reason == "离线")) == N
        ev = hall_db.TerminalEvent
        events = s.execute(select(ev.terminal_id, ev.text).where(ev.kind == "offline")).all()
        assert len(events) == N and len({e.terminal_id for e in events}) == N
        assert {e.text for e in events} == {"离线：10 分钟无心跳"}      # when each was last heard, in words
        assert sweep_offline(s, now) == []                    # nothing twice
    database.dispose()
