"""The catalogue the hall serves now, and every matter version it has ever served.

Kiosks cache the catalogue and their outboxes may deliver a submission hours after the hall
moved a matter to a new version. Refusing it would lose a citizen's application, so the hall
records each (code, version) with its full content the first time it serves it
(`matter_versions`), and checks a submission against the form of the version it names.

A version is immutable once served: if a file still says version N but its content differs
from what was served as N, loading stops with an error naming the file and the fix (raise
`version`), because kiosks would otherwise show one form and the hall check another.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall import db
from hall.catalog_store import CatalogSnapshot, canonical_json, load_catalog
from kiosk.domain.catalogue import CatalogError, Matter

log = logging.getLogger("hall.catalog")


def content_sha256(m: Matter) -> str:
    return hashlib.sha256(canonical_json(m.to_dict())).hexdigest()


class CatalogService:
    def __init__(self, catalog_dir: Path, database: db.Database):
        self.catalog_dir, self.database = Path(catalog_dir), database
        self.snapshot: CatalogSnapshot | None = None
        self._old: dict[tuple[str, int], Matter] = {}     # immutable once served: cache freely
        self._lock = threading.Lock()

    def load(self) -> CatalogSnapshot:
        """Read the catalogue dir, record new versions, and make it the one served.
        Raises CatalogError (nothing changes) when a file is broken or a served version changed."""
        with self._lock:
            snap = load_catalog(self.catalog_dir)
            with self.database.session() as s:
                added = record_versions(s, snap, self.catalog_dir)
            self.snapshot = snap        # one assignment: requests see the old or the new, never half
            log.info("catalogue loaded: %d matters, %d new versions recorded", len(snap.catalog.matters), added)
            return snap

    def matter(self, s: Session, code: str, version: int) -> Matter | None:
        """The matter as served under `version`, or None if the hall never served that version."""
        current = self.snapshot.matter(code)
        if current is not None and current.version == version:
            return current
        cached = self._old.get((code, version))
        if cached is not None:
            return cached
        row = s.scalar(select(db.MatterVersion).where(db.MatterVersion.code == code,
                                                      db.MatterVersion.version == version))
        if row is None:
            return None
        m = Matter.from_dict(_tuples_to_lists(row.content), where=f"matter_versions {code} v{version}")
        self._old[(code, version)] = m
        return m

    def versions(self, s: Session, code: str) -> list[int]:
        return list(s.scalars(select(db.MatterVersion.version).where(db.MatterVersion.code == code)
                              .order_by(db.MatterVersion.version)))


def record_versions(s: Session, snap: CatalogSnapshot, catalog_dir: Path) -> int:
    known = {(r.code, r.version): r.content_sha256
             for r in s.scalars(select(db.MatterVersion))}
    added = 0
    for m in snap.catalog.matters:
        digest = content_sha256(m)
        served = known.get((m.code, m.version))
        if served is None:
            s.add(db.MatterVersion(code=m.code, version=m.version, content_sha256=digest,
                                   content=m.to_dict()))
            added += 1
        elif served != digest:
            raise CatalogError(str(_file_of(catalog_dir, m.code)), "version",
                               f"matter {m.code} version {m.version} was already served with different "
                               f"content; raise version to {max(v for c, v in known if c == m.code) + 1} "
                               f"so kiosks and the hall agree on the form")
    try:
        s.commit()
    except IntegrityError:
        # Another hall process recorded the same versions at the same moment: theirs are equal
        # or the next load reports the conflict.
        s.rollback()
    return added


def _file_of(catalog_dir: Path, code: str) -> Path:
    for p in sorted(Path(catalog_dir).glob("*.toml")):
        try:
            if f'"{code}"' in p.read_text("utf-8"):
                return p
        except (OSError, UnicodeDecodeError):
            continue
    return Path(catalog_dir)


def _tuples_to_lists(x):
    # Matter.from_dict accepts lists and tuples alike; JSON brings lists back. Kept explicit
    # so a stored version parses exactly as the TOML it came from did.
    if isinstance(x, dict):
        return {k: _tuples_to_lists(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_tuples_to_lists(v) for v in x]
    return x
