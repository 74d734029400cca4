"""The `pgwallet` command: serve, migrate, seed, verify, psql, clients, relay.

Built on click, so every command's `--help` shows each option's default and
environment variable, a malformed option (`PORT=eighty`) is one line of usage
error, and `pgwallet --version` says which pgwallet this is.

Every command takes its database from DATABASE_URL, else from the embedded
server, which it starts for its own duration (see pgwallet.db.embedded) and
stops however the command ends: normally, on an error, on Ctrl-C or SIGTERM,
or when the reader of its output goes away (`pgwallet verify | head -2`).
Every command but `migrate` and `psql` first checks that the database is
migrated to this version (pgwallet.db.schema). An operator's mistake, an
unmigrated or an unreachable database is one line on stderr and exit status
1, never a traceback.
"""

import functools
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Concatenate, ParamSpec

import click
import psycopg
import uvicorn

from pgwallet import logs, relay
from pgwallet.db import clients, embedded, schema, target
from pgwallet.db.migrate import migrate
from pgwallet.db.seed import seed

P = ParamSpec("P")

# Every command shows its options' defaults in its help; -h works as --help.
_CONTEXT = {"show_default": True, "help_option_names": ["-h", "--help"]}

_ENVIRONMENT = (
    "The database is DATABASE_URL (a libpq connection string or URL) when set, else an "
    "embedded PostgreSQL whose data directory is PGWALLET_DATA_DIR (default ./.pgdata)."
)

# A posting takes at most STATEMENT_TIMEOUT_MS (10 s by default) once it has a connection.
GRACEFUL_SHUTDOWN_SECONDS = 15


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # Unwind like Ctrl-C does, so that `with` blocks (the embedded server) end.
    raise SystemExit(128 + signum)


