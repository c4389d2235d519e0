"""Planted personal data and a scanner for it (issue #12, privacy): after visits made with a card
and a phone number nobody else uses, every file the kiosk wrote is searched, byte for byte, for
those values in every encoding they could leak in. Used by tests/integration/test_privacy_scan.py
(a few visits) and tests/bench/bench_privacy_scan.py (100 visits).

Raw bytes, not parsed files: a SQLite database is searched whole, so a payload deleted but still
in a free page, in the WAL or in the rollback journal is found like any other. A PDF is searched
raw and as its extracted text too (its CJK text is glyph ids in compressed streams).
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

from drivers.idcard.fixtures import FAKE_PHOTO
from kiosk.domain.identity import IdentityCard, ric_check_symbol

# Invented; chosen to occur nowhere else (a compound surname no fixture uses, a lane that does
# not exist, a number no test uses). The check digit is right, so every check passes.
_FIRST17 = "32010219870605947"
PLANTED_CARD = IdentityCard(
    name="司马隐晓", sex="女", nation="汉", birth=dt.date(1987, 6, 5),
    address="江苏省南京市玄武区隐私巷七十七号甲座", id_number=_FIRST17 + ric_check_symbol(_FIRST17),
    authority="南京市公安局玄武分局", valid_from=dt.date(2019, 1, 1), valid_to=dt.date(2039, 1, 1))
PLANTED_PHONE = "15899990123"       # typed into the form's phone field on every visit
CARD_PHOTO = FAKE_PHOTO             # the photo the simulated reader sends with the card

# Directories of the demo that are not what a terminal keeps: the embedded hall's own database
# (the hall is where applications are meant to be), the virtual receipt printer's paper (PNGs of
# what a real printer hands the citizen; a production terminal sends ESC/POS over TCP and keeps
# nothing) and the autopilot's screenshots (a production terminal takes none; the driver writes
# none either, see privacy_visits.py). `reports` (the A4 credit report PDFs) IS scanned: `kiosk run`
# keeps them in its data directory (build_runtime(out_dir=data_dir)).
NOT_THE_KIOSK = ("hall", "receipts", "screens")


@dataclasses.dataclass(frozen=True)
class Needle:
    what: str          # "name", "id_number", …
    encoding: str      # "utf-8", "gb18030", "json-escape", …
    data: bytes


def text_needles(what: str, value: str) -> list[Needle]:
    """`value` as it could appear in a file: UTF-8, GB18030, UTF-16 (both byte orders), JSON's
    \\u escapes (both hex cases), percent-encoding (URLs, forms; both cases, + for spaces)."""
    forms = {
        "utf-8": value.encode("utf-8"),
        "gb18030": value.encode("gb18030"),
        "utf-16-le": value.encode("utf-16-le"),
        "utf-16-be": value.encode("utf-16-be"),
        "json-escape": json.dumps(value)[1:-1].encode("ascii"),
        "json-escape-upper": json.dumps(value)[1:-1].replace("\\u", "\\U").upper().replace("\\U", "\\u").encode(),
        "percent": quote(value).encode("ascii"),
        "percent-lower": _lower_hex(quote(value)).encode("ascii"),
        "percent-plus": quote_plus(value).encode("ascii"),
    }
    seen, out = set(), []
    for enc, data in forms.items():
        if data not in seen:
            seen.add(data)
            out.append(Needle(what, enc, data))
    return out


def _lower_hex(s: str) -> str:
    parts = s.split("%")
    return parts[0] + "".join("%" + p[:2].lower() + p[2:] for p in parts[1:])


def binary_needles(what: str, data: bytes, windows: int = 4, size: int = 48) -> list[Needle]:
    """Slices of an image (raw, and of its base64 as the outbox keeps it): finding any one means
    a copy (or part of one) of the image is there."""
    out = []
    b64 = base64.b64encode(data)
    for i in range(windows):
        start = (len(data) - size) * (i + 1) // (windows + 1)
        out.append(Needle(what, "raw", data[start:start + size]))
        start64 = ((len(b64) - size) * (i + 1) // (windows + 1)) // 4 * 4
        out.append(Needle(what, "base64", b64[start64:start64 + size]))
    return out


def planted_needles(images: dict[str, bytes] | None = None) -> list[Needle]:
    card = PLANTED_CARD
    needles = (text_needles("name", card.name) + text_needles("id_number", card.id_number)
               + text_needles("id_number_17", card.id_number[:17]) + text_needles("phone", PLANTED_PHONE)
               + text_needles("address", card.address) + text_needles("address_part", "隐私巷七十七号")
               + binary_needles("card_photo", CARD_PHOTO))
    for name, data in (images or {}).items():
        needles += binary_needles(f"image:{name}", data)
    return needles


@dataclasses.dataclass(frozen=True)
class Hit:
    path: str
    what: str
    encoding: str
    offset: int


def scan_tree(root: Path, needles: list[Needle], skip: tuple[str, ...] = ()) -> tuple[list[Hit], dict]:
    """Every regular file under root (but the top-level folders in `skip`), searched for every
    needle. (hits, {"files": n, "bytes": n}); symlinks are not followed."""
    hits, files, size = [], 0, 0
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] in skip or path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        files, size = files + 1, size + len(data)
        views = [(str(rel), data)]
        if path.suffix.lower() == ".pdf":
            views.append((f"{rel}#text", pdf_text(path).encode("utf-8")))
        for name, content in views:
            for n in needles:
                at = content.find(n.data)
                if at >= 0:
                    hits.append(Hit(name, n.what, n.encoding, at))
    return hits, {"files": files, "bytes": size}


def pdf_text(path: Path) -> str:
    """The text of every page, as a reader would copy it (spaces and line breaks removed, so a
    name split across text runs still matches)."""
    from pypdf import PdfReader

    text = "".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return "".join(text.split())


# ---- the whole run: visits in their own process, then the scan ---------------------------------

ROOT = Path(__file__).resolve().parents[2]


def hall_images(out: Path) -> dict[str, bytes]:
    """The images the hall received (material photos, signatures): what the kiosk photographed."""
    import sqlite3

    [db] = list((out / "hall").glob("*.db"))
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT a.application_no, m.material_id, m.data FROM application_materials m "
                           "JOIN applications a ON a.id = m.application_id").fetchall()
    return {f"{no}/{mid}": data for no, mid, data in rows}


def run_visits(root: Path, visits: int, timeout_s: float = 900, log_level: str = "INFO") -> dict:
    """privacy_visits.py for `visits` visits with everything it writes under root:
    root/out (the demo's folder: kiosk-data, .kivy, crash, at-kill, …), root/tmp (its TMPDIR),
    root/journal/{stdout,stderr} (what journald would capture; `log_level` DEBUG as a technician
    debugging a terminal would have it). Returns its summary line."""
    import os
    import subprocess
    import sys

    for d in ("tmp", "journal"):
        (root / d).mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "KIVY_HOME")}
    env.update(SDL_VIDEODRIVER="offscreen", TMPDIR=str(root / "tmp"), PYTHONFAULTHANDLER="1",
               PRIVACY_LOG_LEVEL=log_level)
    with (root / "journal" / "stdout").open("wb") as out, (root / "journal" / "stderr").open("wb") as err:
        proc = subprocess.run([sys.executable, str(ROOT / "tests" / "integration" / "privacy_visits.py"),
                               str(root / "out"), str(visits)], cwd=ROOT, env=env, stdout=out, stderr=err,
                              timeout=timeout_s)
    journal = (root / "journal" / "stdout").read_text("utf-8", "replace")
    if proc.returncode != 0:
        raise AssertionError(journal[-2000:] + (root / "journal" / "stderr").read_text("utf-8", "replace")[-4000:])
    return json.loads(journal.strip().splitlines()[-1])


def scan_run(root: Path) -> dict:
    """Scan what a run under root left: the kiosk's files (hits must be []) and, as the control
    that the planted data really went through, the hall's database (must hold it)."""
    images = hall_images(root / "out")
    needles = planted_needles(images)
    hits, stats = scan_tree(root, needles, skip=())
    kiosk = [h for h in hits if not (h.path.startswith("out/") and h.path.split("/")[1] in NOT_THE_KIOSK)]
    hall = {h.what.split(":")[0] for h in hits if h.path.startswith("out/hall/")}
    return {"kiosk_hits": kiosk, "hall_found": sorted(hall), "images": len(images), "needles": len(needles),
            **stats}
