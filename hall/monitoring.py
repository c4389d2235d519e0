"""Terminal monitoring: what a heartbeat says about a terminal, in words, and when it is offline.

A terminal is green (all well), amber (works, but someone should look: paper near its end, a
backlog in the outbox, maintenance mode) or red (a customer cannot be served: offline, a device
fault, no paper). The reason is plain Chinese, shown on the console's tile as is.
Offline = no heartbeat for 3 intervals (the terminal's own interval when it reports one).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hall import db, locks
from hall.api_deps import BatchThread, china_time

log = logging.getLogger("hall.monitoring")

MISSED_BEATS = 3
OUTBOX_AMBER = 5            # items waiting on a terminal before the tile turns amber
DEVICE_NAMES = {"printer": "打印机", "idcard": "身份证阅读器", "scanner": "扫码器", "camera": "摄像头"}
STATE_TEXT = {"absent": "未连接", "busy": "忙", "paper_near_end": "纸将用尽", "paper_out": "缺纸",
              "cover_open": "机盖打开", "fault": "故障"}
LEVEL_ORDER = {"green": 0, "amber": 1, "red": 2}
# The kiosk reports its link to the hall as a device too; a heartbeat that arrived proves it.
_IGNORED_DEVICES = frozenset({"hall"})


def paper_state(snapshot: dict) -> str:
    """ok / near_end / out / unknown: the terminal's own report, else its printer's state."""
    if snapshot.get("paper") in ("ok", "near_end", "out", "unknown"):
        return snapshot["paper"]
    state = (snapshot.get("devices") or {}).get("printer", {}).get("state")
    return {"ok": "ok", "busy": "ok", "paper_near_end": "near_end", "paper_out": "out"}.get(state, "unknown")


def assess(snapshot: dict) -> tuple[str, str]:
    """(level, reason in words) for a terminal that is online."""
    red, amber = [], []
    for name, dev in sorted((snapshot.get("devices") or {}).items()):
        if name in _IGNORED_DEVICES:
            continue
        state = dev.get("state", "ok")
        label = DEVICE_NAMES.get(name, name)
        if state in ("ok", "busy"):
            continue
        words = f"{label}{STATE_TEXT.get(state, state)}"
        if state == "fault" and (dev.get("code") or dev.get("detail")):
            words += f"（{dev.get('detail') or dev.get('code')}）"
        (amber if state == "paper_near_end" else red).append(words)
    if snapshot.get("screen") == "maintenance":
        amber.append("维护模式")
    pending = snapshot.get("outbox_pending") or 0
    if pending >= OUTBOX_AMBER:
        amber.append(f"待上传 {pending} 件")
    refused = snapshot.get("outbox_rejected")
    if isinstance(refused, int) and refused > 0:          # kiosk/rejected.py; /console/outbox
        amber.append(f"被退回 {refused} 件待处理")
    if snapshot.get("outbox_writable") is False:
        red.append("本机存储故障，不能受理申请")
    text, off = clock_text(snapshot)
    if off:                 # the kiosk stamps receipts with the hall's time meanwhile: amber, not red
        amber.append(text)
    if snapshot.get("paper") == "out" and not any("缺纸" in r for r in red):
        red.append("打印机缺纸")
    if red:
        return "red", "；".join(red + amber)
    if amber:
        return "amber", "；".join(amber)
    return "green", "正常"


CLOCK_OFF_S = 300           # the terminal's clock differs from the hall's by more: flagged (no NTP?)


def clock_text(snapshot: dict) -> tuple[str, bool]:
    """(the terminal's clock in words, is it off by more than CLOCK_OFF_S). The kiosk measures
    the offset against the hall's time in heartbeat replies (kiosk.clock.HallTime) and reports
    it from its second heartbeat on; hall minus terminal, so negative = the terminal is fast."""
    offset = snapshot.get("clock_offset_s")
    if not isinstance(offset, (int, float)) or isinstance(offset, bool):
        return "未测量", False
    if abs(offset) <= CLOCK_OFF_S:
        return f"准确（相差 {abs(offset):.1f} 秒）" if abs(offset) < 60 else f"相差 {abs(offset) / 60:.0f} 分钟", False
    fast = "快" if offset < 0 else "慢"
    minutes = abs(offset) / 60
    amount = f"{minutes / 60:.1f} 小时" if minutes >= 120 else f"{minutes:.0f} 分钟"
    return f"本机时钟{fast} {amount}", True


def offline_text(received_at: dt.datetime | None, now: dt.datetime) -> str:
    if received_at is None:
        return "从未连接"
    minutes = int((now - db.as_utc(received_at)).total_seconds() // 60)
    return f"离线：{minutes} 分钟无心跳" if minutes >= 1 else "离线：心跳中断"


def beat_values(terminal_id: str, snapshot: dict, default_interval: int,
                now: dt.datetime | None = None) -> dict:
    """The heartbeats row one snapshot makes: the assessment is pure, so it is done where the
    heartbeat arrives and the writer only stores it."""
    now = now or db.utcnow()
    interval = snapshot.get("interval_s") or default_interval
    level, reason = assess(snapshot)
    return {"terminal_id": terminal_id, "snapshot": snapshot, "received_at": now, "interval_s": interval,
            "level": level, "reason": reason, "offline_after": now + dt.timedelta(seconds=interval * MISSED_BEATS),
            "offline": False}


MAX_COMMANDS = 20           # per reply; the rest ride on the next ones, oldest first
REDELIVER_S = 60            # a command handed out but not acknowledged this long is offered again


_ROW_COLUMNS = ("snapshot", "received_at", "interval_s", "level", "reason", "offline_after", "offline")
_UPSERTS: dict = {}


def _upsert(dialect: str):
    if dialect in _UPSERTS:
        return _UPSERTS[dialect]
    hb = db.Heartbeat.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(hb)
    _UPSERTS[dialect] = stmt.on_conflict_do_update(index_elements=[hb.c.terminal_id],
                                                   set_={c: stmt.excluded[c] for c in _ROW_COLUMNS})
    return _UPSERTS[dialect]


def record_heartbeats(conn, rows: list[dict]) -> list[list[dict]]:
    """Store a batch of heartbeats (beat_values rows, oldest first) in the connection's
    transaction and return each one's commands ({"id", "kind", "payload"}, oldest first, at most
    MAX_COMMANDS): those not yet handed out, and those handed out over REDELIVER_S ago and still
    unacknowledged. The caller commits.

    SQLAlchemy Core, a fixed number of statements per batch whatever its size: one read of the
    terminals' previous levels, one upsert of the latest rows, one insert of the status changes
    (history is written on change only), one read of deliverable commands and one update
    claiming them (RETURNING: only what this transaction claimed goes out)."""
    hb, cmd, ev = db.Heartbeat.__table__, db.Command.__table__, db.TerminalEvent.__table__
    ids = list(dict.fromkeys(r["terminal_id"] for r in rows))
    state = {t: (level, reason, offline) for t, level, reason, offline in conn.execute(
        select(hb.c.terminal_id, hb.c.level, hb.c.reason, hb.c.offline).where(hb.c.terminal_id.in_(ids)))}
    events, latest = [], {}
    for r in rows:
        tid, level, reason = r["terminal_id"], r["level"], r["reason"]
        before = state.get(tid)
        if before is None:
            events.append({"terminal_id": tid, "at": r["received_at"], "kind": "online", "level": level,
                           "text": f"首次连接：{reason}"})
        elif before[2]:
            events.append({"terminal_id": tid, "at": r["received_at"], "kind": "online", "level": level,
                           "text": f"恢复在线：{reason}"})
        elif before[:2] != (level, reason):
            events.append({"terminal_id": tid, "at": r["received_at"], "kind": "status", "level": level,
                           "text": reason})
        state[tid] = (level, reason, False)
        latest[tid] = r                    # a terminal twice in one batch: its newest row is stored
    # In terminal order: two instances' batches then lock shared rows in the same order (no deadlock).
    conn.execute(_upsert(conn.dialect.name), [latest[t] for t in sorted(latest)])
    if events:
        conn.execute(ev.insert(), events)
    # Commands: each goes out in exactly one reply. The candidates are read, then claimed with
    # one UPDATE guarded on "not handed out (or its lease ran out)" whose RETURNING says which
    # rows this transaction claimed: when two hall instances answer heartbeats of the same
    # terminal at once, PostgreSQL makes the second UPDATE wait for the first's row locks and
    # re-check the guard, so the second claims nothing. A claimed command not acknowledged within
    # REDELIVER_S (the reply was lost) is offered again, once.
    cutoff = rows[-1]["received_at"] - dt.timedelta(seconds=REDELIVER_S)
    candidates: dict[str, list] = {t: [] for t in ids}
    for c in conn.execute(select(cmd.c.terminal_id, cmd.c.id)
                          .where(cmd.c.terminal_id.in_(ids), cmd.c.acked_at.is_(None),
                                 or_(cmd.c.delivered_at.is_(None), cmd.c.delivered_at < cutoff))
                          .order_by(cmd.c.created_at, cmd.c.id)):
        if len(candidates[c.terminal_id]) < MAX_COMMANDS:
            candidates[c.terminal_id].append(c.id)
    wanted = [cid for cs in candidates.values() for cid in cs]
    claimed = {}
    if wanted:
        claimed = {c.id: c for c in conn.execute(
            update(cmd).where(cmd.c.id.in_(wanted), cmd.c.acked_at.is_(None),
                              or_(cmd.c.delivered_at.is_(None), cmd.c.delivered_at < cutoff))
            .values(delivered_at=rows[-1]["received_at"])
            .returning(cmd.c.id, cmd.c.kind, cmd.c.payload))}
    replies = {t: [{"id": c.id, "kind": c.kind, "payload": c.payload} for cid in cs if (c := claimed.get(cid))]
               for t, cs in candidates.items()}
    # A terminal twice in one batch (a retried request): its commands go in the newest reply only.
    newest = {r["terminal_id"]: i for i, r in enumerate(rows)}
    return [replies[r["terminal_id"]] if newest[r["terminal_id"]] == i else [] for i, r in enumerate(rows)]


class HeartbeatWriter(BatchThread):
    """Group commit for heartbeats: one thread stores every heartbeat that arrived while the
    previous batch was being written, in one transaction, then answers them all.

    A heartbeat's reply still waits for its own commit (the status is stored and the commands it
    carries are marked delivered before the terminal hears of them); what is shared is the
    transaction, the statements and the hop to a thread. In a quiet hall a batch is one
    heartbeat and nothing waits; under load a batch lingers LINGER_S for company (docs/hall.md,
    Benchmark). If a batch fails (the database went away, a snapshot it refuses) each heartbeat
    is retried alone, so one bad heartbeat fails only its own request."""

    # A batch of one cost ~0.4 ms of CPU in SQLAlchemy and the database, about as much as a
    # batch of ten; lingering 8 ms when the previous batch began less than 12 ms ago (about 100
    # heartbeats a second or more) cut the CPU per heartbeat at 10,000 terminals by a third.
    LINGER_S = 0.008
    BUSY_S = 0.012

    def __init__(self, database: db.Database):
        super().__init__("heartbeat-writer")
        self.database = database
        self._conn = None           # PostgreSQL: the writer thread's own connection

    def handle_batch(self, rows: list[dict]) -> list[list[dict]]:
        if self.database.backend != "postgresql":
            with self.database.engine.begin() as conn:
                return record_heartbeats(conn, rows)
        # PostgreSQL: the writer keeps one connection for itself. Taking one from the pool per
        # batch cost a pre-ping each time (SELECT 1 in autocommit: a round trip and a transaction
        # of its own), as many as the batches' own commits at low rates (bench_hall_cluster.py,
        # docs/scale.md). A connection that fails is dropped; the next batch takes a fresh one.
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self.database.engine.connect()
        try:
            with conn.begin():
                return record_heartbeats(conn, rows)
        except Exception:
            self._conn = None
            conn.close()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def ack_command(s: Session, c: db.Command) -> None:
    """Mark `c` acknowledged, once: the UPDATE is guarded on acked_at IS NULL, so an ack sent
    twice (the reply was lost) or to two hall instances at once records one 'ack' event."""
    now = db.utcnow()
    cmd = db.Command.__table__
    done = s.execute(update(cmd).where(cmd.c.id == c.id, cmd.c.acked_at.is_(None))
                     .values(acked_at=now, delivered_at=func.coalesce(cmd.c.delivered_at, now))
                     .returning(cmd.c.id)).first()
    if done is not None:
        s.add(db.TerminalEvent(terminal_id=c.terminal_id, at=now, kind="ack", text=f"指令已确认：{db.COMMAND_TEXT.get(c.kind, c.kind)}"))
        log.info("command %s (%s) acked by %s", c.id, c.kind, c.terminal_id)
    s.commit()


SWEEP_CHUNK = 500          # terminals marked per transaction: the write lock is held ~ms, not seconds
SWEEP_LOG_EACH = 20        # above this many at once (the hall's network dropped) one summary line


def sweep_offline(s: Session, now: dt.datetime | None = None) -> list[str]:
    """Mark terminals whose heartbeats stopped as offline (once each); returns their ids.

    Set-based and in chunks: when the hall's own network drops, all terminals go offline in the
    same sweep, and marking 10,000 one statement at a time held SQLite's write lock for ~15 s
    (console writes failed meanwhile). The UPDATE stays guarded on offline = false and RETURNING
    says which rows this sweeper changed, so two sweepers (two workers) record each event once."""
    now = now or db.utcnow()
    hb = db.Heartbeat.__table__
    late = s.execute(select(hb.c.terminal_id, hb.c.received_at)
                     .where(hb.c.offline.is_(False), hb.c.offline_after < now)).all()
    s.rollback()                           # end the read: each chunk is its own short transaction
    last_seen = dict(late)
    ids = sorted(last_seen)
    marked: list[str] = []
    for k in range(0, len(ids), SWEEP_CHUNK):
        chunk = ids[k:k + SWEEP_CHUNK]
        changed = list(s.scalars(update(hb).where(hb.c.terminal_id.in_(chunk), hb.c.offline.is_(False))
                                 .values(offline=True, level="red", reason="离线").returning(hb.c.terminal_id)))
        if changed:
            s.execute(db.TerminalEvent.__table__.insert(), [
                {"terminal_id": tid, "at": now, "kind": "offline", "level": "red",
                 "text": offline_text(last_seen[tid], now)} for tid in changed])
        s.commit()
        marked += changed
    if len(marked) > SWEEP_LOG_EACH:
        log.warning("%d terminals went offline at once (no heartbeat for %d intervals): is the hall's network "
                    "down? first: %s", len(marked), MISSED_BEATS, ", ".join(sorted(marked)[:5]))
    else:
        for tid in marked:
            log.warning("terminal %s is offline (no heartbeat for %d intervals)", tid, MISSED_BEATS)
    return marked


def sweep_once(database: db.Database) -> list[str] | None:
    """One offline sweep, by one hall instance at a time: None when another instance holds the
    sweep's advisory lock (it is sweeping now; ours would find nothing left to mark).

    Every instance tries every SWEEP_EVERY_S, so when the sweeping instance dies (its session
    and lock go with it) another one sweeps within a second. docs/scale.md, What is kept in memory."""
    with locks.try_session_lock(database.engine, locks.OFFLINE_SWEEP) as conn:
        if conn is None:
            return None
        with Session(bind=conn) as s:
            return sweep_offline(s)


def terminal_view(t: db.Terminal, hb: db.Heartbeat | None, now: dt.datetime) -> dict:
    """The dashboard's view of one terminal: level and reason as of `now` (offline included,
    even before the sweeper has run)."""
    if hb is None:
        level, reason, online = "red", "从未连接", False
    elif db.as_utc(hb.offline_after) < now or hb.offline:
        level, reason, online = "red", offline_text(hb.received_at, now), False
    else:
        level, reason, online = hb.level, hb.reason, True
    snap = hb.snapshot if hb else {}
    return {"id": t.id, "name": t.name, "location": t.location, "revoked": t.revoked, "online": online,
            "level": "red" if t.revoked else level, "reason": "已停用" if t.revoked else reason,
            "last_heartbeat": china_time(hb.received_at) if hb else None,
            "screen": snap.get("screen", ""), "app_version": snap.get("app_version", ""),
            "clock_text": clock_text(snap)[0], "clock_off": clock_text(snap)[1],
            "outbox_pending": snap.get("outbox_pending", 0), "paper": paper_state(snap) if hb else "unknown",
            "outbox_rejected": snap.get("outbox_rejected", 0) if isinstance(snap.get("outbox_rejected"), int) else 0}