def on_database(command: Callable[Concatenate[str, P], int]) -> Callable[P, int]:
    """Run `command(conninfo, ...)` on pgwallet's database, open for the command's duration."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        if not os.environ.get(target.DATABASE_URL_ENV):
            # The first start runs initdb: a few seconds that deserve a word.
            click.echo(f"embedded PostgreSQL: starting, data in {embedded.data_dir()}", err=True)
        with target.database_url() as conninfo:
            return command(conninfo, *args, **kwargs)

    return run


def on_migrated_database(command: Callable[Concatenate[str, P], int]) -> Callable[P, int]:
    """As `on_database`, refusing a database that is not migrated to this version."""

    def checked(conninfo: str, /, *args: P.args, **kwargs: P.kwargs) -> int:
        schema.require_current(conninfo)
        return command(conninfo, *args, **kwargs)

    return on_database(functools.wraps(command)(checked))


def _migrate(conninfo: str) -> None:
    report = migrate(conninfo)
    applied = ", ".join(report.migrations_applied) or "none pending"
    functions = "re-created" if report.sql_applied else "unchanged"
    click.echo(f"migrations: {applied}; functions: {functions} ({target.describe(conninfo)})")


def _seed(conninfo: str) -> None:
    click.echo(f"seed: {seed(conninfo)} topups posted")


@click.group(context_settings=_CONTEXT, epilog=_ENVIRONMENT)
@click.version_option(package_name="pgwallet", prog_name="pgwallet")
def cli() -> None:
    """A wallet service for virtual credits: a double-entry ledger in PostgreSQL
    behind an HTTP API."""


@cli.command()
@click.option("--host", envvar="HOST", show_envvar=True, default="127.0.0.1", help="Listen here.")
@click.option(
    "--port",
    envvar="PORT",
    show_envvar=True,
    type=click.IntRange(0, 65535),
    default=8000,
    help="Listen on this TCP port (0: a free one, which the log says).",
)
@click.option(
    "--workers",
    envvar="WORKERS",
    show_envvar=True,
    type=click.IntRange(min=1),
    default=1,
    help="Worker processes, each with its own connection pool.",
)
@click.option(
    "--log-level",
    envvar="LOG_LEVEL",
    show_envvar=True,
    type=click.Choice(["debug", "info", "warning", "error", "critical"], case_sensitive=False),
    default="info",
    help="The least severe log line written.",
)
@click.option("--migrate", "migrate_first", is_flag=True, help="Migrate before serving.")
@click.option("--seed", "seed_first", is_flag=True, help="Seed the demo data before serving.")
@click.option(
    "--dev-client",
    is_flag=True,
    help=f"Give client {clients.DEV_CLIENT!r} (every scope) a new token and print the "
    "dashboard link that signs in with it.",
)
@on_database
def serve(
    conninfo: str,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    migrate_first: bool,
    seed_first: bool,
    dev_client: bool,
) -> int:
    """Serve the HTTP API and the dashboard.

    The application's own settings (pool size, timeouts, ALLOWED_HOSTS...)
    come from the environment: see the README.
    """
    if migrate_first:
        _migrate(conninfo)
    # Refused here in one line, rather than by each worker with a traceback.
    schema.require_current(conninfo)
    if seed_first:
        _seed(conninfo)
    if dev_client:
        # A fragment, so the token never reaches the server as a query or a log line.
        link = f"http://{host}:{port}/#token={clients.dev_token(conninfo)}"
        click.echo(f"dashboard, signed in as client {clients.DEV_CLIENT!r}: {link}")
    click.echo(f"serving the API and the dashboard at http://{host}:{port} (Ctrl-C stops)")
    # The app (in each worker process) finds its database and log level here.
    os.environ[target.DATABASE_URL_ENV] = conninfo
    os.environ["LOG_LEVEL"] = log_level.upper()
    with _metrics_directory(workers):
        uvicorn.run(
            "pgwallet.http.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level.lower(),
            log_config=logs.config(log_level.upper()),
            access_log=False,  # the app logs each request itself, with its X-Request-ID
            # Said rather than inherited: a request's headers are at most 16 KiB, an idle
            # kept-alive connection closes after 5 s. Neither times out a client that
            # sends slowly: that is the proxy's job (see the README's front door).
            h11_max_incomplete_event_size=16 * 1024,
            timeout_keep_alive=5,
            # At a stop, requests in flight may finish for this long; then what is
            # left (event streams, which never finish by themselves) is cut: their
            # clients reconnect and resume.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    return 0


@contextmanager
def _metrics_directory(workers: int) -> Iterator[None]:
    """Several workers: prometheus-client's multiprocess mode, in a fresh directory
    (see pgwallet.http.metrics), unless PROMETHEUS_MULTIPROC_DIR names one."""
    if workers == 1 or "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="pgwallet-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


@cli.command("migrate")
@click.option(
    "--wait",
    "wait_seconds",
    envvar="PGWALLET_WAIT_SECONDS",
    show_envvar=True,
    type=click.IntRange(min=0),
    default=0,
    help="Retry connecting for up to this many seconds (a server still starting).",
)
@on_database
def migrate_command(conninfo: str, wait_seconds: int) -> int:
    """Apply pending migrations and (re)create the SQL functions."""
    _wait_until_reachable(conninfo, wait_seconds)
    _migrate(conninfo)
    return 0


def _wait_until_reachable(conninfo: str, seconds: int) -> None:
    """Return once the database accepts a connection; raise its error after `seconds`."""
    deadline = time.monotonic() + seconds
    for attempt in itertools.count():
        try:
            psycopg.connect(conninfo, connect_timeout=max(2, min(seconds, 10))).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() >= deadline:
                raise
            if attempt == 0:
                click.echo(f"waiting up to {seconds} s for {target.describe(conninfo)}", err=True)
            time.sleep(1)


@cli.command("seed")
@on_migrated_database
def seed_command(conninfo: str) -> int:
    """Create the demo assets, users and balances (idempotent)."""
    _seed(conninfo)
    return 0


@cli.command()
@on_migrated_database
def verify(conninfo: str) -> int:
    """Check the ledger's invariants; exit status 1 if one fails."""
    with psycopg.connect(conninfo) as conn:
        checks = conn.execute("select check_name, ok, detail from wallet.verify()").fetchall()
    for name, ok, detail in checks:
        click.echo(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1


@cli.command(
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
    short_help="Open psql on the database (arguments go to psql).",
)
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
@on_database
def psql(conninfo: str, psql_args: tuple[str, ...]) -> int:
    """Open psql on the database; every argument, --help too, goes to psql."""
    # psql handles Ctrl-C itself (it cancels the running query); we must not die of it.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # A refusal reads as its message, detail and hint, without the PL/pgSQL call
        # stack under them (\errverbose shows it, or \set SHOW_CONTEXT errors).
        return subprocess.call(
            [str(embedded.BIN_DIR / "psql"), "--set=SHOW_CONTEXT=never", conninfo, *psql_args]
        )
    finally:
        signal.signal(signal.SIGINT, previous)


@cli.group("clients")
def clients_group() -> None:
    """The callers of the HTTP API: create, list, revoke, rotate."""


def _comma_list(_ctx: click.Context, _param: click.Parameter, text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [item.strip() for item in text.split(",") if item.strip()]


@clients_group.command("create")
@click.argument("name")
@click.option(
    "--scopes",
    required=True,
    callback=_comma_list,
    help="Comma-separated: read, users, topup, bonus, spend, reverse, transfer, hold, "
    "batch, or all.",
)
@click.option(
    "--assets",
    callback=_comma_list,
    help="Comma-separated asset codes the client may post in.  [default: every asset]",
)
@click.option(
    "--max-amount",
    type=click.IntRange(min=1),
    help="The largest amount of one posting.  [default: no limit]",
)
@on_migrated_database
def clients_create(
    conninfo: str, name: str, scopes: list[str], assets: list[str] | None, max_amount: int | None
) -> int:
    """Create client NAME ([a-z][a-z0-9_-]{0,62}) and print its token, alone on stdout."""
    created = clients.create(conninfo, name, scopes, assets, max_amount)
    click.echo(f"client {created.name!r} created; its token is shown this once", err=True)
    click.echo(created.token)  # alone on stdout: TOKEN=$(pgwallet clients create ...)
    return 0


@clients_group.command("list")
@on_migrated_database
def clients_list(conninfo: str) -> int:
    """Every client, one per line (tab-separated), never a token."""
    for client in clients.listed(conninfo):
        assets = ",".join(client["assets"]) if client["assets"] is not None else "every asset"
        limit = client["max_amount"] if client["max_amount"] is not None else "no limit"
        state = (
            f"revoked {client['revoked_at']:%Y-%m-%d %H:%M}" if client["revoked_at"] else "active"
        )
        click.echo(f"{client['name']}\t{','.join(client['scopes'])}\t{assets}\t{limit}\t{state}")
    return 0


@clients_group.command("revoke")
@click.argument("name")
@on_migrated_database
def clients_revoke(conninfo: str, name: str) -> int:
    """Revoke client NAME for good."""
    clients.revoke(conninfo, name)
    click.echo(f"client {name!r} revoked", err=True)
    return 0


@clients_group.command("rotate")
@click.argument("name")
@on_migrated_database
def clients_rotate(conninfo: str, name: str) -> int:
    """Give client NAME a new token and print it alone; the old one stops at once."""
    click.echo(clients.rotate(conninfo, name).token)
    click.echo(f"client {name!r} has a new token; the old one no longer works", err=True)
    return 0


_RELAY = relay.RelayConfig()


@cli.command("relay")
@click.option(
    "--name",
    envvar="PGWALLET_RELAY_NAME",
    show_envvar=True,
    default=_RELAY.name,
    help="The name its position is kept under in the database: one relay per name.",
)
@click.option(
    "--nats-url",
    envvar="NATS_URL",
    show_envvar=True,
    default=_RELAY.nats_url,
    help="The NATS server, JetStream enabled.",
)
@click.option(
    "--stream",
    envvar="PGWALLET_RELAY_STREAM",
    show_envvar=True,
    default=_RELAY.stream,
    help="The JetStream stream, created when missing.",
)
@click.option(
    "--subject-prefix",
    envvar="PGWALLET_RELAY_SUBJECT_PREFIX",
    show_envvar=True,
    default=_RELAY.subject_prefix,
    help="Events go to <prefix>.<asset>.<kind>.",
)
@on_migrated_database
def relay_command(conninfo: str, name: str, nats_url: str, stream: str, subject_prefix: str) -> int:
    """Publish every event to NATS JetStream, in order; a restart resumes where it stood.

    Runs until Ctrl-C or SIGTERM.
    """
    config = relay.RelayConfig(
        name=name, nats_url=nats_url, stream=stream, subject_prefix=subject_prefix
    )
    return relay.main(conninfo, config)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), text)


def _refused(reason: str) -> int:
    click.echo(f"pgwallet: {reason}", err=True)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run one pgwallet command; return its exit status."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        status = cli.main(args=argv, prog_name="pgwallet", standalone_mode=False)
    except click.ClickException as error:  # a usage error: one line, and how to get help
        error.show()
        return error.exit_code
    except click.Abort:  # Ctrl-C, once the embedded server has stopped
        return 128 + signal.SIGINT
    except (clients.ClientError, schema.NotMigratedError) as error:
        return _refused(str(error))
    except psycopg.Error as error:
        if error.sqlstate is None and isinstance(error, psycopg.OperationalError):
            # No server answered: libpq's first line names where it tried.
            return _refused(f"cannot reach the database: {_first_line(str(error))}")
        if not (error.sqlstate or "").startswith("PW"):
            raise
        # An operator's mistake that the database explained: its words, no traceback.
        return _refused(error.diag.message_primary or str(error))
    # --help and --version return no status of their own.
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
