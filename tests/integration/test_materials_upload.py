"""申请材料 against a real hall on 127.0.0.1 (SQLite and PostgreSQL): the kiosk's outbox sends the
application with each material's disposition, then its photos once the hall has numbered it —
also when the hall is down at first and comes back; the hall stores both; the console's detail
page shows each material, its thumbnail (full size on click) and the 待补交 ones."""
from __future__ import annotations

import dataclasses
import re
import uuid

import requests
from sqlalchemy import select

from hall import db as hall_db
from kiosk.delivery import send_outbox_item
from kiosk.clock import SystemClock
from kiosk.controller import material_key, material_payload
from kiosk.domain import materials as M
from kiosk.outbox import OutboxSender, SqliteOutbox
from kiosk.platform import HallHttpClient
from tests.integration.conftest import STAFF, add_console_users, console_as

DISPOSITIONS = ({"id": "sqb", "disposition": "window"}, {"id": "sfzm", "disposition": "exempt"},
                {"id": "cdqz", "disposition": "attached"}, {"id": "xgt", "disposition": "attached"},
                {"id": "jgsm", "disposition": "none"}, {"id": "wts", "disposition": "none"})


def photo(text: str) -> bytes:
    """A real JPEG of a generated document page (the dock's sample), as the still camera makes it."""
    from drivers.scanner.sample_document import document
    from drivers.scanner.still import encode_jpeg
    page = document("lease_contract" if text == "cdqz" else "site_photo_sheet")
    return encode_jpeg(page)


def kiosk_side(hall, tmp_path):
    client = HallHttpClient(hall.base_url, hall.token, hall.terminal_id, cache_dir=tmp_path,
                            connect_timeout_s=1, read_timeout_s=5)
    outbox = SqliteOutbox(tmp_path / "outbox.sqlite3", SystemClock())
    sender = OutboxSender(outbox, send=lambda item: send_outbox_item(client, outbox, item))
    return client, outbox, sender


def enqueue(hall, outbox) -> tuple[str, dict]:
    app = dataclasses.replace(hall.sample_application(), materials=DISPOSITIONS)
    key = uuid.uuid4().hex
    images = {mid: photo(mid) for mid in ("cdqz", "xgt")}
    outbox.enqueue_many([(key, "application", app.to_json())] + [
        (material_key(key, mid), "material", material_payload(key, M.Attachment(mid, "image/jpeg", data)))
        for mid, data in images.items()])
    return key, images


def stored(hall, no: str):
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        rec = s.scalar(select(hall_db.ApplicationRecord).where(hall_db.ApplicationRecord.application_no == no))
        images = {m.material_id: (m.content_type, bytes(m.data)) for m in s.scalars(
            select(hall_db.ApplicationMaterial).where(hall_db.ApplicationMaterial.application_id == rec.id))}
        declared = list(rec.material_dispositions)
    d.dispose()
    return declared, images


def test_photos_follow_the_application_also_after_the_hall_was_down(hall, tmp_path):
    client, outbox, sender = kiosk_side(hall, tmp_path)
    hall.stop()
    key, images = enqueue(hall, outbox)
    assert sender.drain_once() is False                   # the hall is away: everything waits
    assert outbox.pending_count() == 3
    hall.start()
    assert sender.drain_once() is True
    no = outbox.result(key)["application_no"]
    declared, got = stored(hall, no)
    assert declared == list(DISPOSITIONS)
    assert got == {mid: ("image/jpeg", data) for mid, data in images.items()}
    assert outbox.result(material_key(key, "cdqz"))["size"] == len(images["cdqz"])
    # the progress answer lists what was received
    r = requests.get(f"{hall.base_url}/api/v1/applications/{no}", params={"id_number": "11010519491231002X"},
                     headers=hall.headers, timeout=10)
    assert r.json()["materials"] == ["cdqz", "xgt"]
    # ... and, named from the catalogue, what the applicant still has to bring to the window;
    # the kiosk's client reads it for the progress screen
    assert r.json()["to_bring"] == ["户外广告设施设置申请表"]
    assert client.progress(no, "11010519491231002X").to_bring == ("户外广告设施设置申请表",)
    outbox.close()


