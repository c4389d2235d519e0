"""The dashboard's tiles: one snapshot shared by every open console, and what changed since.

Each open console polls `/console/api/terminals` every 2 s. Built per request, the answer cost
~0.75 s of CPU at 10,000 terminals (ORM objects, a view per terminal, FastAPI's encoder, 2.5 MB
of JSON) while holding the GIL the heartbeats need. Now:

- one snapshot of all tiles is built at most every MAX_AGE_S, by whichever request finds it
  stale, under a lock (the others wait for it and share it), from one narrow Core query (the
  few snapshot fields a tile shows are extracted by the database, no JSON decoded here);
- the snapshot is versioned (`<process epoch>.<n>`; n grows when a tile changed) and every tile
  remembers the version it last changed in; a poll sends the version it has (`?since=`) and
  gets only the tiles changed after it, plus the counts. Everything again (`"full": true`)
  when it sends no version, one from another process or restart, or one older than the last
  change in the set or order of terminals;
- the answer is bytes (the full one serialised once per version), not a dict for FastAPI.

A tile's fields are terminal_view's minus `last_heartbeat` (it changes with every heartbeat, so
every tile would change every 15 s; the detail page shows it). Level and reason are terminal_view's
rules exactly: offline (3 missed intervals) is red with "离线：N 分钟无心跳" even before the
sweeper has run, a revoked terminal is red "已停用".
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from hall import db
from hall.monitoring import offline_text

MAX_AGE_S = 2.0          # one build serves every console polling within this time
_PAPER_OF_PRINTER = {"ok": "ok", "busy": "ok", "paper_near_end": "near_end", "paper_out": "out"}
_PAPER_STATES = frozenset({"ok", "near_end", "out", "unknown"})
LEVELS = ("green", "amber", "red")


def tile_rows(conn, now) -> list[dict]:
    """Every terminal's tile, ordered by id (one query; rules of monitoring.terminal_view)."""
    t, hb = db.Terminal.__table__, db.Heartbeat.__table__
    snap = hb.c.snapshot
    rows = conn.execute(
        select(t.c.id, t.c.name, t.c.location, t.c.revoked, hb.c.terminal_id.is_not(None),
               hb.c.offline.is_(False) & (hb.c.offline_after >= now), hb.c.received_at, hb.c.level, hb.c.reason,
               snap["screen"].as_string(), snap["app_version"].as_string(), snap["outbox_pending"].as_integer(),
               snap["paper"].as_string(), snap[("devices", "printer", "state")].as_string())
        .select_from(t.outerjoin(hb, hb.c.terminal_id == t.c.id)).order_by(t.c.id))
    tiles = []
    for (tid, name, location, revoked, beat, online, received_at, level, reason, screen, app_version, pending,
         paper, printer) in rows:
        online = bool(online)
        if not beat:
            level, reason, paper = "red", "从未连接", "unknown"
        else:
            if not online:
                level, reason = "red", offline_text(received_at, now)
            if paper not in _PAPER_STATES:
                paper = _PAPER_OF_PRINTER.get(printer, "unknown")
        if revoked:
            level, reason = "red", "已停用"
        tiles.append({"id": tid, "name": name, "location": location, "revoked": bool(revoked), "online": online,
                      "level": level, "reason": reason, "screen": screen or "", "app_version": app_version or "",
                      "outbox_pending": pending or 0, "paper": paper})
    return tiles


@dataclass
class Snapshot:
    epoch: str
    version: int
    built_at: float                       # time.monotonic()
    tiles: list[dict]                     # ordered by terminal id
    changed: dict[str, int]               # terminal id -> version its tile last changed in
    ids_version: int                      # version the set or order of terminals last changed in
    summary: dict[str, int]
    _full: bytes | None = field(default=None, repr=False)

    @property
    def tag(self) -> str:
        return f"{self.epoch}.{self.version}"

    def full(self) -> bytes:
        if self._full is None:            # once per version, whoever asks first (a race only repeats it)
            self._full = _dump({"version": self.tag, "full": True, "terminals": self.tiles, "summary": self.summary})
        return self._full

    def since(self, tag: str | None) -> bytes:
        """The answer to a poll that has seen version `tag`: only what changed after it, or
        everything if `tag` cannot be used."""
        epoch, _, n = (tag or "").partition(".")
        if epoch != self.epoch or not n.isdigit() or not self.ids_version <= int(n) <= self.version:
            return self.full()
        seen = int(n)
        changed = [t for t in self.tiles if self.changed[t["id"]] > seen] if seen < self.version else []
        return _dump({"version": self.tag, "full": False, "terminals": changed, "summary": self.summary})


def _dump(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


class Dashboard:
    """The shared, versioned tile snapshot of one hall process (app.state.dashboard)."""

    def __init__(self, database: db.Database, max_age_s: float = MAX_AGE_S):
        self.database = database
        self.max_age_s = max_age_s
        self.epoch = secrets.token_hex(4)          # versions of another process or a restart never match
        self._lock = threading.Lock()
        self._snap: Snapshot | None = None

    def current(self) -> Snapshot:
        snap = self._snap
        if snap is not None and time.monotonic() - snap.built_at < self.max_age_s:
            return snap
        with self._lock:                           # one build; everyone else waits for it and shares it
            snap = self._snap
            if snap is None or time.monotonic() - snap.built_at >= self.max_age_s:
                snap = self._snap = self._build(snap)
            return snap

    def _build(self, prev: Snapshot | None) -> Snapshot:
        now = db.utcnow()
        with self.database.engine.connect() as conn:
            tiles = tile_rows(conn, now)
        summary = dict.fromkeys(LEVELS, 0)
        for t in tiles:
            summary[t["level"]] += 1
        built = time.monotonic()
        if prev is None:
            return Snapshot(self.epoch, 1, built, tiles, {t["id"]: 1 for t in tiles}, 1, summary)
        old = {t["id"]: t for t in prev.tiles}
        version = prev.version + 1
        changed, any_change = {}, False
        for t in tiles:
            before = old.get(t["id"])
            if before == t:
                changed[t["id"]] = prev.changed[t["id"]]
            else:
                changed[t["id"]], any_change = version, True
        same_ids = len(old) == len(tiles) and all(a["id"] == b["id"] for a, b in zip(prev.tiles, tiles))
        if same_ids and not any_change:           # nothing to tell anyone: keep the version (and its bytes)
            return Snapshot(self.epoch, prev.version, built, prev.tiles, prev.changed, prev.ids_version, prev.summary,
                            prev._full)
        return Snapshot(self.epoch, version, built, tiles, changed, prev.ids_version if same_ids else version, summary)
