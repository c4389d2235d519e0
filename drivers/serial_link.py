"""Keeping a serial device's port open across unplugs: the loop the ID card reader and the
serial code scanner share. Open, serve until the port fails, close, wait, reopen — until stop.
Status goes through the driver's set_status (absent / fault), so a device problem is reported
once, in plain Chinese, and a bug in a driver never leaves a dead thread behind an "ok" status.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

import serial

from kiosk.ports import DeviceStatus

# What a vanished device raises. pyserial lets termios.error (not an OSError) escape from
# tcflush/tcsetattr on POSIX when a USB adapter or a pty disappears.
try:
    import termios
    PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:     # Windows
    PORT_ERRORS = (serial.SerialException, OSError)

log = logging.getLogger(__name__)


def keep_port_open(*, device: str, port: str, open_port: Callable[[], serial.SerialBase],
                   serve: Callable[[serial.SerialBase], None],
                   set_status: Callable[[DeviceStatus], bool], stop: threading.Event,
                   reopen_s: float, stopping: tuple[type[BaseException], ...] = ()) -> None:
    """`device` names it for people (读卡器, 扫码器). `serve` talks to the open port until it
    raises; raising one of `stopping` ends the loop. `set_status` returns True when the status
    changed (so "cannot open" is logged once, not every retry)."""
    while not stop.is_set():
        try:
            ser = open_port()
        except (*PORT_ERRORS, ValueError) as exc:   # ValueError: malformed port URL
            if set_status(DeviceStatus.absent(f"{device}未连接（{port}）")):
                log.warning("cannot open %s port %s: %s", device, port, exc)
            stop.wait(reopen_s)
            continue
        try:
            serve(ser)
        except stopping:
            break
        except PORT_ERRORS as exc:
            log.warning("%s port %s lost: %s", device, port, exc)
            set_status(DeviceStatus.absent(f"{device}连接中断（{port}）"))
            stop.wait(reopen_s)
        except Exception:   # a bug here must not leave a dead thread behind an "ok" status
            log.exception("%s thread error; reopening %s", device, port)
            set_status(DeviceStatus.fault("internal", f"{device}驱动内部错误"))
            stop.wait(reopen_s)
        finally:
            close_quietly(ser, port)


def close_quietly(ser: serial.SerialBase, port: str) -> None:
    try:
        ser.close()
    except PORT_ERRORS as exc:     # the device may already be gone
        log.debug("closing %s: %s", port, exc)
