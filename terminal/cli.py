"""`kiosk run | demo | doctor` — the terminal's command line."""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from kiosk.config import ConfigError, KioskConfig, load_config

log = logging.getLogger("kiosk")

# Technician tools live next to their driver; each module has register(subparsers), which adds a
# parser whose `func(args, cfg) -> exit code` does the work (imports of hardware libraries inside).
DEVICE_TOOLS = ("drivers.idcard.cli", "drivers.printer.cli", "drivers.scanner.cli")


def main(argv=None) -> int:
    from kiosk import memory
    memory.tune_malloc()     # before any thread, Kivy or Mesa allocates (kiosk/memory.py)
    p = argparse.ArgumentParser(prog="kiosk", description="便民服务自助终端 self-service kiosk")
    p.add_argument("--config", default="config/kiosk.toml", help="kiosk TOML file (default: %(default)s)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the kiosk on this terminal's devices")
    d = sub.add_parser("demo", help="simulated devices + an embedded hall; a dev dock drives them")
    d.add_argument("--out", default="demo-out", help="where screenshots, receipts and the hall's data go")
    d.add_argument("--autopilot", action="store_true",
                   help="walk the whole flow by itself, save screenshots and the receipt, exit")
    d.add_argument("--scenario", choices=("online", "offline", "guest", "soak"), default="online",
                   help="offline: the hall goes down before submitting (待上传), then comes back; "
                        "guest: browse as 游客, identify on the guide, walk away (idle countdown); "
                        "soak: many short visits, memory per visit (make bench)")
    d.add_argument("--sessions", type=int, default=100, help="soak: how many visits")
    d.add_argument("--idle-timeout", type=float, help="override terminal.idle_timeout_s (seconds)")
    d.add_argument("--idle-warning", type=float, help="override terminal.idle_warning_s (seconds)")
    d.add_argument("--reader-console", default="",
                   help="idcard.driver = serial on a reader simulated in another process "
                        "(python -m drivers.idcard.simulator): place/remove cards through this FIFO "
                        "to its console (the memory bench: the kiosk process as deployed)")
    doc = sub.add_parser("doctor", help="check config, devices and the hall; say what to fix")
    doc.add_argument("--root", default="/", help="check a terminal laid down under this directory (install.sh --root)")
    doc.add_argument("--user", default="", help="whose access to the devices counts (default: kiosk when run as root)")
    device = sub.add_parser("device", help="technician tools for one device (reader, scanner, printer)")
    device_sub = device.add_subparsers(dest="device_command", required=True)
    for module in DEVICE_TOOLS:
        importlib.import_module(module).register(device_sub)   # each adds its parser + func
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        print(f"配置错误 / configuration error: {e}", file=sys.stderr)
        return 2
    if args.command == "device":
        return args.func(args, cfg)
    if args.command == "doctor":
        from terminal.doctor import Host, run_doctor
        return run_doctor(cfg, host=Host(Path(args.root), args.user))
    if args.command == "demo":
        terminal = dataclasses.replace(
            cfg.terminal, idle_timeout_s=args.idle_timeout or cfg.terminal.idle_timeout_s,
            idle_warning_s=args.idle_warning or cfg.terminal.idle_warning_s)
        return _demo(dataclasses.replace(cfg, terminal=terminal), Path(args.out), args.autopilot, args.scenario,
                     args.sessions, args.reader_console)
    return _run(cfg)


def _prepare_kivy(kivy_home: Path, cfg: KioskConfig) -> None:
    """Kivy reads its settings at import time: everything here must precede the first import."""
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(kivy_home))
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_CLIPBOARD", "dummy")   # no copy/paste on a kiosk (and no xclip probing)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")   # EGL/llvmpipe: no X server needed
    from kivy.config import Config
    Config.set("graphics", "width", str(cfg.ui.width))
    Config.set("graphics", "height", str(cfg.ui.height))
    Config.set("graphics", "fullscreen", "auto" if cfg.ui.fullscreen else "0")
    Config.set("graphics", "resizable", "0")
    # No multisampling (Kivy's default is 2 samples): on a terminal without a GPU (Mesa llvmpipe)
    # it doubled every frame's fill and kept a multisample copy of the window, ~33 MB. The UI is
    # rectangles and text textures, which multisampling does not smooth anyway. Decision 47.
    if "KCFG_GRAPHICS_MULTISAMPLES" not in os.environ:      # Kivy's own override, for a comparison
        Config.set("graphics", "multisamples", "0")
    from screens import lockdown
    lockdown.configure(Config, fullscreen=cfg.ui.fullscreen)   # Escape, multitouch emulation, modules,
    if cfg.ui.fullscreen:                                      # full-screen without a window manager
        log.info("full-screen: %s", lockdown.cover_display(Config) or "left to SDL (display size unknown)")
    from screens.theme import register_font
    register_font()


