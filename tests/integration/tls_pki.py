"""A throw-away PKI for the TLS tests, made with `cryptography`: two CAs and the hall's
certificates (good, expired, for another host, from the other CA, a second key)."""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Issued:
    cert: Path           # PEM
    key: Path            # PEM, unencrypted
    der: bytes


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "便民服务中心测试"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path: Path, cert: x509.Certificate, key) -> Issued:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Issued(cert_path, key_path, cert.public_bytes(serialization.Encoding.DER))


class Pki:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.timezone.utc)
        self.ca, self._ca_key, self._ca_cert = self._make_ca("hall-ca", "大厅测试 CA", now)
        self.other_ca, self._other_key, self._other_cert = self._make_ca("other-ca", "另一个 CA", now)
        day = dt.timedelta(days=1)
        hosts = ("127.0.0.1", "localhost")
        self.good = self._leaf("good", hosts, now - day, now + 30 * day)
        self.expired = self._leaf("expired", hosts, now - 60 * day, now - day)
        self.wrong_host = self._leaf("wrong-host", ("hall.example.org",), now - day, now + 30 * day)
        self.from_other_ca = self._leaf("other-ca-leaf", hosts, now - day, now + 30 * day, other=True)
        self.second_key = self._leaf("second-key", hosts, now - day, now + 30 * day)

    def _make_ca(self, stem: str, cn: str, now):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=2)).not_valid_after(now + dt.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return _write(self.folder / stem, cert, key), key, cert

    def _leaf(self, stem: str, hosts, not_before, not_after, other: bool = False) -> Issued:
        ca_key, ca_cert = (self._other_key, self._other_cert) if other else (self._ca_key, self._ca_cert)
        key = ec.generate_private_key(ec.SECP256R1())
        names = []
        for h in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                names.append(x509.DNSName(h))
        cert = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        return _write(self.folder / stem, cert, key)
