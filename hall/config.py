"""The hall's settings: config/hall.toml (demo) or /etc/bianmin/hall.toml (production).

Flat TOML, every key required, loaded into a frozen dataclass. A mistake stops the server at
start with a message that names the file, the key and what is expected, rather than surfacing
later as a strange runtime error. Relative paths are relative to the working directory.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


class ConfigError(ValueError):
    def __init__(self, path: Path | str, key: str, message: str):
        super().__init__(f"{path}: {key}: {message}")
        self.path, self.key, self.message = str(path), key, message


@dataclass(frozen=True)
class HallSettings:
    host: str
    port: int
    database_url: str          # sqlite:///var/hall.db or postgresql+psycopg://...
    catalog_dir: Path
    hall_name: str


# key -> (check, what is expected); checks take the raw TOML value.
_EXPECTED = {
    "host": (lambda v: isinstance(v, str) and v.strip() != "", 'a non-empty string, e.g. "127.0.0.1"'),
    "port": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65535,
             "an integer port 1..65535, e.g. 8700"),
    "database_url": (lambda v: isinstance(v, str) and v.startswith(("sqlite://", "postgresql")),
                     'a SQLAlchemy URL, e.g. "sqlite:///var/hall.db" or "postgresql+psycopg://hall@/hall"'),
    "catalog_dir": (lambda v: isinstance(v, str) and v.strip() != "",
                    'a directory of matter *.toml files, e.g. "config/catalog"'),
    "hall_name": (lambda v: isinstance(v, str) and v.strip() != "", "the hall's name, a non-empty string"),
}
assert set(_EXPECTED) == {f.name for f in fields(HallSettings)}


def load_config(path: Path | str) -> HallSettings:
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "not found; pass --config or copy config/hall.toml") from None
    except OSError as e:
        raise ConfigError(path, "(file)", f"cannot be read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {e}") from None
    return settings_from_dict(raw, where=path)


def settings_from_dict(raw: dict, where: Path | str = "hall settings") -> HallSettings:
    unknown = sorted(set(raw) - set(_EXPECTED))
    if unknown:
        raise ConfigError(where, ", ".join(unknown), f"unknown key(s); allowed keys: {sorted(_EXPECTED)}")
    for key, (ok, expected) in _EXPECTED.items():
        if key not in raw:
            raise ConfigError(where, key, f"missing; expected {expected}")
        if not ok(raw[key]):
            # Never echo a database URL: it may carry a password into a journal.
            got = f"a {type(raw[key]).__name__}" if key == "database_url" else repr(raw[key])
            raise ConfigError(where, key, f"expected {expected}, got {got}")
    return HallSettings(host=raw["host"], port=raw["port"], database_url=raw["database_url"],
                        catalog_dir=Path(raw["catalog_dir"]), hall_name=raw["hall_name"])
