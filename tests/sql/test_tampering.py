"""Tampering as an attacker would, each in a transaction rolled back: verify() names what broke.

Nothing inside PostgreSQL stops the owner or a superuser (these tests connect as
one); what the ledger promises is that their changes show. Each attack below was
possible without a trace before the hash chain and the stronger verify().
"""

import uuid
from collections.abc import Iterator

import pytest

from tests.support import Conn, one, post, raises_sqlstate

ALTER_GUARDS = [
    # Re-moded triggers still exist and are not "disabled".
    "alter table ledger.entries enable replica trigger _100_append_only",
    "alter table ledger.transactions enable always trigger _110_append_only_truncate",
    "alter table ledger.wallets disable trigger _200_balance_from_entries",
    # A guard made conditional never fires.
    "drop trigger _100_append_only on ledger.entries;"
    " create trigger _100_append_only before update or delete on ledger.entries"
    " for each row when (false) execute function wallet_internal.tg_ledger__append_only()",
    "drop trigger _100_expired_only on ledger.idempotency_keys",
]


# A bonus of 1 000 000 written by hand: its transaction, naming the user `named`;
# its entries from the treasury's slot 0 to the wallet of `user`, chained right;
# both balances moved. The wallet first: an UPDATE does not see rows inserted by
# its own statement.
FORGED_BONUS = [
    "insert into ledger.wallets (asset, holder, user_id) values (%(asset)s, 'user', %(user)s)",
    """
    with t as (
        insert into ledger.transactions (kind, asset, user_id, amount, idempotency_key)
        values ('bonus', %(asset)s, %(named)s, 1000000, 'forged') returning *
    ), w as (
        select * from ledger.wallets
        where asset = %(asset)s and holder = 'user' and user_id = %(user)s
    ), s as (
        select * from ledger.wallets
        where asset = %(asset)s and holder = 'treasury' and slot = 0
    ), e as (
        insert into ledger.entries (transaction_id, wallet_id, amount, balance_after, hash)
        select t.id, s.id, -1000000, s.balance - 1000000,
            ledger.entry_hash(s.head, s.id, -1000000, s.balance - 1000000,
                ledger.transaction_content(t))
        from t, s
        union all
        select t.id, w.id, 1000000, 1000000,
            ledger.entry_hash(null, w.id, 1000000, 1000000, ledger.transaction_content(t))
        from t, w
        returning *
    )
    update ledger.wallets as x
    set balance = e.balance_after, last_entry_id = e.id, head = e.hash
    from e where x.id = e.wallet_id
    """,
]


@pytest.fixture
def tamper(conn: Conn) -> Iterator[Conn]:
    """The owner's connection inside a transaction that is rolled back at the end."""
    with conn.transaction(force_rollback=True):
        yield conn


def failed(conn: Conn) -> set[str]:
    """The names of the checks of wallet.verify() that fail."""
    return {
        row["check_name"] for row in conn.execute("select * from wallet.verify()") if not row["ok"]
    }


@pytest.fixture
def posted(conn: Conn, user: uuid.UUID, asset: str) -> dict[str, object]:
    """A user with a topup of 100 and a spend of 30 (committed)."""
    post(conn, "topup", user, asset, 100)
    return post(conn, "spend", user, asset, 30)


@pytest.mark.parametrize("statement", ALTER_GUARDS)
def test_a_guard_re_moded_conditional_or_dropped_shows(tamper: Conn, statement: str) -> None:
    tamper.execute(statement)
    assert failed(tamper) == {"append_only_enforced"}


def test_a_replaced_function_body_is_named(tamper: Conn) -> None:
    tamper.execute(
        "create or replace function wallet_internal.tg_ledger__append_only() returns trigger"
        " language plpgsql set search_path = '' as $$ begin return old; end; $$"
    )
    row = one(
        tamper, "select detail from wallet.verify() where check_name = 'functions_as_installed'"
    )
    assert "wallet_internal.tg_ledger__append_only()" in row["detail"]
    assert failed(tamper) == {"functions_as_installed"}


