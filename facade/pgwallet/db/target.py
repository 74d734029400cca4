"""Which database pgwallet talks to, and how to reach it.

Every command takes its database from DATABASE_URL when set; otherwise it
starts (or joins) the embedded server and uses its `pgwallet` database,
created on first use.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgwallet.db import embedded

DATABASE_URL_ENV = "DATABASE_URL"
EMBEDDED_DATABASE = "pgwallet"


def with_database(conninfo: str, dbname: str) -> str:
    """The same connection string, naming another database."""
    return make_conninfo(conninfo, dbname=dbname)


def create_database(server_conninfo: str, dbname: str, *, template: str | None = None) -> None:
    """Create `dbname` on the server (from `template` if given) unless it exists."""
    with psycopg.connect(server_conninfo, autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", [dbname]).fetchone():
            return
        statement = sql.SQL("create database {}").format(sql.Identifier(dbname))
        if template:
            statement += sql.SQL(" template {}").format(sql.Identifier(template))
        conn.execute(statement)


def drop_database(server_conninfo: str, dbname: str) -> None:
    """Drop `dbname`, disconnecting whoever is still connected to it."""
    with psycopg.connect(server_conninfo, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname))
        )


@contextmanager
def temporary_database(
    server_conninfo: str, dbname: str, *, template: str | None = None
) -> Iterator[str]:
    """A fresh `dbname` (a copy of `template` if given) for the block; yields its connection
    string and drops it afterwards. One left behind by an interrupted run is dropped first."""
    drop_database(server_conninfo, dbname)
    create_database(server_conninfo, dbname, template=template)
    try:
        yield with_database(server_conninfo, dbname)
    finally:
        drop_database(server_conninfo, dbname)


@contextmanager
def database_url() -> Iterator[str]:
    """Yield the connection string of pgwallet's database for the length of a command."""
    if url := os.environ.get(DATABASE_URL_ENV):
        yield url
        return
    with embedded.running_server(embedded.data_dir()) as server_url:
        create_database(server_url, EMBEDDED_DATABASE)
        yield with_database(server_url, EMBEDDED_DATABASE)


def describe(conninfo: str) -> str:
    """A short, password-free description of where a connection string points."""
    params = conninfo_to_dict(conninfo)
    where = params.get("host") or "localhost"
    if port := params.get("port"):
        where = f"{where}:{port}"
    return f"database {params.get('dbname', '?')} on {where}"