def test_an_old_kiosk_without_dispositions_is_still_accepted_and_replayed(hall, tmp_path):
    body = hall.sample_application().to_json()
    assert "materials" not in body
    headers = {**hall.headers, "Idempotency-Key": "old-kiosk-0001"}
    first = requests.post(f"{hall.base_url}/api/v1/applications", json=body, headers=headers, timeout=10)
    again = requests.post(f"{hall.base_url}/api/v1/applications", json=body, headers=headers, timeout=10)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["application_no"] == first.json()["application_no"]
    declared, _ = stored(hall, first.json()["application_no"])
    assert declared == []


def test_dispositions_the_matter_does_not_allow_are_refused(sqlite_hall):
    base = sqlite_hall.sample_application().to_json()

    def post(materials):
        return requests.post(f"{sqlite_hall.base_url}/api/v1/applications", json={**base, "materials": materials},
                             headers={**sqlite_hall.headers, "Idempotency-Key": uuid.uuid4().hex}, timeout=10)
    ok = [dict(d) for d in DISPOSITIONS]
    assert post(ok).status_code == 201
    assert post(ok + [{"id": "signature", "disposition": "attached"}]).status_code == 201   # the signature later
    cases = {
        "cdqz": ("window", "不能窗口补交"),          # a copy of the lease must be photographed
        "xgt": ("none", "必需材料未提交"),
        "sqb": ("exempt", "不能免提交"),
    }
    for mid, (disposition, words) in cases.items():
        bad = [dict(d, disposition=disposition) if d["id"] == mid else d for d in ok]
        r = post(bad)
        assert r.status_code == 422 and words in r.json()["detail"], (mid, r.text)
    r = post(ok + [{"id": "nope", "disposition": "attached"}])
    assert r.status_code == 422 and "不是该事项的申请材料" in r.json()["detail"]
    r = post(ok[:1] + [{"id": "sqb", "disposition": "kept"}])
    assert r.status_code == 422                            # not one of the four dispositions


def test_a_refused_image_is_not_retried(sqlite_hall, tmp_path):
    client, outbox, sender = kiosk_side(sqlite_hall, tmp_path)
    key, _ = enqueue(sqlite_hall, outbox)
    # a broken image (not a JPEG): the hall answers 415, the item is rejected, nothing loops
    outbox._db.execute("UPDATE outbox SET payload=json_set(payload, '$.data_b64', 'bm90IGEganBlZw==') WHERE key=?",
                       (material_key(key, "xgt"),))
    assert sender.drain_once() is True
    assert outbox.state_of(material_key(key, "xgt")) == "rejected"
    assert outbox.state_of(material_key(key, "cdqz")) == "sent"
    outbox.close()


def test_console_detail_shows_materials_thumbnails_and_what_is_to_hand_in(sqlite_hall, tmp_path):
    add_console_users(sqlite_hall)
    client, outbox, sender = kiosk_side(sqlite_hall, tmp_path)
    key, images = enqueue(sqlite_hall, outbox)
    assert sender.drain_once() is True
    no = outbox.result(key)["application_no"]
    c = console_as(sqlite_hall, STAFF)
    page = c.get(f"/console/applications/{no}").text
    rows = dict(re.findall(r'<tr data-material="([^"]+)" class="disp-([a-z]+)"', page))
    assert rows == {"sqb": "window", "sfzm": "exempt", "cdqz": "attached", "xgt": "attached", "jgsm": "none",
                    "wts": "none"}
    assert "待补交 1 项" in page and "待补交（窗口）" in page and "免提交（数据共享获取）" in page
    src = f"/console/applications/{no}/materials/cdqz"
    assert f'<a href="{src}" target="_blank"' in page and f'<img src="{src}"' in page
    full = c.get(src)
    assert full.headers["content-type"] == "image/jpeg" and full.content == images["cdqz"]
    # the kiosk's progress screen lists 待补交 while the application is open, not after 办结
    c.post(f"/console/applications/{no}/action", {"action": "accept"})
    assert client.progress(no, "11010519491231002X").to_bring == ("户外广告设施设置申请表",)
    c.post(f"/console/applications/{no}/action", {"action": "complete"})
    assert client.progress(no, "11010519491231002X").to_bring == ()
    outbox.close()
