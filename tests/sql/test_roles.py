"""Roles: wallet_api executes the API and nothing else; wallet_reader reads for reporting."""

import uuid

import psycopg
import pytest

from tests.support import Conn, key, post, raises_sqlstate

INSUFFICIENT_PRIVILEGE = "42501"


@pytest.mark.parametrize(
    "statement",
    [
        "select * from ledger.wallets",
        "select * from ledger.entries",
        "insert into ledger.users (id, name, email) values (gen_random_uuid(), 'x', 'x@y.z')",
        "update ledger.assets set status = 'frozen'",
        "delete from ledger.idempotency_keys",
    ],
)
def test_the_api_role_cannot_touch_tables(api: Conn, statement: str) -> None:
    with raises_sqlstate(INSUFFICIENT_PRIVILEGE):
        api.execute(statement)


@pytest.mark.parametrize(
    "call",
    [
        "select wallet.set_asset_status('gold_coins', 'frozen')",
        "select wallet.set_user_status(gen_random_uuid(), 'suspended')",
        "select wallet.create_asset('stolen', 'Stolen')",
        "select * from wallet_internal.post('topup', gen_random_uuid(), 'x', 1, 'k', '{}')",
        "select * from wallet.verify()",
        "select * from wallet.create_client('thief', array['all'])",
        "select * from wallet.list_clients()",
        "select * from wallet.revoke_client(gen_random_uuid())",
        "select * from wallet.rotate_client_token(gen_random_uuid())",
    ],
)
def test_the_api_role_cannot_call_operator_functions(api: Conn, call: str) -> None:
    with raises_sqlstate(INSUFFICIENT_PRIVILEGE):
        api.execute(call)


def test_the_api_role_can_post_and_read(api: Conn, user: uuid.UUID, asset: str) -> None:
    receipt = post(api, "topup", user, asset, 10)
    assert receipt["balance"] == 10
    assert api.execute("select wallet.balance(%s, %s) as b", [user, asset]).fetchone() == {"b": 10}
    assert len(api.execute("select * from wallet.history(%s)", [user]).fetchall()) == 1


def test_the_reader_role_reads_but_cannot_write(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 10)
    with psycopg.connect(db_url, autocommit=True) as reader:
        reader.execute("set role wallet_reader")
        assert reader.execute("select count(*) from ledger.entries").fetchone() is not None
        assert all(ok for (ok,) in reader.execute("select ok from wallet.verify()"))
        with raises_sqlstate(INSUFFICIENT_PRIVILEGE):
            reader.execute("select wallet.topup(%s, %s, 1, %s)", [user, asset, key()])
        with raises_sqlstate(INSUFFICIENT_PRIVILEGE):
            reader.execute("delete from ledger.idempotency_keys")


def test_every_public_function_is_documented(conn: Conn) -> None:
    undocumented = conn.execute(
        """
        select p.oid::regprocedure::text as function
        from pg_proc p
        where p.pronamespace = 'wallet'::regnamespace
            and p.proname !~ '^_'
            and obj_description(p.oid, 'pg_proc') is null
        """
    ).fetchall()
    assert undocumented == []


def test_every_definer_function_pins_its_search_path(conn: Conn) -> None:
    unpinned = conn.execute(
        """
        select p.oid::regprocedure::text as function
        from pg_proc p
        where p.pronamespace = 'wallet'::regnamespace
            and not coalesce('search_path=""' = any (p.proconfig), false)
        """
    ).fetchall()
    assert unpinned == []


def test_every_table_is_documented(conn: Conn) -> None:
    undocumented = conn.execute(
        """
        select c.relname from pg_class c
        where c.relnamespace = 'ledger'::regnamespace and c.relkind = 'r'
            and obj_description(c.oid, 'pg_class') is null
        """
    ).fetchall()
    assert undocumented == []
