"""`hall` command line: serve the API, enrol terminals, check the catalogue.

    hall serve [--config config/hall.toml] [--host H] [--port N] [--database URL]
    hall terminal add --name NAME --location LOC [--id ID]
    hall catalog check [DIR]

Options override the config file; HALL_DATABASE_URL (systemd: /etc/bianmin/hall.env) overrides
its database_url, so a PostgreSQL password never has to sit in the TOML.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import secrets
import sys
from typing import Sequence

from hall.config import ConfigError, HallSettings, load_config

DEFAULT_CONFIG = "config/hall.toml"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hall", description="便民服务中心 hall server")
    sub = ap.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the hall API with uvicorn")
    _config_options(serve)
    serve.add_argument("--host", help="listen address (overrides host)")
    serve.add_argument("--port", type=int, help="listen port (overrides port)")

    terminal = sub.add_parser("terminal", help="manage kiosk terminals")
    tsub = terminal.add_subparsers(dest="terminal_command", required=True)
    add = tsub.add_parser("add", help="enrol a terminal and print its token (once)")
    _config_options(add)
    add.add_argument("--name", required=True, help='e.g. "一楼大厅 1号机"')
    add.add_argument("--location", required=True, help='e.g. "一楼综合受理区入口"')
    add.add_argument("--id", dest="terminal_id", help="terminal id (default: a new T-xxxxxx)")

    catalog = sub.add_parser("catalog", help="the matter catalogue")
    csub = catalog.add_subparsers(dest="catalog_command", required=True)
    csub.add_parser("check", help="validate config/catalog/*.toml", add_help=False)
    return ap


def _config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_CONFIG, help="hall.toml (default: %(default)s)")
    p.add_argument("--database", help="SQLAlchemy URL (overrides database_url and HALL_DATABASE_URL)")


def _settings(args) -> HallSettings:
    s = load_config(args.config)
    database = args.database or os.environ.get("HALL_DATABASE_URL")
    if database:
        s = dataclasses.replace(s, database_url=database)
    if getattr(args, "host", None):
        s = dataclasses.replace(s, host=args.host)
    if getattr(args, "port", None) is not None:
        s = dataclasses.replace(s, port=args.port)
    return s


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `catalog check` belongs to hall.catalog_check, which parses its own arguments.
    if argv[:2] == ["catalog", "check"]:
        return _catalog_check(argv[2:])
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(_settings(args))
        return _terminal_add(_settings(args), args.name, args.location, args.terminal_id)
    except ConfigError as e:
        print(f"hall: configuration error: {e}", file=sys.stderr)
        return 2


def _serve(settings: HallSettings) -> int:
    import uvicorn

    from hall.app import create_app
    from kiosk.domain.catalogue import CatalogError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(settings)
    except CatalogError as e:
        print(f"hall: catalogue error: {e}", file=sys.stderr)
        return 2
    # access_log=False: uvicorn's access log prints query strings, which may hold ID numbers;
    # hall.app logs method, path and status instead.
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False, log_config=None,
                proxy_headers=False)
    return 0


def _terminal_add(settings: HallSettings, name: str, location: str, terminal_id: str | None) -> int:
    from hall import db

    terminal_id = terminal_id or f"T-{secrets.token_hex(3)}"
    database = db.Database(settings.database_url)
    try:
        database.create_all()
        with database.session() as s:
            token = db.enrol_terminal(s, terminal_id, name, location)
    except ValueError as e:
        print(f"hall: {e}; choose another --id", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"terminal {terminal_id} enrolled: {name} ({location})")
    print("its token follows; it is shown only this once (the hall keeps only a hash).")
    print("put it in the kiosk's /etc/bianmin/kiosk.env:")
    print(token)
    return 0


def _catalog_check(rest: list[str]) -> int:
    try:
        from hall.catalog_check import main as check_main
    except ImportError as e:
        print(f"hall catalog check is not available in this build ({e})", file=sys.stderr)
        return 2
    return check_main(rest)


if __name__ == "__main__":
    sys.exit(main())
