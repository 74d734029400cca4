"""The `pgwallet` command: serve, migrate, seed, verify, psql, clients.

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

from pgwallet.db import clients, embedded, target
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
    if args.dev_client:
        # A fragment, so the token never reaches the server as a query or a log line.
        link = f"http://{args.host}:{args.port}/#token={clients.dev_token(conninfo)}"
        print(f"dashboard, signed in as client {clients.DEV_CLIENT!r}: {link}", flush=True)
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
        # Said rather than inherited: a request's headers are at most 16 KiB, an idle
        # kept-alive connection closes after 5 s. Neither times out a client that
        # sends slowly: that is the proxy's job (see the README's front door).
        h11_max_incomplete_event_size=16 * 1024,
        timeout_keep_alive=5,
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


def cmd_clients_create(conninfo: str, args: argparse.Namespace) -> int:
    created = clients.create(conninfo, args.name, args.scopes, args.assets, args.max_amount)
    print(f"client {created.name!r} created; its token is shown this once", file=sys.stderr)
    print(created.token)  # alone on stdout: TOKEN=$(pgwallet clients create ...)
    return 0


def cmd_clients_list(conninfo: str, args: argparse.Namespace) -> int:
    for client in clients.listed(conninfo):
        assets = ",".join(client["assets"]) if client["assets"] is not None else "every asset"
        limit = client["max_amount"] if client["max_amount"] is not None else "no limit"
        state = (
            f"revoked {client['revoked_at']:%Y-%m-%d %H:%M}" if client["revoked_at"] else "active"
        )
        print(f"{client['name']}\t{','.join(client['scopes'])}\t{assets}\t{limit}\t{state}")
    return 0


def cmd_clients_revoke(conninfo: str, args: argparse.Namespace) -> int:
    clients.revoke(conninfo, args.name)
    print(f"client {args.name!r} revoked", file=sys.stderr)
    return 0


def cmd_clients_rotate(conninfo: str, args: argparse.Namespace) -> int:
    print(clients.rotate(conninfo, args.name).token)
    print(f"client {args.name!r} has a new token; the old one no longer works", file=sys.stderr)
    return 0


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
    serve.add_argument(
        "--dev-client",
        action="store_true",
        help=f"give client {clients.DEV_CLIENT!r} (every scope) a new token and print "
        "the dashboard link that signs in with it",
    )
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
    _clients_parser(commands.add_parser("clients", help="the callers of the HTTP API"))
    return parser


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _clients_parser(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a client; prints its token alone")
    create.add_argument("name", help="a slug: [a-z][a-z0-9_-]{0,62}")
    create.add_argument(
        "--scopes",
        type=_list,
        required=True,
        help="comma-separated: read, users, topup, bonus, spend, reverse, transfer, hold, "
        "batch, or all",
    )
    create.add_argument("--assets", type=_list, help="comma-separated asset codes (default: all)")
    create.add_argument("--max-amount", type=int, help="the largest amount of one posting")
    create.set_defaults(handler=cmd_clients_create)
    actions.add_parser("list", help="every client, never a token").set_defaults(
        handler=cmd_clients_list
    )
    for action, handler, summary in [
        ("revoke", cmd_clients_revoke, "revoke a client for good"),
        ("rotate", cmd_clients_rotate, "give a client a new token; prints it alone"),
    ]:
        named = actions.add_parser(action, help=summary)
        named.add_argument("name")
        named.set_defaults(handler=handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one pgwallet command; return its exit status."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.handler is not cmd_psql:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.psql_args = extra
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with target.database_url() as conninfo:
        try:
            status: int = args.handler(conninfo, args)
        except clients.ClientError as error:
            return _refused(str(error))
        except psycopg.Error as error:
            if not (error.sqlstate or "").startswith("PW"):
                raise
            # An operator's mistake that the database explained: its words, no traceback.
            return _refused(error.diag.message_primary or str(error))
    return status


def _refused(reason: str) -> int:
    print(f"pgwallet: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
