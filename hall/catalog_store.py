"""The matter catalogue as the hall serves it: one TOML file per matter in the catalog dir.

Every file goes through `Matter.from_dict`, the parser the kiosk also uses, so the hall
never serves a matter a kiosk would reject. The served body is canonical JSON (sorted keys,
UTF-8) and its ETag is the sha256 of exactly those bytes, so two halls with the same files
hand out the same ETag and kiosks revalidate cheaply.
"""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from kiosk.domain.catalogue import Catalog, CatalogError, Matter
from kiosk.domain.search import initials


@dataclass(frozen=True)
class CatalogSnapshot:
    catalog: Catalog
    body: bytes      # the exact JSON served by GET /api/v1/catalog
    etag: str        # quoted, as it goes in the ETag header

    def matter(self, code: str) -> Matter | None:
        try:
            return self.catalog.get(code)
        except KeyError:
            return None


def canonical_json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def load_matter(path: Path) -> Matter:
    where = str(path)
    try:
        with path.open("rb") as f:
            d = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(where, "(syntax)", f"not valid TOML: {e}") from None
    except UnicodeDecodeError as e:     # tomllib.load decodes the bytes itself (found by fuzzing)
        raise CatalogError(where, "(encoding)", f"not UTF-8 text (byte {e.start}); save the file as UTF-8") from None
    except OSError as e:
        raise CatalogError(where, "(file)", f"cannot be read: {e.strerror}") from None
    try:
        m = Matter.from_dict(d, where=where)
    except CatalogError:
        raise
    except (TypeError, ValueError) as e:
        # from_dict checks keys and most types; anything it lets through still names the file.
        raise CatalogError(where, "(structure)", str(e)) from None
    for f in m.form:
        # The hall matches submitted values against these: a bad one must fail at start, not per request.
        try:
            re.compile(f.pattern)
        except (re.error, TypeError) as e:
            raise CatalogError(where, f"form.{f.name}.pattern", f"not a valid regular expression: {e}") from None
    return m


def load_catalog(catalog_dir: Path | str) -> CatalogSnapshot:
    catalog_dir = Path(catalog_dir)
    if not catalog_dir.is_dir():
        raise CatalogError(str(catalog_dir), "(dir)", "catalog directory not found; set catalog_dir in hall.toml")
    files = sorted(catalog_dir.glob("*.toml"))
    if not files:
        raise CatalogError(str(catalog_dir), "(dir)", "no *.toml matter files; the hall would serve nothing")
    seen: dict[str, Path] = {}
    matters = []
    for path in files:
        m = load_matter(path)
        if m.code in seen:
            raise CatalogError(str(path), "code", f"{m.code!r} is already used by {seen[m.code]}")
        seen[m.code] = path
        matters.append(m)
    # Served with each matter's pinyin initials: the terminals search by them without loading
    # pypinyin's dictionary themselves (kiosk/domain/search.py).
    catalog = Catalog(tuple(matters), initials={m.code: initials(m.name) for m in matters})
    body = canonical_json(catalog.to_json())
    etag = '"' + hashlib.sha256(body).hexdigest() + '"'
    return CatalogSnapshot(replace(catalog, etag=etag), body, etag)
