"""A [printer] profile from the config -> a transport, render options and a printer.

`model` names a python-escpos capability profile (`default`, `TM-T20II`, `NT-5890K`, ...):
we take the paper's dots across and whether it has a cutter and native QR from it, instead
of keeping our own printer database. Chinese support is not in that database: that is what
`text_mode` (native | raster) is for.

`--printer` on the technician commands takes the configured profile's name, or a target
written like a URL for a printer the technician just plugged in:
    tcp://192.0.2.10:9100   serial:///dev/ttyUSB0?baud=9600   file:///dev/usb/lp0   usb://0416:5011
"""
from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

from escpos.capabilities import get_profile

from drivers.printer.escpos_printer import EscposReceiptPrinter
from drivers.printer.options import RenderOptions
from drivers.printer.layout import DOTS_PER_COLUMN
from drivers.printer.transports import FileTransport, NetworkTransport, SerialTransport, Transport, UsbTransport
from kiosk.config import PrinterConfig


class ProfileError(ValueError):
    """A printer profile that cannot work; the message says which key to change."""


def model_problems(cfg: PrinterConfig) -> list[str]:
    """What in the profile contradicts its python-escpos model; [] when it fits."""
    try:
        profile = get_profile(cfg.model)
    except KeyError:
        return [f"printer.model: unknown model {cfg.model!r}; use 'default' or a python-escpos profile name"]
    problems = []
    dots = profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    if isinstance(dots, int) and dots < cfg.columns * DOTS_PER_COLUMN:
        problems.append(f"printer.columns: {cfg.columns} columns need {cfg.columns * DOTS_PER_COLUMN} dots, "
                        f"model {cfg.model} prints {dots}; use columns = 32 or another model")
    if cfg.qr_mode == "native" and not profile.supports("qrCode"):
        problems.append(f"printer.qr_mode: model {cfg.model} has no native QR; use qr_mode = \"raster\"")
    return problems


def options_for(cfg: PrinterConfig) -> RenderOptions:
    problems = model_problems(cfg)
    if problems:
        raise ProfileError("; ".join(problems))
    return RenderOptions(cfg.columns, cfg.text_mode, cfg.qr_mode, cfg.model, cfg.logo)


def transport_for(cfg: PrinterConfig) -> Transport:
    """The transport for a profile whose driver is network, serial, file or usb."""
    if cfg.driver in ("network", "virtual"):
        return NetworkTransport(cfg.host, cfg.port, cfg.timeout_s)
    if cfg.driver == "serial":
        return SerialTransport(cfg.serial_port, cfg.baudrate, cfg.flow_control, cfg.timeout_s)
    if cfg.driver == "file":
        return FileTransport(cfg.device, cfg.timeout_s)
    if cfg.driver == "usb":
        if not (cfg.usb_vendor_id and cfg.usb_product_id):
            raise ProfileError("printer.usb_vendor_id / usb_product_id: set both (see `lsusb`)")
        return UsbTransport(cfg.usb_vendor_id, cfg.usb_product_id, cfg.timeout_s)
    raise ProfileError(f"printer.driver: unknown transport {cfg.driver!r}")


def printer_for(cfg: PrinterConfig, transport: Transport | None = None) -> EscposReceiptPrinter:
    return EscposReceiptPrinter(transport=transport or transport_for(cfg), options=options_for(cfg),
                                timeout=cfg.timeout_s)


def resolve(target: str, cfg: PrinterConfig) -> PrinterConfig:
    """`--printer TARGET`: the configured profile by name, or a URL-like target."""
    if target in (cfg.name, "default", "config"):
        return cfg
    url = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    if url.scheme == "tcp" and url.hostname:
        return dataclasses.replace(cfg, driver="network", host=url.hostname, port=url.port or 9100)
    if url.scheme == "serial" and url.path:
        return dataclasses.replace(cfg, driver="serial", serial_port=url.path,
                                   baudrate=int(query.get("baud", cfg.baudrate)),
                                   flow_control=query.get("flow", cfg.flow_control))
    if url.scheme == "file" and url.path:
        return dataclasses.replace(cfg, driver="file", device=url.path)
    if url.scheme == "usb" and ":" in url.netloc:
        vendor, product = (int(part, 16) for part in url.netloc.split(":", 1))
        return dataclasses.replace(cfg, driver="usb", usb_vendor_id=vendor, usb_product_id=product)
    raise ProfileError(f"--printer {target!r}: not the configured profile ({cfg.name!r}) nor one of "
                       "tcp://HOST:PORT, serial:///dev/ttyX?baud=N, file:///dev/usb/lp0, usb://VID:PID")
