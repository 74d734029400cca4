"""The `pgwallet` command: serve, migrate, seed, verify, psql.

Every command takes its database from DATABASE_URL, else from the embedded
server, which it starts for its own duration (see pgwallet.db.embedded).
"""

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

import psycopg
import uvicorn

from pgwallet.db import embedded, target
from pgwallet.db.migrate import migrate
from pgwallet.db.seed import seed


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # Unwind like Ctrl-C does, so that `with` blocks (the embedded server) end.
    raise SystemExit(128 + signum)


def _migrate(conninfo: str) -> None:
    report = migrate(conninfo)
    applied = ", ".join(report.migrations_applied) or "none pending"
    functions = "re-created" if report.sql_applied else "unchanged"
    print(f"migrations: {applied}; functions: {functions} ({target.describe(conninfo)})")


def _seed(conninfo: str) -> None:
    print(f"seed: {seed(conninfo)} topups posted")


def cmd_serve(conninfo: str, args: argparse.Namespace) -> int:
    if args.migrate:
        _migrate(conninfo)
    if args.seed:
        _seed(conninfo)
    # The app (in each worker process) finds its database here.
    os.environ[target.DATABASE_URL_ENV] = conninfo
    uvicorn.run(
        "pgwallet.http.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        access_log=False,  # the app logs each request itself, with its X-Request-ID
    )
    return 0


def cmd_migrate(conninfo: str, args: argparse.Namespace) -> int:
    _migrate(conninfo)
    return 0


def cmd_seed(conninfo: str, args: argparse.Namespace) -> int:
    _seed(conninfo)
    return 0


def cmd_verify(conninfo: str, args: argparse.Namespace) -> int:
    with psycopg.connect(conninfo) as conn:
        checks = conn.execute("select check_name, ok, detail from wallet.verify()").fetchall()
    for name, ok, detail in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1


def cmd_psql(conninfo: str, args: argparse.Namespace) -> int:
    # psql handles Ctrl-C itself (it cancels the running query); we must not die of it.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call([str(embedded.BIN_DIR / "psql"), conninfo, *args.psql_args])
    finally:
        signal.signal(signal.SIGINT, previous)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgwallet",
        description="A wallet service for virtual credits. The database is DATABASE_URL, "
        "else an embedded PostgreSQL in $PGWALLET_DATA_DIR (default ./.pgdata).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    serve.add_argument("--migrate", action="store_true", help="migrate before serving")
    serve.add_argument("--seed", action="store_true", help="seed the demo data before serving")
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="apply migrations and (re)create functions").set_defaults(
        handler=cmd_migrate
    )
    commands.add_parser("seed", help="create the demo assets, users and balances").set_defaults(
        handler=cmd_seed
    )
    commands.add_parser("verify", help="check the ledger's invariants").set_defaults(
        handler=cmd_verify
    )
    commands.add_parser(
        "psql", help="open psql on the database (further arguments go to psql)"
    ).set_defaults(handler=cmd_psql)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one pgwallet command; return its exit status."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.handler is not cmd_psql:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.psql_args = extra
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with target.database_url() as conninfo:
        status: int = args.handler(conninfo, args)
    return status


if __name__ == "__main__":
    sys.exit(main())
