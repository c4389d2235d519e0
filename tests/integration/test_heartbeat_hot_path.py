"""The heartbeat hot path (docs/decisions.md 17): tokens resolved in memory and re-checked every
second, heartbeats answered before FastAPI's routing when well-formed, and stored by a
group-committing writer — with the same behaviour as the plain route: a revocation still
takes effect within about a second, every error answer is FastAPI's, every reply carries the
terminal's own pending commands, and one bad heartbeat fails only itself."""
from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select, update

from hall import db as hall_db
from hall.api_deps import TerminalTokens
from hall.monitoring import HeartbeatWriter, beat_values

TIMEOUT = 10
SNAPSHOT = {"app_version": "0.2.0", "uptime_s": 60, "screen": "attract", "interval_s": 15,
            "devices": {"printer": {"state": "ok"}, "idcard": {"state": "ok"}}, "outbox_pending": 0}


def database(hall) -> hall_db.Database:
    return hall_db.Database(hall.server.database_url)


def beat(hall, terminal_id=None, headers=None, body=None, raw=None, content_type="application/json"):
    tid = terminal_id or hall.terminal_id
    data = raw if raw is not None else json.dumps(body if body is not None else SNAPSHOT).encode()
    return requests.post(f"{hall.base_url}/api/v1/terminals/{tid}/heartbeat", data=data, timeout=TIMEOUT,
                         headers={**(headers or hall.headers), "Content-Type": content_type})


