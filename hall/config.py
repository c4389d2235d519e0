"""The hall's settings: config/hall.toml (demo) or /etc/bianmin/hall.toml (production).

Flat TOML loaded into a frozen dataclass. The first five keys are required; the rest have
defaults (shown in config/hall.toml). Constructing the settings also loads and checks the
holiday calendar (hall/holidays.py; `holiday_calendar()` gives it to create_app). A mistake stops the server at
start with a message that names the file, the key and what is expected, rather than surfacing
later as a strange runtime error. Relative paths are relative to the working directory.
"""
from __future__ import annotations

import ipaddress
import ssl
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from hall import holidays


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
    heartbeat_interval_s: int = 30        # assumed for a terminal that does not report its own
    console_secure_cookie: bool = False   # true behind HTTPS: the session cookie is then Secure
    console_idle_minutes: int = 30        # a console session ends after this long without a request
    console_session_max_hours: int = 12   # …and this long after the login, however busy
    login_max_failures: int = 5           # consecutive wrong passwords before an account is locked
    login_lockout_minutes: int = 15
    # Audit rows (who read whose data) older than this are deleted, hourly. 网络安全法 第二十一条:
    # network logs kept at least six months, hence the floor of 180; 3 years by default.
    audit_retention_days: int = 1095
    # Directory of YYYY.toml holiday files; "" = config/holidays if it exists (else Monday–Friday).
    # str, not Path: `hall serve --workers N` passes the settings to its workers as JSON.
    holidays_dir: str = ""
    # /metrics needs `Authorization: Bearer <the file's content>`; the file is made (random,
    # mode 0600) at the first start if missing. "" = no token (embedded/test halls on 127.0.0.1).
    metrics_token_file: str = ""
    metrics_public: bool = False          # true: no token even on a non-loopback host (network-restricted)
    log_heartbeats: bool = False          # true: an access-log line for every successful heartbeat too
    # The hall serving HTTPS itself (uvicorn ssl_certfile/ssl_keyfile), PEM files; both or neither.
    # "" = plain HTTP, for a hall behind a TLS-terminating reverse proxy on the same machine
    # (config/nginx/hall.conf) or on 127.0.0.1. docs/deploy.md, Connection to the hall (TLS).
    tls_certfile: str = ""                # the certificate, then any intermediate CAs
    tls_keyfile: str = ""
    # true: this hall is one of several identical instances on one PostgreSQL behind a load
    # balancer (docs/scale.md). Refused on SQLite: a file is one machine's, and its lock is not shared.
    cluster: bool = False

    def __post_init__(self):
        # Checked however the settings were made (hall.toml, the embedded hall, a worker's JSON),
        # so every hall start validates the holiday files and the /metrics choice.
        if (not self.metrics_token_file and not self.metrics_public and not is_loopback(self.host)):
            raise ConfigError("hall settings", "metrics_token_file",
                              f"required when host is not a loopback address (host = {self.host!r}): "
                              'e.g. metrics_token_file = "/etc/bianmin/metrics.token" (Prometheus sends it as '
                              "a bearer token), or metrics_public = true if the network already restricts /metrics")
        self.holiday_calendar()
        self._check_tls()
        if self.cluster and not self.database_url.startswith("postgresql"):
            raise ConfigError("hall settings", "cluster",
                              "cluster = true (several hall instances on one database) needs PostgreSQL, but "
                              "database_url (or HALL_DATABASE_URL) is SQLite: set it to e.g. "
                              '"postgresql+psycopg://hall@db.example/hall", or cluster = false for a single hall')

    def _check_tls(self) -> None:
        if bool(self.tls_certfile) != bool(self.tls_keyfile):
            missing = "tls_keyfile" if self.tls_certfile else "tls_certfile"
            raise ConfigError("hall settings", missing, "tls_certfile and tls_keyfile go together: set both "
                              "(the hall serves HTTPS) or neither (plain HTTP behind a reverse proxy)")
        if self.tls_certfile:
            for key, path in (("tls_certfile", self.tls_certfile), ("tls_keyfile", self.tls_keyfile)):
                if not Path(path).is_file():
                    raise ConfigError("hall settings", key, f"{path}: file not found")
            try:
                ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(self.tls_certfile, self.tls_keyfile)
            except (ssl.SSLError, OSError) as e:
                raise ConfigError("hall settings", "tls_certfile",
                                  f"{self.tls_certfile} with key {self.tls_keyfile}: not a PEM certificate and "
                                  f"its matching key, or unreadable by this user ({e})") from None

    def uvicorn_tls(self) -> dict:
        """uvicorn's arguments for HTTPS ({} = plain HTTP)."""
        if not self.tls_certfile:
            return {}
        return {"ssl_certfile": self.tls_certfile, "ssl_keyfile": self.tls_keyfile}

    def holiday_calendar(self) -> holidays.HolidayCalendar:
        """The working-day calendar due dates are counted with (loaded and checked each call)."""
        try:
            return holidays.calendar_for(self.holidays_dir)
        except holidays.HolidayError as e:
            raise ConfigError(e.path, e.key, e.message) from None


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
_OPTIONAL = {
    "heartbeat_interval_s": (lambda v: _int_in(v, 1, 3600), "an integer number of seconds 1..3600, e.g. 30"),
    "console_secure_cookie": (lambda v: isinstance(v, bool), "true or false"),
    "console_idle_minutes": (lambda v: _int_in(v, 1, 24 * 60), "an integer number of minutes 1..1440"),
    "console_session_max_hours": (lambda v: _int_in(v, 1, 72), "an integer number of hours 1..72"),
    "login_max_failures": (lambda v: _int_in(v, 1, 100), "an integer 1..100"),
    "login_lockout_minutes": (lambda v: _int_in(v, 1, 24 * 60), "an integer number of minutes 1..1440"),
    "audit_retention_days": (lambda v: _int_in(v, 180, 3650),
                             "an integer number of days 180..3650 (网络安全法: logs kept at least six months)"),
    "holidays_dir": (lambda v: isinstance(v, str), 'a directory of YYYY.toml holiday files, e.g. "config/holidays"'),
    "metrics_token_file": (lambda v: isinstance(v, str) and "\n" not in v,
                           'a file holding the bearer token for /metrics, e.g. "var/metrics.token" ("" = none)'),
    "metrics_public": (lambda v: isinstance(v, bool), "true or false"),
    "log_heartbeats": (lambda v: isinstance(v, bool), "true or false"),
    "tls_certfile": (lambda v: isinstance(v, str), 'the certificate (PEM), e.g. "/etc/bianmin/hall.crt" ("" = no TLS)'),
    "tls_keyfile": (lambda v: isinstance(v, str), 'its private key (PEM), e.g. "/etc/bianmin/hall.key"'),
    "cluster": (lambda v: isinstance(v, bool), "true (one of several instances on PostgreSQL) or false"),
}
assert set(_EXPECTED) | set(_OPTIONAL) == {f.name for f in fields(HallSettings)}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _int_in(v, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


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
    except UnicodeDecodeError as e:     # tomllib.load decodes the bytes itself (found by fuzzing)
        raise ConfigError(path, "(encoding)", f"not UTF-8 text (byte {e.start}); save the file as UTF-8") from None
    return settings_from_dict(raw, where=path)


def settings_from_dict(raw: dict, where: Path | str = "hall settings") -> HallSettings:
    unknown = sorted(set(raw) - set(_EXPECTED) - set(_OPTIONAL))
    if unknown:
        raise ConfigError(where, ", ".join(unknown),
                          f"unknown key(s); allowed keys: {sorted(set(_EXPECTED) | set(_OPTIONAL))}")
    for key, (ok, expected) in _EXPECTED.items():
        if key not in raw:
            raise ConfigError(where, key, f"missing; expected {expected}")
        if not ok(raw[key]):
            # Never echo a database URL: it may carry a password into a journal.
            got = f"a {type(raw[key]).__name__}" if key == "database_url" else repr(raw[key])
            raise ConfigError(where, key, f"expected {expected}, got {got}")
    for key, (ok, expected) in _OPTIONAL.items():
        if key in raw and not ok(raw[key]):
            raise ConfigError(where, key, f"expected {expected}, got {raw[key]!r}")
    optional = {k: raw[k] for k in _OPTIONAL if k in raw}
    try:
        return HallSettings(host=raw["host"], port=raw["port"], database_url=raw["database_url"],
                            catalog_dir=Path(raw["catalog_dir"]), hall_name=raw["hall_name"], **optional)
    except ConfigError as e:
        if e.path == "hall settings":          # a rule across keys of this file: name the file
            raise ConfigError(where, e.key, e.message) from None
        raise
