"""The hall API over real HTTP as a fuzz target: a real hall (EmbeddedHall: uvicorn on 127.0.0.1,
SQLite) in this process's background thread, every operation of its OpenAPI document that takes
a body, each input one request from the enrolled terminal with a valid token.

The first byte picks the operation, the second the Content-Type (the operation's own most of the
time, else JSON, text/plain or none), the rest is the body. The promise checked: never a 5xx;
every refusal is a 4xx with a JSON {"detail": ...} body (413 is plain text, as documented).
hall_http_pg is the same on PostgreSQL. The router modules and hall.schemas are instrumented, so libFuzzer steers by the hall's branches.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

_STATE: dict = {}
REPO = Path(__file__).resolve().parents[2]


def setup(postgres: bool = False) -> None:
    """Start the hall. postgres=True: on the database FUZZ_HALL_DATABASE_URL names (the caller runs
    the cluster: libFuzzer ends this process with exit(), so nothing here could stop one)."""
    import requests

    from hall.embedded import EmbeddedHall
    from tests.fuzz.targets import _bodies_seeds

    url = os.environ.get("FUZZ_HALL_DATABASE_URL") if postgres else None
    if postgres and not url:
        raise SystemExit("hall_http_pg needs FUZZ_HALL_DATABASE_URL (a fresh PostgreSQL database)")
    # In the runner's work folder when there is one (this process ends with exit(): no clean-up).
    where = os.environ.get("FUZZ_SCRATCH")
    data_dir = Path(where) / "hall" if where else Path(tempfile.mkdtemp(prefix="fuzz-hall-")) / "hall"
    server = EmbeddedHall(data_dir, REPO / "config" / "catalog", database_url=url)
    token = server.enrol_terminal("T-FUZZ-1", "模糊测试终端", "一楼")
    base = server.start()
    server.import_credit(REPO / "hall" / "sample_data" / "credit_sample.json")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    doc = http.get(f"{base}/openapi.json", timeout=10).json()
    ops = []
    for path, item in sorted(doc["paths"].items()):
        for method, op in sorted(item.items()):
            body = op.get("requestBody")
            if body and path.startswith("/api/"):
                ops.append((method.upper(), path, next(iter(body["content"]))))
    ops.append(("POST", "/api/v1/terminals/{terminal_id}/commands/{command_id}/ack", ""))
    seed_bodies = {b[0]: b[1:] for b in _bodies_seeds()[:8]}
    app = json.loads(seed_bodies[0])
    r = http.post(f"{base}/api/v1/applications", json=app, headers={"Idempotency-Key": "fuzz-setup-0001"}, timeout=10)
    r.raise_for_status()
    _STATE.update(server=server, base=base, http=http, ops=ops, application_no=r.json()["application_no"],
                  id_number=app["applicant"]["id_number"], seed_bodies=seed_bodies)


def _url(path: str, data: bytes) -> str:
    fill = {"{terminal_id}": "T-FUZZ-1", "{application_no}": _STATE["application_no"], "{material_id}": "cdqz",
            "{command_id}": str(int.from_bytes(hashlib.sha1(data).digest()[:2], "big"))}
    for k, v in fill.items():
        path = path.replace(k, v)
    return _STATE["base"] + path


def run(data: bytes) -> None:
    from tests.fuzz.targets import BrokenPromise

    if len(data) < 2:
        data = data + b"\x00\x00"
    ops = _STATE["ops"]
    method, path, own_type = ops[data[0] % len(ops)]
    ctype = (own_type, own_type, "application/json", "text/plain", None)[data[1] % 5]
    headers = {"Idempotency-Key": hashlib.sha1(data).hexdigest()[:24]}
    if ctype:
        headers["Content-Type"] = ctype
    r = _STATE["http"].request(method, _url(path, data), data=data[2:], headers=headers, timeout=10)
    if r.status_code >= 500:
        raise BrokenPromise(f"{method} {path} ({ctype}) -> {r.status_code}: {r.text[:300]}")
    if r.status_code >= 400 and r.status_code != 413:
        try:
            detail = r.json()["detail"]
        except (ValueError, KeyError, TypeError):
            raise BrokenPromise(f"{method} {path} -> {r.status_code} without a JSON detail: {r.text[:200]}") from None
        if not isinstance(detail, str):
            raise BrokenPromise(f"{method} {path} -> {r.status_code}: detail is {type(detail).__name__}")


def seeds() -> list[bytes]:
    out = []
    bodies = _STATE["seed_bodies"]
    for i, (method, path, own) in enumerate(_STATE["ops"]):
        if path.endswith("/applications"):
            body = bodies[0]
        elif "heartbeat" in path:
            body = bodies[1]
        elif "evaluations" in path:
            body = bodies[2]
        elif "credit-reports" in path:
            body = bodies[3]
        elif "business-licence" in path:
            body = bodies[4]
        elif path.endswith("/progress") or path.endswith("/of-applicant"):
            body = json.dumps({"id_number": _STATE["id_number"]}).encode()
        elif "materials" in path:
            body = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"
        else:
            body = b""
        out.append(bytes([i, 0]) + body)
    out.append(bytes([1, 2]) + b"[" * 30000 + b"]" * 30000)        # deep nesting under 64 KB
    return out
