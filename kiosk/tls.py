"""HTTPS to the hall: the hall's own CA file and/or a pinned certificate (kiosk.toml [hall]).

Halls run on a government intranet, often with a certificate from their own CA or a self-signed
one, so the kiosk can trust exactly that: `ca_file` (the hall's CA, PEM: chain and host name are
checked) and/or `pin_sha256` (the hall's certificate itself: checked right after the handshake,
before a single byte of the request is written; with a pin alone its dates are checked too). A pin is either

    "sha256//<base64>"        SHA-256 of the certificate's public key (SPKI), as curl's
                              --pinnedpubkey: survives a renewal that keeps the key;
    "AB:CD:…" / "abcd…"       SHA-256 of the whole certificate (DER), as printed by
                              `openssl x509 -noout -fingerprint -sha256`: changes at each renewal.

Several pins (comma-separated) allow a planned change of certificate. With a pin and no CA file
the chain is not checked (a self-signed hall): the pin *is* the trust. With neither, the system's
trust store is used (a hall with a publicly issued certificate).

A mismatch raises PinMismatch, an ssl error: requests reports it as SSLError, the hall client as
HallUnavailable — the submission stays in the outbox and the terminal says the network is down.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import ssl
import time
from dataclasses import dataclass

from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError as RequestsConnectionError
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class PinError(ValueError):
    """A pin_sha256 value that is not a pin (config error, named by kiosk/config.py)."""


class PinMismatch(ssl.SSLCertVerificationError):
    def __str__(self) -> str:          # ssl errors made by hand print as a tuple otherwise
        return str(self.args[0]) if self.args else "pin mismatch"


@dataclass(frozen=True)
class Pin:
    kind: str            # "spki" | "cert"
    digest: bytes        # 32 bytes

    def matches(self, cert_der: bytes) -> bool:
        data = spki_der(cert_der) if self.kind == "spki" else cert_der
        return hashlib.sha256(data).digest() == self.digest


@dataclass(frozen=True)
class HallTls:
    ca_file: str = ""                    # "" = the system's trust store (unless pinned)
    pins: tuple[Pin, ...] = ()

    @classmethod
    def from_config(cls, ca_file: str, pin_sha256: str) -> "HallTls":
        return cls(ca_file=ca_file, pins=parse_pins(pin_sha256))

    @property
    def verify(self) -> bool | str:
        """requests' `verify`: the CA file; False when a pin alone is the trust (PinnedConnection
        then marks the connection verified); True = the system's trust store."""
        if self.ca_file:
            return self.ca_file
        return False if self.pins else True


def parse_pins(text: str) -> tuple[Pin, ...]:
    pins = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        if item.lower().startswith("sha256//"):
            try:
                digest = base64.b64decode(item[8:], validate=True)
            except binascii.Error:
                raise PinError(f"{item!r}: not base64 after sha256//") from None
            kind = "spki"
        else:
            hexa = item.replace(":", "")
            try:
                digest = bytes.fromhex(hexa)
            except ValueError:
                raise PinError(f"{item!r}: expected sha256//<base64> (public key) or 64 hex digits "
                               "(certificate fingerprint)") from None
            kind = "cert"
        if len(digest) != 32:
            raise PinError(f"{item!r}: a SHA-256 digest is 32 bytes, this is {len(digest)}")
        pins.append(Pin(kind, digest))
    return tuple(pins)


def spki_der(cert_der: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    key = x509.load_der_x509_certificate(cert_der).public_key()
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def pins_of(cert_der: bytes) -> tuple[str, str]:
    """(SPKI pin, certificate fingerprint) of a certificate, in the forms pin_sha256 takes."""
    spki = "sha256//" + base64.b64encode(hashlib.sha256(spki_der(cert_der)).digest()).decode()
    fp = hashlib.sha256(cert_der).hexdigest().upper()
    return spki, ":".join(fp[i:i + 2] for i in range(0, 64, 2))


def expired(cert_der: bytes, now: float) -> str:
    """Why a certificate is not valid at `now` (epoch seconds), or "" if it is."""
    import datetime as dt

    from cryptography import x509
    cert = x509.load_der_x509_certificate(cert_der)
    at = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    if at > cert.not_valid_after_utc:
        return f"certificate expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if at < cert.not_valid_before_utc:
        return f"certificate not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    return ""


def _pinned_connection(pins: tuple[Pin, ...], check_dates: bool) -> type[HTTPSConnection]:
    class PinnedConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()        # TCP + TLS handshake (+ CA and host name check with a CA file)
            der = self.sock.getpeercert(binary_form=True)
            problem = ""
            if not der or not any(p.matches(der) for p in pins):
                spki, fp = pins_of(der) if der else ("none", "none")
                problem = f"the hall's certificate matches no pinned key (it has {spki}, certificate fingerprint {fp})"
            elif check_dates:        # a pin without a CA file: OpenSSL checked no dates
                problem = expired(der, time.time())
            if problem:
                self.close()         # before any request byte is written
                raise PinMismatch(problem)
            self.is_verified = True  # verified by its pin (urllib3 warns about unverified ones)

    return PinnedConnection


class HallAdapter(HTTPAdapter):
    """requests' adapter for https:// to the hall, checking the pins on each new connection."""

    def __init__(self, tls: HallTls, **kw):
        self._pins = tls.pins
        self._check_dates = not tls.ca_file
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw) -> None:
        super().init_poolmanager(*args, **kw)
        if self._pins:
            conn = _pinned_connection(self._pins, self._check_dates)
            pool = type("PinnedPool", (HTTPSConnectionPool,), {"ConnectionCls": conn})
            self.poolmanager.pool_classes_by_scheme = {"http": HTTPConnectionPool, "https": pool}


class RefusePlainHttp(HTTPAdapter):
    """Mounted on http:// when the hall is https://: nothing goes out in the clear, not even after
    a redirect or a mistaken URL."""

    def send(self, request, *args, **kw):
        raise PlainHttpRefused(f"refusing to send {request.method} in the clear to an http:// address")


class PlainHttpRefused(RequestsConnectionError):
    pass


def main(argv: list[str] | None = None) -> int:
    """`python -m kiosk.tls CERT.pem`: the two pin_sha256 forms of a certificate (run it on the
    hall's own certificate file, not on what the network answers)."""
    import sys
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m kiosk.tls CERT.pem|CERT.der", file=sys.stderr)
        return 2
    raw = open(args[0], "rb").read()
    text = raw.decode("ascii", errors="replace")
    if "-----BEGIN CERTIFICATE-----" in text:      # PEM: the first certificate (the hall's own)
        start = text.index("-----BEGIN CERTIFICATE-----")
        end = text.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
        der = ssl.PEM_cert_to_DER_cert(text[start:end])
    else:
        der = raw
    spki, fp = pins_of(der)
    print(f'pin_sha256 = "{spki}"      # the public key: survives a renewal that keeps the key')
    print(f'pin_sha256 = "{fp}"  # this certificate only')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
