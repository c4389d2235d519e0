"""`python -m terminal.soak_runner`: the real kiosk process, headless, walked through visits by the
same session events the screens post — for the crash and outage soak (tests/soak/driver.py).

Everything below the screens is the production code: build_runtime() with the simulated
devices of kiosk.toml (the GA 467 reader on a pty, the image camera, the virtual ESC/POS
printer), the real HallHttpClient over HTTP, the SQLite outbox, its sender thread and the
heartbeat. Only the Kivy widgets are left out (docs/decisions.md: why).

It tells the driver what the person saw, one JSON line per fact on stdout, flushed at once
(a SIGKILL right after still leaves the line in the pipe). No personal data is printed: visit
numbers, idempotency keys and the hall's application numbers only.

    {"ev": "ready"}                                      runtime started
    {"ev": "visit", "visit": 7}                          a visit began (its marker is SOAK-000007)
    {"ev": "confirm", "visit": 7}                        the person pressed 确认签名并提交
    {"ev": "shown", "visit": 7, "key": ..., "queued": false, "no": "..."}   提交成功 / 待上传 on screen
    {"ev": "failed", "visit": 7, "message": ...}         the screen said it was not saved
    {"ev": "stuck", "visit": 7, "screen": ...}           a screen did not come within its time
    {"ev": "drained", "pending": 0, "rejected": 0}       --drain: the outbox is empty
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

from kiosk import session as S
from kiosk.config import load_config
from kiosk.domain.signature import Signature

log = logging.getLogger("kiosk.soak")

MATTER = "320102-XK-CG-001"      # 户外广告设施设置审批: two photographed materials, one for the window
PHOTOS = (("cdqz", "lease_contract"), ("xgt", "site_photo_sheet"))
SIGNATURE = Signature((((0.14, 0.36), (0.34, 0.34)), ((0.12, 0.56), (0.36, 0.55)),
                       ((0.48, 0.30), (0.54, 0.80), (0.62, 0.36), (0.70, 0.80), (0.80, 0.28))))
VALUES = {"phone": "13800000000", "carrier": "墙面附着式", "size": "6×3", "period": "1年"}


def marker(visit: int) -> str:
    """What makes a visit's application findable in the hall: part of the address field."""
    return f"SOAK-{visit:06d}"


