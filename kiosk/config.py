"""Kiosk configuration: TOML -> frozen dataclasses, validated at start-up.

Every error names the file, the key and what is expected, so a technician can fix it without
reading code. Unknown keys are errors too: a typo must not silently fall back to a default.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import ssl
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.tls import HallTls, PinError, parse_pins


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class TerminalConfig:
    id: str = "T-DEMO-01"
    hall_name: str = "便民服务中心"
    idle_timeout_s: float = 60.0        # silence before the "您还在吗" countdown appears
    idle_warning_s: float = 15.0        # the countdown; then the session is wiped
    done_timeout_s: float = 30.0        # the result screen leaves sooner: the user is finished


@dataclass(frozen=True)
class HallConfig:
    url: str = "embedded"               # "embedded" = start a hall in-process (demo); else https://...
    token: str = ""
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    heartbeat_interval_s: float = 30.0
    # https only (plain http:// is allowed to a loopback hall alone; docs/decisions.md). Trust:
    ca_file: str = ""                   # the hall's CA certificate(s), PEM; "" = the system's store
    pin_sha256: str = ""                # "sha256//<base64 SPKI>" or the cert's SHA-256 fingerprint; ","-separated


@dataclass(frozen=True)
class IdCardConfig:
    driver: str = "sim"                 # "serial" | "sim" (a SAM simulator on a pseudo-terminal)
    port: str = "/dev/idcard"
    baudrate: int = 115200
    poll_interval_s: float = 0.3


@dataclass(frozen=True)
class PrinterConfig:
    """One receipt-printer profile (plus the hall's A4 queue). `driver` is the transport."""
    driver: str = "virtual"             # "network" | "serial" | "file" | "usb" | "virtual" (renders PNG)
    name: str = "receipt"               # what `kiosk device print --printer NAME` calls this profile
    model: str = "default"              # python-escpos capability profile: QR, cutter, dots across
    host: str = "127.0.0.1"             # network: printer address and TCP port (9100)
    port: int = 9100
    serial_port: str = "/dev/ttyUSB0"   # serial: device and line settings
    baudrate: int = 115200
    flow_control: str = "none"          # "none" | "rtscts" | "xonxoff"
    device: str = "/dev/usb/lp0"        # file: a printer device file (usblp) or a plain file
    usb_vendor_id: int = 0              # usb (libusb, no kernel driver): e.g. 0x0416
    usb_product_id: int = 0             # e.g. 0x5011
    columns: int = 48                   # 48 = 80 mm paper, 32 = 58 mm
    text_mode: str = "native"           # "native" (GB18030 in Chinese mode) | "raster" (images)
    qr_mode: str = "native"             # "native" (GS ( k) | "raster"
    logo: str = ""                      # optional image printed at the top of every slip
    timeout_s: float = 3.0              # connect and status-reply deadline
    evaluation_slip: bool = True        # print the 好差评 thank-you slip
    a4_queue: str = ""                  # CUPS queue for A4 credit reports; "" = keep the PDF file


@dataclass(frozen=True)
class ScannerConfig:
    driver: str = "none"                # "none" | "camera" | "serial" | "images" (simulator)
    device: str = "0"                   # camera index or /dev/v4l/by-id/... path
    width: int = 1280
    height: int = 720
    fps: int = 15
    port: str = "/dev/scanner"          # serial barcode-scanner module
    baudrate: int = 9600
    images_dir: str = ""                # simulator: a folder of images or a video file
    dedupe_window_s: float = 3.0        # the same code is reported once within this window


@dataclass(frozen=True)
class StorageConfig:
    data_dir: str = "var/kiosk"         # outbox database and catalogue cache


@dataclass(frozen=True)
class UiConfig:
    fullscreen: bool = False
    width: int = 1280
    height: int = 800
    technician_pin: str = ""            # empty = technician menu disabled


@dataclass(frozen=True)
class KioskConfig:
    terminal: TerminalConfig = field(default_factory=TerminalConfig)
    hall: HallConfig = field(default_factory=HallConfig)
    idcard: IdCardConfig = field(default_factory=IdCardConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    source: str = ""                    # the file it came from, for messages


_CHOICES = {
    "idcard.driver": ("serial", "sim"),
    "printer.driver": ("network", "serial", "file", "usb", "virtual"),
    "printer.columns": (32, 48),
    "printer.flow_control": ("none", "rtscts", "xonxoff"),
    "printer.text_mode": ("native", "raster"),
    "printer.qr_mode": ("native", "raster"),
    "scanner.driver": ("none", "camera", "serial", "images"),
}


def load_config(path: str | Path) -> KioskConfig:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; copy config/kiosk.example.toml there or pass --config") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: TOML syntax error: {e}") from None
    cfg = _build(KioskConfig, data, str(path), "")
    _check_hall(cfg.hall, str(path))
    return dataclasses.replace(cfg, source=str(path))


_DEPLOY = "see docs/deploy.md, Connection to the hall (TLS)"


def _check_hall(hall: HallConfig, file: str) -> None:
    """The hall's address and how it is trusted: an ID number must never cross a network in the
    clear, and a trust setting that cannot work is said now, not at the first submission."""
    if hall.url == "embedded":
        if hall.ca_file or hall.pin_sha256:
            raise ConfigError(f"{file}: hall.ca_file / hall.pin_sha256: only for an https:// hall.url, "
                              "not the embedded demo hall")
        return
    try:
        parts = urlsplit(hall.url)
        parts.port          # a bad port raises here, at start, not at the first request
    except ValueError as e:    # e.g. "Invalid IPv6 URL" for a stray "[" (found by fuzzing)
        raise ConfigError(f"{file}: hall.url: not a valid URL ({e}): {hall.url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{file}: hall.url: expected https://<hall address> (or \"embedded\"), got {hall.url!r}")
    if parts.scheme == "http":
        if not _is_loopback(parts.hostname):
            raise ConfigError(f"{file}: hall.url: plain http:// to {parts.hostname} would send ID numbers in "
                              f"the clear; use https://{parts.netloc}{parts.path} with hall.ca_file or "
                              f"hall.pin_sha256 ({_DEPLOY})")
        if hall.ca_file or hall.pin_sha256:
            raise ConfigError(f"{file}: hall.ca_file / hall.pin_sha256: set, but hall.url is http://; "
                              "use an https:// hall.url")
    if hall.ca_file:
        _check_ca_file(file, hall.ca_file)
    try:
        parse_pins(hall.pin_sha256)
    except PinError as e:
        raise ConfigError(f"{file}: hall.pin_sha256: {e}; print it from the hall's certificate with "
                          f"`python -m kiosk.tls hall.crt` ({_DEPLOY})") from None


def _check_ca_file(file: str, ca_file: str) -> None:
    try:
        text = Path(ca_file).read_text("ascii", errors="replace")
    except OSError as e:
        raise ConfigError(f"{file}: hall.ca_file: cannot read {ca_file} ({e.strerror}); copy the hall's CA "
                          f"certificate (PEM) there ({_DEPLOY})") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ConfigError(f"{file}: hall.ca_file: {ca_file} holds no PEM certificate (-----BEGIN CERTIFICATE-----); "
                          "convert a DER file with `openssl x509 -inform der -in ca.cer -out ca.pem`")
    try:
        ssl.create_default_context(cafile=ca_file)
    except ssl.SSLError as e:
        raise ConfigError(f"{file}: hall.ca_file: {ca_file} is not a usable CA certificate ({e.reason or e})") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _build(cls, table: dict, file: str, prefix: str):
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = set(table) - known
    if unknown:
        key = prefix + sorted(unknown)[0]
        raise ConfigError(f"{file}: {key}: unknown key; allowed here: {', '.join(sorted(known))}")
    values = {}
    for name in known & set(table):
        key, want, value = prefix + name, hints[name], table[name]
        if dataclasses.is_dataclass(want):
            if not isinstance(value, dict):
                raise ConfigError(f"{file}: {key}: expected a table [{key}]")
            values[name] = _build(want, value, file, key + ".")
            continue
        values[name] = _check_scalar(file, key, want, value)
    return cls(**values)


def _check_scalar(file: str, key: str, want: type, value):
    ok = {
        str: isinstance(value, str),
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
    }[want]
    if not ok:
        raise ConfigError(f"{file}: {key}: expected {want.__name__}, got {type(value).__name__} {value!r}")
    if want is float:
        value = float(value)
        if not 0 < value < float("inf"):     # TOML has nan and inf: a timeout of inf never fires (fuzzing)
            raise ConfigError(f"{file}: {key}: expected a positive, finite number of seconds, got {value}")
    choices = _CHOICES.get(key)
    if choices and value not in choices:
        raise ConfigError(f"{file}: {key}: expected one of {', '.join(map(str, choices))}, got {value!r}")
    return value


def hall_tls(hall: HallConfig) -> HallTls:
    """The checked [hall] trust settings, for the hall client."""
    return HallTls.from_config(hall.ca_file, hall.pin_sha256)