@pytest.mark.parametrize(
    ("change", "broken"),
    [
        ('metadata = \'{"order": "forged"}\'', {"hash_chains_intact"}),
        (
            "created_at = created_at - interval '1 day'",
            {"hash_chains_intact", "receipts_match_ledger"},
        ),
        (
            "kind = 'bonus'",
            {"hash_chains_intact", "transactions_match_entries", "receipts_match_ledger"},
        ),
    ],
)
def test_a_rewritten_transaction_shows(
    posted: dict[str, object], tamper: Conn, change: str, broken: set[str]
) -> None:
    tamper.execute("alter table ledger.transactions disable trigger _100_append_only")
    tamper.execute(
        f"update ledger.transactions set {change} where id = %s", [posted["transaction_id"]]
    )
    tamper.execute("alter table ledger.transactions enable trigger _100_append_only")
    assert failed(tamper) == broken


def test_history_moved_to_another_user_shows(posted: dict[str, object], tamper: Conn) -> None:
    other = one(tamper, "select wallet.create_user('Mallory', %s) as id", [f"{uuid.uuid4()}@x.io"])
    tamper.execute("alter table ledger.transactions disable trigger _100_append_only")
    tamper.execute(
        "update ledger.transactions set user_id = %s where id = %s",
        [other["id"], posted["transaction_id"]],
    )
    tamper.execute("alter table ledger.transactions enable trigger _100_append_only")
    assert {"transactions_match_entries", "hash_chains_intact"} <= failed(tamper)


def forge_bonus(conn: Conn, asset: str, user: uuid.UUID, named: uuid.UUID) -> None:
    """Write FORGED_BONUS in the connection's transaction."""
    for statement in FORGED_BONUS:
        conn.execute(statement, {"asset": asset, "user": user, "named": named})


