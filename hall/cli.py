"""`hall` command line.

    hall serve [--config config/hall.toml] [--host H] [--port N] [--database URL] [--workers N]
    hall db upgrade [--database URL]            make or migrate the schema (Alembic)
    hall terminal add --name NAME --location LOC [--id ID]
    hall terminal revoke ID
    hall user add --username U --role manager|staff|technician [--name N] [--password-stdin]
    hall credit import FILE [--kind subjects|licences|penalties|dishonest|abnormal]
    hall catalog check [DIR]

Options override the config file; HALL_DATABASE_URL (systemd: /etc/bianmin/hall.env) overrides
its database_url, so a PostgreSQL password never has to sit in the TOML.
"""
from __future__ import annotations

import argparse
import dataclasses
import getpass
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Sequence

from hall.config import ConfigError, HallSettings, load_config

DEFAULT_CONFIG = "config/hall.toml"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hall", description="便民服务中心 hall server")
    sub = ap.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the hall API and console with uvicorn")
    _config_options(serve)
    serve.add_argument("--host", help="listen address (overrides host)")
    serve.add_argument("--port", type=int, help="listen port (overrides port)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")

    dbp = sub.add_parser("db", help="the database schema")
    dsub = dbp.add_subparsers(dest="db_command", required=True)
    _config_options(dsub.add_parser("upgrade", help="create or migrate the schema to this build's version"))

    terminal = sub.add_parser("terminal", help="manage kiosk terminals")
    tsub = terminal.add_subparsers(dest="terminal_command", required=True)
    add = tsub.add_parser("add", help="enrol a terminal and print its token (once)")
    _config_options(add)
    add.add_argument("--name", required=True, help='e.g. "一楼大厅 1号机"')
    add.add_argument("--location", required=True, help='e.g. "一楼综合受理区入口"')
    add.add_argument("--id", dest="terminal_id", help="terminal id (default: a new T-xxxxxx)")
    revoke = tsub.add_parser("revoke", help="revoke a terminal's token (it gets 401 from then on)")
    _config_options(revoke)
    revoke.add_argument("terminal_id")

    user = sub.add_parser("user", help="console accounts")
    usub = user.add_subparsers(dest="user_command", required=True)
    uadd = usub.add_parser("add", help="create a console account")
    _config_options(uadd)
    uadd.add_argument("--username", required=True)
    uadd.add_argument("--role", required=True, choices=["manager", "staff", "technician"])
    uadd.add_argument("--name", default="", help="display name shown in the console")
    uadd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    credit = sub.add_parser("credit", help="credit data")
    crsub = credit.add_subparsers(dest="credit_command", required=True)
    imp = crsub.add_parser("import", help="load 双公示 data and lists from a JSON or CSV file")
    _config_options(imp)
    imp.add_argument("file", type=Path)
    imp.add_argument("--kind", choices=["subjects", "licences", "penalties", "dishonest", "abnormal"],
                     help="the category of a CSV file (default: from its name)")

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
        try:
            s = dataclasses.replace(s, database_url=database)
        except ConfigError as e:          # e.g. cluster = true with a SQLite override: name the file
            raise ConfigError(args.config, e.key, e.message) from None
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
    from hall import db

    try:
        settings = _settings(args)
        if args.command == "serve":
            return _serve(settings, args.workers)
        database = db.Database(settings.database_url)
        try:
            return _admin(args, database)
        finally:
            database.dispose()
    except ConfigError as e:
        print(f"hall: configuration error: {e}", file=sys.stderr)
        return 2
    except db.SchemaError as e:
        print(f"hall: {e}", file=sys.stderr)
        return 2


def _admin(args, database) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        if args.command == "db":
            database.upgrade()
            print(f"database schema is at {database.current_revision()} (newest)")
            return 0
        database.check_schema()
        with database.session() as s:
            if args.command == "terminal":
                return _terminal(args, s)
            if args.command == "user":
                return _user_add(args, s)
            return _credit_import(args, s)
    except SQLAlchemyError as e:
        # hide_parameters keeps values out of the message; the class and the statement's gist remain.
        print(f"hall: database error: {type(e).__name__}: {str(e).splitlines()[0][:300]}", file=sys.stderr)
        return 1


def _serve(settings: HallSettings, workers: int) -> int:
    import uvicorn

    from hall import db
    from hall.app import create_app
    from kiosk.domain.catalogue import CatalogError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import importlib.util

    # uvicorn picks uvloop and httptools when they are installed (uvicorn[standard]); without
    # them the event loop and HTTP parsing run in pure Python and heartbeats cost more. Say so.
    missing = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m) is None]
    if missing:
        logging.getLogger("hall").warning("%s not installed: the hall runs, but slower (install uvicorn[standard])",
                                          " and ".join(missing))
    try:
        app = create_app(settings)
    except CatalogError as e:
        print(f"hall: catalogue error: {e}", file=sys.stderr)
        return 2
    except db.SchemaError as e:
        print(f"hall: {e}", file=sys.stderr)
        return 2
    if workers > 1:
        # Each worker builds its own app from the same settings (hall.asgi reads them from the environment).
        app.state.db.dispose()
        os.environ["HALL_SETTINGS_JSON"] = _settings_json(settings)
        uvicorn.run("hall.asgi:app", host=settings.host, port=settings.port, access_log=False, log_config=None,
                    proxy_headers=False, workers=workers, **settings.uvicorn_tls())
        return 0
    # access_log=False: uvicorn's access log prints query strings, which may hold ID numbers;
    # hall.app logs method, path and status instead.
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False, log_config=None,
                proxy_headers=False, **settings.uvicorn_tls())
    return 0


def _settings_json(settings: HallSettings) -> str:
    import json

    return json.dumps({**dataclasses.asdict(settings), "catalog_dir": str(settings.catalog_dir)})


def _terminal(args, s) -> int:
    from hall import db

    if args.terminal_command == "revoke":
        t = s.get(db.Terminal, args.terminal_id)
        if t is None:
            print(f"hall: no terminal {args.terminal_id!r}", file=sys.stderr)
            return 1
        t.revoked = True
        db.audit(s, "cli", "terminal_revoke", target=t.id)
        s.commit()
        print(f"terminal {t.id} revoked")
        return 0
    terminal_id = args.terminal_id or f"T-{secrets.token_hex(3)}"
    try:
        token = db.enrol_terminal(s, terminal_id, args.name, args.location)
    except ValueError as e:
        print(f"hall: {e}; choose another --id", file=sys.stderr)
        return 1
    db.audit(s, "cli", "terminal_add", target=terminal_id)
    s.commit()
    print(f"terminal {terminal_id} enrolled: {args.name} ({args.location})")
    print("its token follows; it is shown only this once (the hall keeps only a hash).")
    print("save this output for the terminal: scripts/install.sh --token-file FILE puts it in kiosk.toml:")
    print(token)
    return 0


def _user_add(args, s) -> int:
    from hall.console.auth import AccountError, create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("hall: the passwords differ", file=sys.stderr)
            return 1
    try:
        create_user(s, args.username, password, args.role, args.name)
    except AccountError as e:
        print(f"hall: {e}", file=sys.stderr)
        return 1
    print(f"user {args.username} ({args.role}) created")
    return 0


def _credit_import(args, s) -> int:
    from hall.credit_import import ImportError_, import_file

    try:
        counts = import_file(s, args.file, args.kind)
    except ImportError_ as e:
        print(f"hall: {e}; nothing was imported", file=sys.stderr)
        return 1
    print("imported: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
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
