"""The kiosk exactly as `kiosk run` composes it (build_runtime, KioskApp, the supervision hooks),
with one addition for tests/integration/test_watchdog_socket.py: some seconds after READY it hangs
one thread for real —

  ui          the Kivy thread sleeps inside a Clock callback (a frame that never ends)
  controller  the hall's catalogue call never returns and the controller thread waits in it
  none        nothing hangs

and prints `HANG <name> <time.monotonic()>` (one clock for all processes) when it does.
Shorter stall limits than production (UI_STALL_S / CONTROLLER_STALL_S) keep the test short.

usage: watchdog_driver.py CONFIG {ui,controller,none} HANG_AFTER_S STALL_S
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(config: str, hang: str, after_s: float, stall_s: float) -> int:
    from terminal.app import build_runtime
    from terminal.cli import _prepare_kivy
    from kiosk.config import load_config
    from kiosk.controller import ReloadCatalog

    cfg = load_config(config)
    data_dir = Path(cfg.storage.data_dir)
    runtime = build_runtime(cfg, out_dir=data_dir)
    runtime.liveness.watch("ui", stall_s)
    runtime.liveness.watch("controller", stall_s)
    _prepare_kivy(data_dir / ".kivy", cfg)
    from kivy.clock import Clock
    from screens.app import KioskApp

    def hang_now(_dt):
        print(f"HANG {hang} {time.monotonic()}", flush=True)
        if hang == "ui":
            time.sleep(3600)
        elif hang == "controller":
            runtime.hall_client.catalog = lambda *a, **k: time.sleep(3600)
            runtime.controller.post(ReloadCatalog())

    def drawn():
        runtime.attract_drawn()
        if hang != "none":
            Clock.schedule_once(hang_now, after_s)

    app = KioskApp(runtime.controller, frame_source=runtime.scanner.latest_frame,
                   on_alive=runtime.ui_tick, on_attract_drawn=drawn)
    app.stop_on_signals(signal.SIGTERM)
    runtime.start()
    try:
        app.run()
    finally:
        runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