def _run(cfg: KioskConfig) -> int:
    from terminal.app import build_runtime
    data_dir = Path(cfg.storage.data_dir)
    runtime = build_runtime(cfg, out_dir=data_dir)
    _prepare_kivy(data_dir / ".kivy", cfg)
    from screens.app import KioskApp
    app = KioskApp(runtime.controller, frame_source=runtime.scanner.latest_frame,
                   on_alive=runtime.ui_tick, on_attract_drawn=runtime.attract_drawn)
    app.stop_on_signals(signal.SIGTERM, signal.SIGINT)     # systemctl stop: clean exit, outbox closed
    restarted = {"asked": False}

    def restart():
        from kivy.clock import Clock
        restarted["asked"] = True
        Clock.schedule_once(lambda _dt: app.stop())
    runtime.controller.on_restart(restart)
    runtime.start()
    try:
        app.run()
    finally:
        runtime.stop()
    return 3 if restarted["asked"] else 0      # systemd's Restart=always brings it back


def _demo(cfg: KioskConfig, out: Path, autopilot: bool, scenario: str, sessions: int = 100,
          reader_console: str = "") -> int:
    if out.exists():
        shutil.rmtree(out)           # generated output only: every demo starts clean
    out.mkdir(parents=True)
    cfg = dataclasses.replace(cfg, storage=dataclasses.replace(cfg.storage, data_dir=str(out / "kiosk-data")))
    from drivers.idcard.fixtures import (EXPIRED_CARD, FOREIGN_2017_CARD, FOREIGN_2023_CARD, HMT_CARD,
                                         LEGAL_REP_CARD, LEGAL_REP_LICENCE)
    from drivers.idcard.simulator import SAMPLE_CARD, SAMPLE_CARD_2
    from terminal.app import build_runtime
    from terminal.devdock import DockActions
    runtime = build_runtime(cfg, out_dir=out)
    if reader_console:
        from terminal.devdock import ConsoleSam
        runtime.simulators.sam = ConsoleSam(Path(reader_console))
    last = {"no": ""}          # the newest number the hall gave: the dock "shows" its receipt QR

    def remember(snap):
        o = snap.session.outcome
        if o is not None and not o.queued:
            last["no"] = o.application_no
    runtime.controller.subscribe(remember)
    actions = DockActions(runtime.simulators, runtime.embedded_hall,
                          cards=[SAMPLE_CARD, LEGAL_REP_CARD, SAMPLE_CARD_2, EXPIRED_CARD,   # 换一张身份证 cycles:
                                 HMT_CARD, FOREIGN_2017_CARD, FOREIGN_2023_CARD],   # 居住证, 永居证 2017/2023
                          licence=LEGAL_REP_LICENCE,
                          camera=getattr(runtime.scanner, "source", None), last_application=lambda: last["no"])
    _prepare_kivy(out / ".kivy", cfg)
    from screens.app import KioskApp
    result = {"code": 0}

    def drive(app):
        from screens.autopilot import Autopilot

        def work():
            try:
                pilot = Autopilot(app, actions, out, scenario)
                if scenario == "guest":
                    summary = pilot.run_guest()
                elif scenario == "soak":
                    summary = pilot.run_soak(sessions)
                else:
                    summary = pilot.run()
                if scenario == "offline":
                    actions.network_up()
                    summary["uploaded"] = _wait_outbox_empty(runtime, 30)
                (out / "autopilot.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), "utf-8")
                _report(out, summary)
            except Exception:
                log.exception("autopilot failed")
                result["code"] = 1
            finally:
                from kivy.clock import Clock
                Clock.schedule_once(lambda _dt: app.stop())
        threading.Thread(target=work, name="autopilot", daemon=True).start()

    runtime.start()
    try:
        app = KioskApp(runtime.controller, dock_actions=None if autopilot else actions,
                       on_started=drive if autopilot else None, frame_source=runtime.scanner.latest_frame)
        app.stop_on_signals(signal.SIGTERM, signal.SIGINT)     # Ctrl+C ends the demo
        app.run()
    finally:
        runtime.stop()
    return result["code"]


def _wait_outbox_empty(runtime, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    runtime.sender.wake()
    while time.monotonic() < deadline:
        if runtime.outbox.pending_count() == 0:
            return True
        time.sleep(0.2)
    return False


def _report(out: Path, summary: dict) -> None:
    receipts = sorted((out / "receipts").glob("*.png"))
    print()
    print(f"演示完成 / demo finished: {out.resolve()}")
    print(f"  screenshots: {out.resolve() / 'screens'} ({len(summary['screens'])})")
    for receipt in receipts:
        print(f"  receipt:     {receipt.resolve()}")
    for report in sorted((out / "reports").glob("*.pdf")):
        print(f"  A4 report:   {report.resolve()}")
    if "application_no" in summary:
        print(f"  application: {summary['application_no']} (queued={summary.get('queued')})")


if __name__ == "__main__":
    sys.exit(main())