def test_a_hand_written_posting_is_refused_even_when_it_adds_up(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    """Transaction, entries (chained right) and balances by hand, every trigger on: refused."""
    with raises_sqlstate("PW062") as error, conn.transaction():
        forge_bonus(conn, asset, user, user)
    assert "not written by a posting function" in str(error.value)


def test_a_transaction_naming_a_user_who_does_not_exist_is_refused_at_commit(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    """No foreign key names the users (migration 0011): the deferred check does, by the wallets."""
    with raises_sqlstate("PW062") as error, conn.transaction():
        conn.execute("select set_config('pgwallet.posting', 'on', true)")
        forge_bonus(conn, asset, user, uuid.uuid4())
    assert "does not balance" in str(error.value)


def test_an_entry_moved_to_a_wallet_that_does_not_exist_shows(
    posted: dict[str, object], tamper: Conn
) -> None:
    """No foreign key names the entries' wallets (migration 0011): verify() does."""
    tamper.execute("set local session_replication_role = replica")
    tamper.execute(
        "update ledger.entries set wallet_id = -wallet_id where transaction_id = %s and amount > 0",
        [posted["transaction_id"]],
    )
    tamper.execute("set local session_replication_role = origin")
    assert "transactions_balance" in failed(tamper)


def test_an_entry_without_a_transaction_moves_no_balance_and_shows(
    tamper: Conn, user: uuid.UUID, asset: str
) -> None:
    """No foreign key names an entry's transaction (migration 0013): the guard, verify() do."""
    post(tamper, "topup", user, asset, 100)
    wallet = one(
        tamper,
        "select id, balance, head from ledger.wallets"
        " where user_id = %s and asset = %s and holder = 'user'",
        [user, asset],
    )
    entry = one(
        tamper,
        "insert into ledger.entries (transaction_id, wallet_id, amount, balance_after, hash)"
        " values (%s, %s, 50, %s, %s) returning id",
        [uuid.uuid4(), wallet["id"], wallet["balance"] + 50, wallet["head"]],
    )
    with raises_sqlstate("PW061"), tamper.transaction():
        tamper.execute(
            "update ledger.wallets set balance = balance + 50, last_entry_id = %s, head = %s"
            " where id = %s",
            [entry["id"], wallet["head"], wallet["id"]],
        )
    assert "entries_belong_to_transactions" in failed(tamper)


def test_stored_receipts_cannot_be_edited_and_a_forced_edit_shows(
    posted: dict[str, object], tamper: Conn
) -> None:
    key = one(
        tamper,
        "select idempotency_key as k from ledger.transactions where id = %s",
        [posted["transaction_id"]],
    )["k"]
    with raises_sqlstate("PW060"), tamper.transaction():
        tamper.execute(
            "update ledger.idempotency_keys set receipt = receipt || '{\"balance\": 999}'"
        )
    with raises_sqlstate("PW060"), tamper.transaction():
        tamper.execute("delete from ledger.idempotency_keys where key = %s", [key])
    with raises_sqlstate("PW060"), tamper.transaction():
        tamper.execute("truncate ledger.idempotency_keys")

    tamper.execute("set local session_replication_role = replica")
    tamper.execute(
        "update ledger.idempotency_keys set receipt = receipt || '{\"balance\": 999}'"
        " where key = %s",
        [key],
    )
    tamper.execute("set local session_replication_role = origin")
    assert failed(tamper) == {"receipts_match_ledger"}


def test_a_live_key_deleted_by_a_superuser_shows(posted: dict[str, object], tamper: Conn) -> None:
    tamper.execute("set local session_replication_role = replica")
    tamper.execute(
        "delete from ledger.idempotency_keys where transaction_id = %s", [posted["transaction_id"]]
    )
    tamper.execute("set local session_replication_role = origin")
    assert failed(tamper) == {"keys_kept"}


def test_a_last_topup_deleted_and_the_wallets_fixed_shows_only_to_a_published_head(
    tamper: Conn, user: uuid.UUID, asset: str
) -> None:
    post(tamper, "topup", user, asset, 100)
    receipt = post(tamper, "topup", user, asset, 50)
    tamper.execute("set local session_replication_role = replica")
    entries = tamper.execute(
        "delete from ledger.entries where transaction_id = %s returning wallet_id, amount",
        [receipt["transaction_id"]],
    ).fetchall()
    for entry in entries:
        tamper.execute(
            "update ledger.wallets set balance = balance - %s,"
            " last_entry_id = (select max(id) from ledger.entries where wallet_id = %s),"
            " head = (select hash from ledger.entries where wallet_id = %s"
            " order by id desc limit 1)"
            " where id = %s",
            [entry["amount"], entry["wallet_id"], entry["wallet_id"], entry["wallet_id"]],
        )
    tamper.execute(
        "delete from ledger.idempotency_keys where transaction_id = %s", [receipt["transaction_id"]]
    )
    tamper.execute("delete from ledger.transactions where id = %s", [receipt["transaction_id"]])
    tamper.execute("set local session_replication_role = origin")
    # The ledger adds up again; only a head published before shows the loss.
    head = one(tamper, "select * from wallet.chain_head()")
    assert failed(tamper) == set()
    assert head["entries"] >= 2


def test_a_published_head_shows_a_later_removal(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    receipt = post(conn, "topup", user, asset, 50)
    head = one(conn, "select * from wallet.chain_head()")
    with conn.transaction(force_rollback=True):
        conn.execute("set local session_replication_role = replica")
        conn.execute(
            "delete from ledger.entries where transaction_id = %s", [receipt["transaction_id"]]
        )
        checks = {
            row["check_name"]: row["ok"]
            for row in conn.execute(
                "select * from wallet.verify_against((%s, %s, %s)::wallet.chain_head)",
                [head["digest"], head["entries"], head["taken_at"]],
            )
        }
    assert checks == {
        "entries_still_held": False,
        "head_digest_matches": False,
        "hash_chains_intact": True,
    }
