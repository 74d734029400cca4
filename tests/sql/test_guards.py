"""The structural invariants: append-only ledger, balances only through postings,
balanced transactions, and wallet.verify() noticing what the guards would stop."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.support import Conn, one, post, raises_sqlstate, verify

OWNER = "pgwallet_test_owner"
LEDGER_TABLES = ("assets", "users", "wallets", "transactions", "entries", "idempotency_keys")


@pytest.fixture
def posted(conn: Conn, user: uuid.UUID, asset: str) -> dict[str, object]:
    """A user with one topup of 100."""
    return post(conn, "topup", user, asset, 100)


@pytest.fixture
def as_owner(conn: Conn) -> Iterator[Conn]:
    """The same connection acting as a non-superuser role that owns the ledger tables."""
    conn.execute(
        f"do $$ begin create role {OWNER} nologin; "
        "exception when duplicate_object then null; end $$"
    )
    for table in LEDGER_TABLES:
        conn.execute(f"alter table ledger.{table} owner to {OWNER}")
    conn.execute(f"grant usage on schema ledger, wallet to {OWNER}")
    conn.execute(f"grant execute on all functions in schema wallet to {OWNER}")
    conn.execute(f"set role {OWNER}")
    yield conn
    conn.execute("reset role")
    for table in LEDGER_TABLES:
        conn.execute(f"alter table ledger.{table} owner to current_user")


MUTATIONS = [
    "update ledger.transactions set amount = amount + 1",
    "delete from ledger.transactions",
    "truncate ledger.transactions cascade",
    "update ledger.entries set amount = amount + 1",
    "delete from ledger.entries",
    "truncate ledger.entries cascade",
    "delete from ledger.wallets",
    "truncate ledger.wallets cascade",
    "update ledger.wallets set user_id = null, holder = 'revenue'",
]


@pytest.mark.usefixtures("posted")
@pytest.mark.parametrize("statement", MUTATIONS)
def test_the_ledger_is_append_only_for_a_superuser(conn: Conn, statement: str) -> None:
    assert conn.execute(
        "select rolsuper from pg_roles where rolname = current_user"
    ).fetchone() == {"rolsuper": True}
    with raises_sqlstate("PW060") as error:
        conn.execute(statement)
    assert "not allowed" in str(error.value) or "only its balance" in str(error.value)


@pytest.mark.usefixtures("posted")
@pytest.mark.parametrize("statement", MUTATIONS)
def test_the_ledger_is_append_only_for_the_tables_owner(as_owner: Conn, statement: str) -> None:
    with raises_sqlstate("PW060"):
        as_owner.execute(statement)


def test_a_bare_balance_update_fails(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)

    with raises_sqlstate("PW061") as error:
        conn.execute(
            "update ledger.wallets set balance = balance + 1 where user_id = %s and asset = %s",
            [user, asset],
        )
    assert "only through a posting" in str(error.value)
    with raises_sqlstate("PW061"):
        conn.execute(
            "update ledger.wallets set balance = 0, last_entry_id = null where user_id = %s",
            [user],
        )


def test_a_balance_cannot_jump_to_an_old_entry(conn: Conn, user: uuid.UUID, asset: str) -> None:
    """Pointing last_entry_id at an earlier entry of the wallet is refused too."""
    post(conn, "topup", user, asset, 100)
    post(conn, "topup", user, asset, 5)
    first = conn.execute(
        "select min(e.id) as id from ledger.entries e join ledger.wallets w on w.id = e.wallet_id "
        "where w.user_id = %s",
        [user],
    ).fetchone()
    assert first is not None

    with raises_sqlstate("PW061"):
        conn.execute(
            "update ledger.wallets set balance = 100, last_entry_id = %s where user_id = %s",
            [first["id"], user],
        )


def test_a_wallet_cannot_rewind_to_an_entry_that_fits_its_balance(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    """Back over a topup and its spend to the topup's entry: every other field fits; refused."""
    post(conn, "topup", user, asset, 10)
    post(conn, "spend", user, asset, 10)
    topup = one(
        conn,
        "select e.id, e.hash from ledger.entries e join ledger.wallets w on w.id = e.wallet_id"
        " where w.user_id = %s order by e.id limit 1",
        [user],
    )
    with raises_sqlstate("PW061"):
        conn.execute(
            "update ledger.wallets set balance = 10, last_entry_id = %s, head = %s"
            " where user_id = %s",
            [topup["id"], topup["hash"], user],
        )


def test_an_unbalanced_transaction_cannot_commit(conn: Conn, user: uuid.UUID, asset: str) -> None:
    with raises_sqlstate("PW062") as error, conn.transaction():
        conn.execute(
            "insert into ledger.transactions (kind, asset, user_id, amount, idempotency_key) "
            "values ('topup', %s, %s, 10, 'forged')",
            [asset, user],
        )
    assert "does not balance" in str(error.value)
    assert (
        conn.execute("select from ledger.transactions where idempotency_key = 'forged'").rowcount
        == 0
    )


def test_verify_passes_on_a_posted_ledger(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    post(conn, "spend", user, asset, 30)
    post(conn, "bonus", user, asset, 7)

    checks = verify(conn)

    assert set(checks) == {
        "transactions_balance",
        "assets_sum_to_zero",
        "transactions_match_entries",
        "reversals_within_originals",
        "balances_match_entries",
        "entries_record_balance_after",
        "entries_belong_to_transactions",
        "hash_chains_intact",
        "receipts_match_ledger",
        "keys_kept",
        "system_totals_in_range",
        "system_wallets_signed",
        "user_balances_not_negative",
        "holds_within_balances",
        "captures_match_holds",
        "append_only_enforced",
        "functions_as_installed",
    }
    assert all(checks.values())


def test_verify_reports_tampering_past_disabled_triggers(db_url: str) -> None:
    """A superuser who disables the guards can tamper; verify() then says what broke."""
    with psycopg.connect(db_url, autocommit=True) as tamper:
        tamper.execute("select wallet.create_asset('tampered', 'Tampered')")
        (user_id,) = one(tamper, "select wallet.create_user('T', %s)", [f"{uuid.uuid4()}@x.io"])
        tamper.execute("select wallet.topup(%s, 'tampered', 10, %s)", [user_id, str(uuid.uuid4())])
        tamper.execute("alter table ledger.wallets disable trigger _200_balance_from_entries")
        try:
            tamper.execute("update ledger.wallets set balance = 11 where user_id = %s", [user_id])
            with psycopg.connect(db_url) as reader:
                failed = {
                    name
                    for name, ok in reader.execute("select check_name, ok from wallet.verify()")
                    if not ok
                }
            assert failed == {
                "assets_sum_to_zero",
                "balances_match_entries",
                "append_only_enforced",
            }
        finally:
            tamper.execute("update ledger.wallets set balance = 10 where user_id = %s", [user_id])
            tamper.execute("alter table ledger.wallets enable trigger _200_balance_from_entries")


def test_no_entry_can_join_a_committed_transaction(conn: Conn, user: uuid.UUID, asset: str) -> None:
    receipt = post(conn, "topup", user, asset, 10)
    wallet = conn.execute(
        "select id from ledger.wallets where user_id = %s and asset = %s", [user, asset]
    ).fetchone()
    assert wallet is not None

    with raises_sqlstate("23505") as error:
        conn.execute(
            "insert into ledger.entries (transaction_id, wallet_id, amount, balance_after, hash) "
            "values (%s, %s, 5, 15, '\\x00')",
            [receipt["transaction_id"], wallet["id"]],
        )
    assert "entries_one_debit_one_credit" in str(error.value)