def say(**fields) -> None:
    sys.stdout.write(json.dumps(fields, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class Watcher:
    """The newest snapshot, and a wait for one that satisfies a predicate."""

    def __init__(self, controller):
        self._cond = threading.Condition()
        self._snap = None
        controller.subscribe(self._on)

    def _on(self, snap) -> None:
        with self._cond:
            self._snap = snap
            self._cond.notify_all()

    def wait(self, pred, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._snap is None or not pred(self._snap):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"screen {self._snap.screen if self._snap else None}")
                self._cond.wait(left)
            return self._snap


def visit(runtime, watch: Watcher, n: int, card) -> None:
    c = runtime.controller
    say(ev="visit", visit=n)
    runtime.simulators.sam.place_card(card)               # through the pty, as a reader would
    watch.wait(lambda s: s.screen == "home" and s.session.card is not None)
    runtime.simulators.sam.remove_card()
    c.post(S.OpenMatters())
    snap = watch.wait(lambda s: s.screen == "matters" and s.matters, timeout=60)
    matter = next(m for m in snap.matters if m.code == MATTER)
    c.post(S.ChooseMatter(matter))
    watch.wait(lambda s: s.screen == "guide")
    c.post(S.StartApplication())
    snap = watch.wait(lambda s: s.screen == "form")
    c.post(S.SubmitForm({**snap.session.values, **VALUES, "site_address": f"玄武区长江路{n % 300 + 1}号 {marker(n)}"}))
    watch.wait(lambda s: s.screen == "materials")
    for material_id, _document in PHOTOS:
        c.post(S.OpenCamera(material_id))
        watch.wait(lambda s: s.session.capturing == material_id)
        c.post(S.TakePhoto())
        watch.wait(lambda s: s.session.photo is not None or s.session.message)
        c.post(S.UsePhoto())
        watch.wait(lambda s, m=material_id: m in s.session.attachments)
    c.post(S.DeferToWindow("sqb"))
    c.post(S.SubmitMaterials())
    watch.wait(lambda s: s.screen == "review")
    c.post(S.Confirm())
    watch.wait(lambda s: s.screen == "sign")
    say(ev="confirm", visit=n)
    c.post(S.Sign(SIGNATURE))
    snap = watch.wait(lambda s: s.screen == "done" or (s.screen in ("review", "sign") and s.session.message),
                      timeout=120)
    if snap.screen == "done":
        o = snap.session.outcome
        say(ev="shown", visit=n, key=o.key, queued=o.queued, no=o.application_no)
    else:
        say(ev="failed", visit=n, message=str(snap.session.message)[:200])
    c.post(S.Finish())
    watch.wait(lambda s: s.screen == "attract")


def arm_sqlite_kill(outbox, rng: random.Random) -> None:
    """SIGKILL this process from inside SQLite while it writes the next application: a progress
    handler counts VM instructions of the enqueue transaction and kills at a random one (the
    process dies mid-INSERT or mid-COMMIT, not between statements)."""
    original = outbox.enqueue_many
    budget = {"left": rng.randint(1, 115)}   # ~120 instructions for 4 items

    def handler():
        budget["left"] -= 1
        if budget["left"] <= 0:
            say(ev="dying", where="sqlite")
            os.kill(os.getpid(), signal.SIGKILL)
        return 0

    def enqueue_many(items):
        outbox._db.set_progress_handler(handler, 1)   # test harness: the outbox's own connection
        try:
            return original(items)
        finally:
            outbox._db.set_progress_handler(None, 1)
            say(ev="sqlite-kill-missed")               # the transaction had fewer instructions
    outbox.enqueue_many = enqueue_many


def drain(runtime, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runtime.sender.wake()
        pending = runtime.outbox.pending_count()
        if pending == 0:
            say(ev="drained", pending=0, rejected=runtime.outbox.rejected_count())
            return 0
        time.sleep(0.5)
    say(ev="drain-timeout", pending=runtime.outbox.pending_count())
    return 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="terminal.soak_runner")
    p.add_argument("--config", required=True)
    p.add_argument("--first-visit", type=int, default=1)
    p.add_argument("--visits", type=int, default=1000, help="then idle until killed")
    p.add_argument("--drain", action="store_true", help="no visits: wait until the outbox is empty, exit")
    p.add_argument("--drain-timeout", type=float, default=120.0)
    p.add_argument("--die-in-sqlite", action="store_true", help="SIGKILL itself inside the next enqueue")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if os.environ.get("SOAK_VERBOSE") else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = load_config(args.config)
    from drivers.idcard.simulator import SAMPLE_CARD
    from drivers.scanner.sample_document import document
    from terminal.app import build_runtime
    data_dir = Path(cfg.storage.data_dir)
    runtime = build_runtime(cfg, out_dir=data_dir / "out")
    runtime.sender._min = 0.2             # retry fast after an outage (production: 1 s doubling)
    runtime.sender._max = 2.0
    if args.die_in_sqlite:
        arm_sqlite_kill(runtime.outbox, random.Random(args.seed))
    watch = Watcher(runtime.controller)
    runtime.start()
    say(ev="ready", pid=os.getpid())
    if args.drain:
        code = drain(runtime, args.drain_timeout)
        runtime.stop()
        return code
    camera = runtime.scanner.source
    camera.show_image(document(PHOTOS[0][1]), seconds=10 ** 6)    # a page lies under the camera
    rng = random.Random(args.seed)
    for n in range(args.first_visit, args.first_visit + args.visits):
        try:
            visit(runtime, watch, n, SAMPLE_CARD)
        except TimeoutError as e:            # the driver counts these; the next visit starts clean
            say(ev="stuck", visit=n, screen=str(e))
            runtime.controller.post(S.Finish())
        # the next person walks up: long enough for the reader to see the card go (two finds)
        time.sleep(rng.uniform(0.4, 1.0))
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
