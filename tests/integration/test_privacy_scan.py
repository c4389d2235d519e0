"""No personal data left behind on the terminal (issue #12, 个人信息保护法): after whole visits
made with a planted card (name, ID number, address, photo) and a planted phone number — then the
same person's progress query, list and own credit report (slip and A4 PDF) — nothing
the kiosk wrote — its data directory and Kivy home, stdout/stderr (what journald keeps), its
TMPDIR, a faulthandler dump, the outbox after delivery, and the data directory as a power cut
would leave it (the SQLite WAL included) — holds any of them, in any encoding. Here a few visits;
tests/bench/bench_privacy_scan.py runs 100 (`make bench`). The scanner and the outbox are first
shown to be able to fail."""
from __future__ import annotations

import base64
import dataclasses
import json
import random
import sqlite3

import pytest

from drivers.printer.a4 import credit_report_pdf
from drivers.printer.samples import credit_report
from kiosk.clock import SystemClock
from kiosk.domain.identity import mask_id_number, mask_name
from kiosk.outbox import SqliteOutbox
from tests.integration.privacy_scan import (PLANTED_CARD, PLANTED_PHONE, binary_needles, planted_needles, run_visits,
                                            scan_run, scan_tree, text_needles)

VISITS = 2                     # Chinese, then English; 100 in the bench


def test_the_scanner_finds_each_value_in_each_encoding(tmp_path):
    image = random.Random(7).randbytes(30_000)
    needles = planted_needles({"doc": image})
    for i, n in enumerate(needles):
        (tmp_path / f"f{i:03d}.bin").write_bytes(b"noise " * 100 + n.data + b" noise")
    # As the outbox keeps an image (base64 inside JSON) and an application (JSON, UTF-8 or \u escapes).
    (tmp_path / "payload.json").write_text(json.dumps({"data_b64": base64.b64encode(image).decode()}), "utf-8")
    hits, stats = scan_tree(tmp_path, needles)
    found = {(h.what, h.encoding) for h in hits}
    assert found >= {(n.what, n.encoding) for n in needles} and stats["files"] == len(needles) + 1
    assert {h.what for h in hits if h.path == "payload.json"} == {"image:doc"}
    # A PDF keeps CJK text as glyph ids in compressed streams: found through its extracted text.
    # (An enterprise report: its name is printed in full, a person's is masked.)
    pdfs = tmp_path / "pdf"
    pdfs.mkdir()
    report = credit_report()
    report = dataclasses.replace(report, subject=dataclasses.replace(report.subject, name=PLANTED_CARD.name + "餐饮店"))
    credit_report_pdf(report, pdfs / "r.pdf")
    assert [(h.path, h.what, h.encoding) for h in scan_tree(pdfs, needles)[0]] == [("r.pdf#text", "name", "utf-8")]
    # What may stay: the masked forms printed on receipts and shown on screens.
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "receipt.txt").write_text(f"{mask_name(PLANTED_CARD.name)} {mask_id_number(PLANTED_CARD.id_number)} "
                                       f"{PLANTED_PHONE[:3]}****{PLANTED_PHONE[-4:]}", "utf-8")
    assert scan_tree(clean, needles)[0] == []


def _scan_outbox(folder, needles):
    return {(h.path.rsplit(".", 1)[-1] if "-" in h.path else "db", h.what) for h in scan_tree(folder, needles)[0]}


def test_the_outbox_keeps_nothing_it_has_delivered(tmp_path):
    """The kiosk's outbox while it runs (files read from under the open connection, as a power
    cut would leave them): a delivered application and image are gone from the database, its free
    pages and the WAL; one still waiting is there. The same steps on a plain SQLite database
    (secure_delete off, no checkpoint) leave the delivered one behind — what the scan would catch."""
    image = random.Random(1).randbytes(120_000)          # a photo's worth: overflow pages
    sent = {"applicant": {"name": PLANTED_CARD.name, "id_number": PLANTED_CARD.id_number, "phone": PLANTED_PHONE},
            "address": PLANTED_CARD.address}
    waiting = {"applicant": {"name": "欧阳待发", "id_number": "110105194912310038"}}
    needles = (planted_needles({"photo": image}) + text_needles("waiting", "欧阳待发")
               + text_needles("waiting_id", "110105194912310038"))

    box = SqliteOutbox(tmp_path / "box" / "outbox.sqlite3", SystemClock())
    box.enqueue_many([("a1", "application", sent), ("a1.photo", "material", {"data_b64": base64.b64encode(image).decode()})])
    box.enqueue("a2", "application", waiting)
    box.mark_sent("a1", {"application_no": "QY1"})
    box.mark_sent("a1.photo", {"ok": True})
    found = _scan_outbox(tmp_path / "box", needles)
    box.close()
    assert {w for _f, w in found} == {"waiting", "waiting_id"}, found

    plain = tmp_path / "plain"
    plain.mkdir()
    db = sqlite3.connect(plain / "outbox.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA secure_delete=OFF")
    db.execute("CREATE TABLE outbox (key TEXT PRIMARY KEY, payload TEXT)")
    db.execute("INSERT INTO outbox VALUES ('a1', ?)", (json.dumps(sent, ensure_ascii=False),))
    db.execute("INSERT INTO outbox VALUES ('a1.photo', ?)", (base64.b64encode(image).decode(),))
    db.execute("UPDATE outbox SET payload = NULL")
    leaked = {w.split(":")[0] for _f, w in _scan_outbox(plain, needles)}
    db.close()
    assert {"name", "id_number", "phone", "address", "image"} <= leaked


@pytest.mark.e2e
def test_a_few_whole_visits_leave_no_personal_data_on_the_terminal(tmp_path):
    summary = run_visits(tmp_path, VISITS, timeout_s=300, log_level="DEBUG")   # the bench: INFO
    assert summary["code"] == 0 and summary["sessions"] == VISITS and summary["outbox_pending_at_end"] == 0
    after = summary["after_visits"]          # then: progress by receipt QR, the list, own credit report
    assert after["applications_listed"] == VISITS and after["credit_report"]
    result = scan_run(tmp_path)
    # The control: the planted values did go through (they are in the hall, where they belong).
    assert {"name", "id_number", "phone", "image"} <= set(result["hall_found"]), result["hall_found"]
    assert result["images"] == 3 * VISITS                        # two photos and a signature a visit
    # Everything else was scanned, the WAL as a power cut would leave it among it.
    out = tmp_path / "out"
    assert (out / "at-kill" / "outbox.sqlite3").exists() and (out / "crash" / "faulthandler.txt").stat().st_size
    assert len(list((out / "reports").glob("*.pdf"))) == 1         # the A4 report, kept by the terminal
    journal = (tmp_path / "journal" / "stderr").read_text("utf-8")
    assert "DEBUG urllib3" in journal and "/progress" in journal        # every request line is in it
    assert result["kiosk_hits"] == [], result["kiosk_hits"][:20]
