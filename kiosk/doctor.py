"""`kiosk doctor`: a technician's check of one terminal, each line a verdict and what to do.

Checks only what it can without a customer: config, font, card reader port, printer, hall.
"""
from __future__ import annotations

import os
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.ports import DeviceState

FONT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "wqy-microhei.ttc"


def run_doctor(cfg: KioskConfig, out=print) -> int:
    results = [_font(), _data_dir(cfg), _reader(cfg), _printer(cfg), _hall(cfg)]
    for ok, what, fix in results:
        out(f"{'[ OK ]' if ok else '[FAIL]'} {what}" + ("" if ok else f"\n       → {fix}"))
    failed = sum(1 for ok, _, _ in results if not ok)
    out(f"\n{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _font():
    return FONT.is_file(), f"CJK font {FONT.name}", "reinstall the kiosk: assets/fonts is part of it"


def _data_dir(cfg):
    d = Path(cfg.storage.data_dir)
    try:
        d.mkdir(parents=True, exist_ok=True)
        ok = os.access(d, os.W_OK)
    except OSError:
        ok = False
    return ok, f"data directory {d} writable (the outbox lives there)", f"create {d} owned by the kiosk user"


def _reader(cfg):
    if cfg.idcard.driver == "sim":
        return True, "ID card reader: simulator (demo)", ""
    import serial
    try:
        serial.Serial(cfg.idcard.port, cfg.idcard.baudrate, timeout=0.5).close()
        return True, f"ID card reader port {cfg.idcard.port} opens", ""
    except serial.SerialException as e:
        return False, f"ID card reader port {cfg.idcard.port}: {e}", \
            "check the cable and the udev rule (systemd/99-bianmin-kiosk.rules); is the user in group dialout?"


def _printer(cfg):
    if cfg.printer.driver == "virtual":
        return True, "printer: virtual (demo)", ""
    from drivers.printer.profiles import printer_for
    st = printer_for(cfg.printer).status()
    ok = st.state in (DeviceState.OK, DeviceState.PAPER_NEAR_END)
    return ok, f"printer ({cfg.printer.driver}): {st.state.value} {st.detail}", \
        "check power, cable, paper and the cover; `kiosk device printer-status` for details"


def _hall(cfg):
    if cfg.hall.url == "embedded":
        return True, "hall: embedded (demo)", ""
    from kiosk.platform import HallHttpClient
    from kiosk.ports import HallRejected, HallUnavailable
    from kiosk.config import hall_tls
    client = HallHttpClient(cfg.hall.url, cfg.hall.token, cfg.terminal.id, Path(cfg.storage.data_dir),
                            cfg.hall.connect_timeout_s, cfg.hall.read_timeout_s, tls=hall_tls(cfg.hall))
    try:
        n = len(client.catalog().matters)
        return True, f"hall {cfg.hall.url}: catalogue of {n} matters", ""
    except HallRejected as e:
        return False, f"hall {cfg.hall.url} refused us ({e.status})", "check terminal.id and hall.token"
    except HallUnavailable as e:
        return False, f"hall {cfg.hall.url} unreachable ({e})", "check the network and hall.url"
