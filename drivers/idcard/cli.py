"""`kiosk device idcard`: read one card on site (issue #3 completes it)."""
from __future__ import annotations

import argparse
import json
import sys
import threading


def register(sub) -> None:
    p = sub.add_parser("idcard", help="wait for one ID card on the reader and print its fields")
    p.add_argument("--port", help="serial port (default: idcard.port from the config)")
    p.add_argument("--baud", type=int, default=None)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, cfg) -> int:
    from drivers.idcard.reader import SerialIdCardReader
    reader = SerialIdCardReader(args.port or cfg.idcard.port, baudrate=args.baud or cfg.idcard.baudrate)
    got, statuses = [], []
    done = threading.Event()
    reader.start(on_card=lambda c: (got.append(c), done.set()), on_status=statuses.append)
    try:
        done.wait(args.timeout)
    finally:
        reader.stop()
    if not got:
        last = statuses[-1] if statuses else reader.status()
        print(f"未读到身份证 / no card read: {last.state.value} {last.detail}", file=sys.stderr)
        return 1
    c = got[0]
    fields = {"card_type": "resident", "name": c.name, "sex": c.sex, "nation": c.nation,
              "birth_date": c.birth.isoformat(), "address": c.address, "id_number": c.id_number,
              "issuer": c.authority, "valid_from": c.valid_from.isoformat(),
              "valid_to": c.valid_to.isoformat() if c.valid_to else "长期"}
    if args.json:
        print(json.dumps(fields, ensure_ascii=False))
    else:
        for k, v in fields.items():
            print(f"{k:12s} {v}")
    return 0
