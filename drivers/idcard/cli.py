"""`kiosk device idcard`: wait for one card, read it, print its fields — how a technician checks
a reader on site. Full fields go to the technician's terminal only, never to the log.

Exit codes: 0 card read, 1 no card before the timeout, 2 reader not connected, 3 reader fault,
4 a card was there but could not be read. Errors go to stderr with the status message.
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import sys
import threading

from kiosk.domain.identity import CARD_TYPE_NAMES, RESIDENT, IdentityCard

EXIT_OK, EXIT_NO_CARD, EXIT_ABSENT, EXIT_FAULT, EXIT_CARD_ERROR = 0, 1, 2, 3, 4
BY_ID_GLOB = "/dev/serial/by-id/*"

# (JSON key, Chinese label) in print order; the extras only for the card types that have them.
_LABELS = (
    ("card_type", "证件类型"), ("name", "姓名"), ("english_name", "英文姓名"), ("sex", "性别"),
    ("nation", "民族"), ("nationality", "国籍"), ("birth_date", "出生日期"), ("address", "住址"),
    ("id_number", "证件号码"), ("pass_number", "通行证号码"), ("issue_count", "签发次数"),
    ("renewal_count", "换证次数"), ("issuer", "签发机关"), ("valid_from", "有效期起"),
    ("valid_to", "有效期至"), ("expired", "已过期"),
)


def register(sub) -> None:
    p = sub.add_parser("idcard", help="wait for one ID card on the reader and print its fields",
                       description="Wait for one card (or the timeout), read it, print its fields.")
    p.add_argument("--port", help="serial port, preferably /dev/serial/by-id/... "
                                  "(default: idcard.port from the config)")
    p.add_argument("--baud", type=int, default=None, help="default: idcard.baudrate")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def card_fields(card: IdentityCard, today: dt.date) -> dict:
    """The card as the technician command prints it (ISO dates, 长期, names not codes)."""
    fields = {
        "card_type": card.card_type, "name": card.name, "sex": card.sex, "nation": card.nation,
        "birth_date": card.birth.isoformat(), "address": card.address,
        "id_number": card.id_number, "issuer": card.authority,
        "valid_from": card.valid_from.isoformat(),
        "valid_to": card.valid_to.isoformat() if card.valid_to else "长期",
        "expired": card.is_expired(today),
    }
    if card.card_type != RESIDENT:
        extras = {"english_name": card.english_name, "nationality": card.nationality,
                  "pass_number": card.pass_number, "issue_count": card.issue_count,
                  "renewal_count": card.renewal_count,
                  "previous_number": card.previous_number, "card_version": card.card_version}
        fields.update({k: v for k, v in extras.items() if v not in ("", None)})
    if card.new_address:
        fields["new_address"] = card.new_address
    return fields


def run(args: argparse.Namespace, cfg) -> int:
    from drivers.idcard.reader import SerialIdCardReader

    port = args.port or cfg.idcard.port
    reader = SerialIdCardReader(port, baudrate=args.baud or cfg.idcard.baudrate,
                                poll_interval=min(cfg.idcard.poll_interval_s, 0.3))
    got: list[IdentityCard] = []
    done = threading.Event()

    def on_card(card: IdentityCard) -> None:
        got.append(card)
        done.set()

    def on_card_error(error) -> None:
        print(f"证件无法读取 / card not readable: {error.message}", file=sys.stderr, flush=True)

    print(f"等待证件（{port}，最长 {args.timeout:g} 秒）… / waiting for a card",
          file=sys.stderr, flush=True)
    reader.start(on_card, lambda status: None, on_card_error)
    try:
        done.wait(args.timeout)
    finally:
        reader.stop()
    if not got:
        return _report_failure(reader, port)
    fields = card_fields(got[0], dt.date.today())
    if reader.sam_id:
        fields["sam_id"] = reader.sam_id
    if args.json:
        print(json.dumps(fields, ensure_ascii=False))
    else:
        _print_fields(fields)
    return EXIT_OK


def _print_fields(fields: dict) -> None:
    labels = dict(_LABELS)
    for key, value in fields.items():
        if key == "card_type":
            value = f"{CARD_TYPE_NAMES.get(value, value)} ({value})"
        elif isinstance(value, bool):
            value = "是" if value else "否"
        print(f"{labels.get(key, key)} / {key}: {value}")


def _report_failure(reader, port: str) -> int:
    status = reader.status()
    state = status.state.value
    if state == "absent":
        print(f"读卡器未连接 / reader not connected: {status.detail}", file=sys.stderr)
        ports = sorted(glob.glob(BY_ID_GLOB))
        if ports:
            print("可用串口 / serial ports present:\n  " + "\n  ".join(ports), file=sys.stderr)
        return EXIT_ABSENT
    if state == "fault":
        print(f"读卡器故障 / reader fault ({status.code}): {status.detail}", file=sys.stderr)
        return EXIT_FAULT
    if reader.last_card_error is not None:
        print(f"未能读取证件 / card not read: {reader.last_card_error.message}", file=sys.stderr)
        return EXIT_CARD_ERROR
    print(f"超时，未放置证件 / no card within the timeout (reader {state}, {port})",
          file=sys.stderr)
    return EXIT_NO_CARD
