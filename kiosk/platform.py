"""The hall API client (ARCHITECTURE §6) over requests.

Typed errors instead of requests' exceptions: HallUnavailable (network down, timeout, 5xx:
try again later, the outbox keeps it) and HallRejected (4xx: the same request will never work).
Only idempotent GETs are retried here; a POST is retried by the outbox under its idempotency key.
"""
from __future__ import annotations

import email.utils
import json
import logging
import math
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kiosk.domain.application import Application
from kiosk.domain.catalogue import Catalog, CatalogError
from kiosk.domain.credit import report_from_json
from kiosk.domain.credit_report import CreditReport
from kiosk.domain.progress import Progress
from kiosk.ports import HallRejected, HallUnavailable, RemoteCommand, SubmitResult
from kiosk.tls import HallAdapter, HallTls, RefusePlainHttp

log = logging.getLogger(__name__)


class HallHttpClient:
    def __init__(self, base_url: str, token: str, terminal_id: str, cache_dir: Path,
                 connect_timeout_s: float = 3.0, read_timeout_s: float = 10.0,
                 tls: HallTls | None = None, hall_time=None):
        """tls: the hall's CA file / pinned certificate (kiosk/tls.py); None = the system's
        trust store. hall_time: a kiosk.clock.HallTime the heartbeat replies are measured into."""
        self._base = base_url.rstrip("/")
        self._terminal = terminal_id
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._cache = cache_dir / "catalog.json"
        self._hall_time = hall_time
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"
        self._http.trust_env = False   # the kiosk talks to its hall only: no proxy from the environment
        retry = Retry(total=2, connect=2, read=1, backoff_factor=0.2, allowed_methods={"GET"},
                      status_forcelist=(502, 503, 504), raise_on_status=False)
        if urlsplit(self._base).scheme == "https":
            tls = tls or HallTls()
            self._http.verify = tls.verify
            self._http.mount("https://", HallAdapter(tls, max_retries=retry))
            # Never in the clear once the hall is https (a redirect, a wrong link): refused here.
            self._http.mount("http://", RefusePlainHttp())
        else:                          # config allows http:// only to a loopback hall (kiosk/config.py)
            self._http.mount("http://", HTTPAdapter(max_retries=retry))
            self._http.mount("https://", HTTPAdapter(max_retries=retry))

    # -- transport ------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kw) -> requests.Response:
        try:
            # No redirects followed: the hall's API has none, and one could lead off the hall
            # (or to http://) with the applicant's data in the body.
            r = self._http.request(method, self._base + path, timeout=self._timeout, allow_redirects=False, **kw)
        except requests.exceptions.SSLError as e:
            # The technician's clue (expired, wrong host, unknown CA, pin): the screen only says
            # the network is down, and the outbox keeps the submission.
            log.warning("TLS to the hall failed: %s", _tls_reason(e))
            raise HallUnavailable(f"{method} {path}: SSLError") from e
        except requests.RequestException as e:
            raise HallUnavailable(f"{method} {path}: {type(e).__name__}") from e
        if 300 <= r.status_code < 400 and r.status_code != 304:
            raise HallUnavailable(f"{method} {path}: unexpected redirect HTTP {r.status_code}")
        if r.status_code >= 500:
            raise HallUnavailable(f"{method} {path}: HTTP {r.status_code}")
        if r.status_code >= 400:
            raise HallRejected(r.status_code, _detail(r))
        return r

    # -- API ------------------------------------------------------------------------------
    def catalog(self) -> Catalog:
        """The hall's catalogue; the cached copy (with its ETag) when unchanged or unreachable."""
        cached = self._read_cache()
        headers = {"If-None-Match": cached.etag} if cached and cached.etag else {}
        try:
            r = self._call("GET", "/api/v1/catalog", headers=headers)
        except HallUnavailable:
            if cached:
                log.info("hall unreachable, using the cached catalogue")
                return cached
            raise
        if r.status_code == 304 and cached:
            return cached
        catalog = Catalog.from_json(r.json(), etag=r.headers.get("ETag", ""))
        self._write_cache(r.json(), catalog.etag)
        return catalog

    def submit(self, app: Application, idempotency_key: str) -> SubmitResult:
        r = self._call("POST", "/api/v1/applications", json=app.to_json(),
                       headers={"Idempotency-Key": idempotency_key})
        body = r.json()
        return SubmitResult(application_no=body["application_no"], status=body.get("status", ""))

    def put_material(self, application_no: str, material_id: str, content_type: str, data: bytes) -> dict:
        """A material photo (image/jpeg) or the signature (image/png) of a numbered application.
        Idempotent on the hall (the same id replaces the image), so the outbox may retry it."""
        r = self._call("PUT", f"/api/v1/applications/{application_no}/materials/{material_id}", data=data,
                       headers={"Content-Type": content_type})
        return r.json()

    def progress(self, application_no: str, id_number: str) -> Progress:
        """One application's progress; the applicant's ID number (read from the card) is the proof.
        It goes in the POST body, never in the URL (proxies and access logs keep URLs). Being a
        POST it is not retried by the adapter: on a failure the person is asked to try again."""
        r = self._call("POST", f"/api/v1/applications/{application_no}/progress", json={"id_number": id_number})
        return Progress.from_json(r.json())

    def applications_of(self, id_number: str) -> list[Progress]:
        """The person's applications, newest first; the ID number in the body, as for progress."""
        r = self._call("POST", "/api/v1/applications/of-applicant", json={"id_number": id_number})
        return [Progress.from_json(a) for a in r.json().get("applications", [])]

    def credit_report(self, kind: str, code: str, requester_name: str, requester_id: str,
                      licence_qr: str = "") -> CreditReport:
        """信用报告 for a person (kind "person", their own ID number) or an enterprise (its
        统一社会信用代码; the hall checks the requester is its legal representative, or the licence QR)."""
        body = {"subject": {"kind": kind, "code": code},
                "requester": {"name": requester_name, "id_number": requester_id}, "licence_qr": licence_qr}
        r = self._call("POST", "/api/v1/credit-reports", json=body)
        return report_from_json(r.json())

    def evaluate(self, evaluation: dict, idempotency_key: str) -> dict:
        """好差评: {level, reasons, comment?, application_no?, matter_code} -> the hall's record."""
        r = self._call("POST", "/api/v1/evaluations", json=evaluation,
                       headers={"Idempotency-Key": idempotency_key})
        return r.json()

    def heartbeat(self, snapshot: dict) -> list[RemoteCommand]:
        """The snapshot goes out with what this link measured of the clocks (the hall flags a
        terminal off by more than 5 minutes); the reply's time is measured for the next one."""
        snapshot = {**snapshot, **self._clock_fields()}
        mono = self._hall_time.monotonic if self._hall_time is not None else time.monotonic
        sent = mono()
        r = self._call("POST", f"/api/v1/terminals/{self._terminal}/heartbeat", json=snapshot)
        received = mono()
        body = r.json()
        if self._hall_time is not None:
            hall_epoch = _hall_epoch(r)
            if hall_epoch is not None:
                self._hall_time.measure(sent, received, hall_epoch)
        return [RemoteCommand(id=str(c["id"]), kind=c["kind"], payload=c.get("payload") or {})
                for c in body.get("commands", [])]

    def _clock_fields(self) -> dict:
        offset = self._hall_time.offset_s() if self._hall_time is not None else None
        if offset is None:
            return {}
        return {"clock_offset_s": round(offset, 1), "clock_rtt_s": round(self._hall_time.rtt_s(), 3)}

    def ack(self, command_id: str) -> None:
        self._call("POST", f"/api/v1/terminals/{self._terminal}/commands/{command_id}/ack")

    # -- catalogue cache, for browsing while the hall is away -------------------------------
    def _read_cache(self) -> Catalog | None:
        try:
            stored = json.loads(self._cache.read_text("utf-8"))
            return Catalog.from_json(stored["catalog"], etag=stored.get("etag", ""))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, CatalogError) as e:
            log.warning("ignoring a damaged catalogue cache %s: %s", self._cache, e)
            return None

    def _write_cache(self, body: dict, etag: str) -> None:
        try:
            self._cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cache.with_suffix(".tmp")
            tmp.write_text(json.dumps({"etag": etag, "catalog": body}, ensure_ascii=False), "utf-8")
            tmp.replace(self._cache)   # atomic: a crash never leaves half a cache
        except OSError as e:
            log.warning("could not cache the catalogue: %s", e)


def _hall_epoch(r: requests.Response) -> float | None:
    """The hall's time in a heartbeat reply: its X-Hall-Time header (ms), else the Date header
    (whole seconds, stamped up to a second before it was sent: +0.5 s), else None."""
    try:
        t = float(r.headers["X-Hall-Time"])
        if math.isfinite(t):
            return t
    except (KeyError, ValueError):
        pass
    try:
        return email.utils.parsedate_to_datetime(r.headers["Date"]).timestamp() + 0.5
    except (KeyError, TypeError, ValueError):
        return None


def _tls_reason(e: BaseException) -> str:
    """The innermost error's words (requests wraps ssl's in urllib3's MaxRetryError and SSLError)."""
    seen = set()
    while id(e) not in seen:
        seen.add(id(e))
        reason = getattr(e, "reason", None)
        nxt = reason if isinstance(reason, BaseException) else (e.args[0] if e.args and isinstance(
            e.args[0], BaseException) else e.__cause__)
        if nxt is None:
            break
        e = nxt
    return str(e)[:300]


def _detail(r: requests.Response) -> str:
    try:
        d = r.json().get("detail", "")
    except ValueError:
        return f"HTTP {r.status_code}"
    return d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)[:300]