def wait_for_status(hall, status: int, headers, limit: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if beat(hall, headers=headers).status_code == status:
            return time.monotonic() - t0
        time.sleep(0.05)
    raise AssertionError(f"no {status} within {limit} s")


def test_revoking_a_token_in_use_takes_effect_within_about_a_second(hall):
    for _ in range(3):                                  # in use: the token is in the in-memory table
        assert beat(hall).status_code == 200
    d = database(hall)
    with d.session() as s:                              # as `hall terminal revoke` does, from outside
        s.execute(update(hall_db.Terminal).where(hall_db.Terminal.id == hall.terminal_id).values(revoked=True))
        s.commit()
    d.dispose()
    took = wait_for_status(hall, 401, hall.headers, limit=5)
    assert took <= 2 * TerminalTokens.REFRESH_S + 0.5, took
    r = beat(hall)
    assert r.status_code == 401 and r.json() == {"detail": "unauthorized"}
    assert requests.get(f"{hall.base_url}/api/v1/catalog", headers=hall.headers, timeout=TIMEOUT).status_code == 401


def test_a_replaced_token_stops_working_and_the_new_one_works_at_once(sqlite_hall):
    hall = sqlite_hall
    assert beat(hall).status_code == 200
    new_token = hall.server.enrol_terminal(hall.terminal_id, "测试终端", "一楼大厅")   # re-enrolled: new token
    new = {"Authorization": f"Bearer {new_token}"}
    assert beat(hall, headers=new).status_code == 200                       # a new token needs no reload
    wait_for_status(hall, 401, hall.headers, limit=2 * TerminalTokens.REFRESH_S + 0.5)


def test_unknown_tokens_are_looked_up_every_time_and_never_remembered(sqlite_hall):
    hall = sqlite_hall
    tokens = hall.server.app.state.tokens
    before = tokens.lookups
    for _ in range(3):
        assert beat(hall, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert tokens.lookups - before == 3
    for _ in range(5):
        assert beat(hall).status_code == 200
    assert tokens.lookups - before <= 4                 # the real one: once, then from memory


def test_a_stale_token_table_falls_back_to_the_database(sqlite_hall):
    tokens = TerminalTokens(database(sqlite_hall))      # never started: no reloads
    key = hall_db.hash_token(sqlite_hall.token)
    tokens.remember(key, sqlite_hall.terminal_id)
    assert tokens.get(key) is None                      # not fresh: not trusted
    tokens.reload()
    assert tokens.get(key) == sqlite_hall.terminal_id
    tokens.database.dispose()


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.kiosk+json"])
def test_fast_path_and_fastapi_route_answer_alike(hall, content_type):
    # application/json takes the fast path; a +json type is left to the FastAPI route.
    r = beat(hall, content_type=content_type)
    assert r.status_code == 200 and r.json() == {"commands": []}
    assert r.headers["content-type"] == "application/json"
    cid = hall.add_command("notice", {"text": "今天16:00停止受理"})
    r = beat(hall, content_type=content_type)
    assert r.json() == {"commands": [{"id": cid, "kind": "notice", "payload": {"text": "今天16:00停止受理"}}]}
    assert "今天" in r.content.decode("utf-8")          # not \\u escapes, as FastAPI's JSONResponse
    for raw, status in [(b"{oops", 400), (b"[]", 422), (json.dumps({"uptime_s": -1}).encode(), 422)]:
        bad = beat(hall, raw=raw, content_type=content_type)
        assert bad.status_code == status and "detail" in bad.json(), (raw, bad.text)
    assert beat(hall, terminal_id="T-SOMEONE-ELSE", content_type=content_type).status_code == 403
    assert beat(hall, content_type="text/plain").status_code == 415


def test_many_terminals_at_once_each_get_their_own_commands(hall):
    tokens = {f"T-MANY-{i:02d}": hall.server.enrol_terminal(f"T-MANY-{i:02d}", f"终端{i}", "一楼") for i in range(24)}
    commands = {tid: hall.server.queue_command(tid, "notice", {"text": tid}) for tid in list(tokens)[::3]}

    def one(item):
        tid, token = item
        r = beat(hall, terminal_id=tid, headers={"Authorization": f"Bearer {token}"},
                 body={**SNAPSHOT, "outbox_pending": int(tid[-2:])})
        return tid, r.status_code, r.json()["commands"]

    for _round in range(2):
        with ThreadPoolExecutor(12) as pool:
            for tid, status, cmds in pool.map(one, tokens.items()):
                assert status == 200
                # Each command in one reply only: the first round's.
                assert [c["id"] for c in cmds] == ([commands[tid]] if tid in commands and _round == 0 else [])
                assert all(c["payload"] == {"text": tid} for c in cmds)
    d = database(hall)
    with d.session() as s:
        stored = dict(s.execute(select(hall_db.Heartbeat.terminal_id, hall_db.Heartbeat.snapshot)
                                .where(hall_db.Heartbeat.terminal_id.in_(tokens))).all())
        assert {tid: snap["outbox_pending"] for tid, snap in stored.items()} == {tid: int(tid[-2:]) for tid in tokens}
        # Status history on change only: one "首次连接" each, nothing for the second round.
        events = dict(s.execute(select(hall_db.TerminalEvent.terminal_id, func.count())
                                .where(hall_db.TerminalEvent.terminal_id.in_(tokens),
                                       hall_db.TerminalEvent.kind.in_(["online", "status"]))
                                .group_by(hall_db.TerminalEvent.terminal_id)).all())
        assert events == {tid: 1 for tid in tokens}
        delivered = s.execute(select(hall_db.Command.id, hall_db.Command.delivered_at)
                              .where(hall_db.Command.id.in_(commands.values()))).all()
        assert len(delivered) == len(commands) and all(at is not None for _id, at in delivered)
    d.dispose()


def test_one_bad_heartbeat_fails_only_itself(tmp_path):
    d = hall_db.Database(f"sqlite:///{tmp_path / 'hall.db'}")
    d.upgrade()
    with d.session() as s:
        for i in range(5):
            hall_db.enrol_terminal(s, f"T-{i}", "终端", "一楼")
        hall_db.queue_command(s, "T-3", "restart")
    writer = HeartbeatWriter(d)

    async def run():
        # A terminal that is not enrolled breaks the foreign key: its batch fails and is retried
        # heartbeat by heartbeat, so only that one fails.
        rows = [beat_values(f"T-{i}", SNAPSHOT, 30) for i in range(5)] + [beat_values("T-GHOST", SNAPSHOT, 30)]
        return await asyncio.gather(*(writer.submit(r) for r in rows), return_exceptions=True)

    try:
        results = asyncio.run(run())
    finally:
        writer.stop()
    assert [type(r).__name__ for r in results[:5]] == ["list"] * 5
    assert isinstance(results[5], Exception)
    assert [c["kind"] for c in results[3]] == ["restart"] and results[0] == []
    with d.session() as s:
        assert s.scalar(select(func.count()).select_from(hall_db.Heartbeat)) == 5
    assert writer.items == 6
    d.dispose()


def test_the_writer_shares_transactions_under_load(tmp_path):
    d = hall_db.Database(f"sqlite:///{tmp_path / 'hall.db'}")
    d.upgrade()
    with d.session() as s:
        for i in range(200):
            hall_db.enrol_terminal(s, f"T-{i:03d}", "终端", "一楼")
    writer = HeartbeatWriter(d)

    async def run():
        return await asyncio.gather(*(writer.submit(beat_values(f"T-{i:03d}", SNAPSHOT, 30)) for i in range(200)))

    try:
        assert asyncio.run(run()) == [[]] * 200
    finally:
        writer.stop()
    assert writer.items == 200 and writer.batches < 50
    with d.session() as s:
        assert s.scalar(select(func.count()).select_from(hall_db.Heartbeat)) == 200
    d.dispose()
