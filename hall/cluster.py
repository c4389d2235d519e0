"""What one hall instance must tell the others when several serve one database (hall.toml
`cluster = true`, and equally `hall serve --workers N`): today, only that the catalogue was
reloaded. Everything else an instance keeps in memory is either re-read from the database on
its own (tokens every second, the dashboard every 2 s, /metrics every 5 s) or belongs to the
instance alone (docs/scale.md, What is kept in memory).

The console's 重新加载事项目录 runs on whichever instance the balancer picked. That instance
reloads and bumps `catalog_generation` in hall_meta; every instance (itself included) checks the
value every CHECK_S and reloads its own copy of the catalogue directory when it changed. Each
machine reads its own files: deploy the same catalogue to every instance first. A machine whose
files differ from what was already served under a version refuses the reload (CatalogError,
hall/catalog_versions.py), keeps serving what it had, and logs which file is wrong.
"""
from __future__ import annotations

import logging
import secrets
import threading

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from hall import db
from hall.catalog_versions import CatalogService
from kiosk.domain.catalogue import CatalogError

log = logging.getLogger("hall.cluster")

CATALOG_GENERATION = "catalog_generation"


def announce_catalog_reload(s: Session) -> str:
    """Record that the catalogue was reloaded (a new random generation); committed by the caller
    with its audit entry. Returns the generation."""
    generation = secrets.token_hex(8)
    row = s.get(db.Meta, CATALOG_GENERATION)
    if row is None:
        s.add(db.Meta(key=CATALOG_GENERATION, value=generation))
        try:
            s.flush()
        except IntegrityError:            # another instance announced at the same moment
            s.rollback()
            s.get(db.Meta, CATALOG_GENERATION).value = generation
    else:
        row.value = generation
    return generation


def current_generation(s: Session) -> str:
    return s.scalar(select(db.Meta.value).where(db.Meta.key == CATALOG_GENERATION)) or ""


class CatalogFollower:
    """Reloads this instance's catalogue when another instance announced a reload."""

    CHECK_S = 2.0

    def __init__(self, catalog: CatalogService, database: db.Database):
        self.catalog, self.database = catalog, database
        self.seen: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check_once(self) -> bool:
        """Reload if the generation changed since the last check; True when it reloaded."""
        with self.database.session() as s:
            generation = current_generation(s)
        if self.seen is None or generation == self.seen:
            self.seen = generation            # the first check only notes where we start
            return False
        self.seen = generation
        try:
            self.catalog.load()
        except CatalogError as e:
            log.error("catalogue reload announced by another instance failed here; still serving the "
                      "previous one: %s", e)
            return False
        log.info("catalogue reloaded: announced by another instance (generation %s)", generation)
        return True

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="catalog-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except SQLAlchemyError as e:
                log.warning("catalogue generation check failed: %s", type(e).__name__)
            self._stop.wait(self.CHECK_S)
