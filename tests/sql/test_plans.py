"""A posting, a hold or a batch costs the same whatever the table statistics say.

The posting path is written as lookups by key (a row by its primary key, a
transaction's debit and credit by their unique key, each wallet by its primary
key), never as a join the planner could turn into a scan. The proof: 100 000
wallets in a database that was never analyzed (autovacuum off on its tables,
as on a freshly loaded database before autovacuum comes by), where a plan
chosen on guesses once cost every posting a scan of every wallet; then the
same after ANALYZE. What a posting costs is counted in blocks it touches in
the ledger's tables and indexes (pg_statio_*), which, unlike time, does not
depend on how busy the machine is.
"""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from bench.dataset import LEDGER_TABLES
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pgwallet.db import target
from pgwallet.db.migrate import migrate
from tests.support import Conn, one, post, reverse, transfer

WALLETS = 100_000
POSTINGS = 40


@pytest.fixture(scope="module")
def fresh_url(server_url: str) -> Iterator[str]:
    """A newly migrated database (no template, so no statistics came with it)."""
    with target.temporary_database(
        server_url, f"pgwallet_test_plans_{uuid.uuid4().hex[:8]}"
    ) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def loaded(fresh_url: str) -> Iterator[Conn]:
    """The owner's connection to that database, with 100 000 users, each with a wallet."""
    with psycopg.connect(fresh_url, autocommit=True, row_factory=dict_row) as conn:
        for table in LEDGER_TABLES:
            conn.execute(f"alter table ledger.{table} set (autovacuum_enabled = false)")
        conn.execute("select wallet.create_asset('plans', 'Plans')")
        conn.execute(
            "insert into ledger.users (id, name, email)"
            " select gen_random_uuid(), 'User ' || n, 'u' || n || '@plans.invalid'"
            " from generate_series(1, %s) as n",
            [WALLETS],
        )
        conn.execute(
            "insert into ledger.wallets (asset, holder, user_id)"
            " select 'plans', 'user', id from ledger.users"
        )
        yield conn


def blocks_touched(conn: Conn) -> int:
    """Blocks of the ledger's tables and indexes read or found in cache so far (all sessions)."""
    conn.execute("select pg_stat_force_next_flush()")
    conn.execute("select pg_stat_clear_snapshot()")
    row = one(
        conn,
        "select sum(coalesce(heap_blks_read, 0) + coalesce(heap_blks_hit, 0)"
        " + coalesce(idx_blks_read, 0) + coalesce(idx_blks_hit, 0)) as blocks"
        " from pg_statio_user_tables where schemaname = 'ledger'",
    )
    return int(row["blocks"])


def blocks_per_posting(conn: Conn) -> float:
    """The mean blocks a posting of each kind, a hold captured or released and a batch touch."""
    users = [
        row["id"]
        for row in conn.execute(
            "select id from ledger.users order by random() limit %s", [POSTINGS * 2]
        )
    ]
    before = blocks_touched(conn)
    for sender, receiver in zip(users[::2], users[1::2], strict=True):
        post(conn, "topup", sender, "plans", 10)
        spend = post(conn, "spend", sender, "plans", 3)
        transfer(conn, sender, receiver, "plans", 2)
        reverse(conn, spend["transaction_id"])
        for finish in ("capture", "release"):
            hold = one(
                conn,
                "select hold_id from wallet.hold(%s, 'plans', 1, %s)",
                [sender, str(uuid.uuid4())],
            )
            conn.execute(
                f"select * from wallet.{finish}(%s, %s)", [hold["hold_id"], str(uuid.uuid4())]
            )
        batch = [
            {
                "kind": kind,
                "user_id": str(user),
                "asset": "plans",
                "amount": 1,
                "idempotency_key": str(uuid.uuid4()),
            }
            for kind, user in (("topup", receiver), ("spend", sender))
        ]
        conn.execute("select * from wallet.post_batch(%s)", [Jsonb(batch)])
    # Each round: four postings, two holds finished, a batch of two.
    return (blocks_touched(conn) - before) / (POSTINGS * 10)


def test_a_posting_costs_the_same_before_and_after_analyze(loaded: Conn) -> None:
    never = one(
        loaded,
        "select count(*) as n from pg_stat_user_tables where schemaname = 'ledger'"
        " and relname = any(%s) and coalesce(last_analyze, last_autoanalyze) is not null",
        [list(LEDGER_TABLES)],
    )
    assert never["n"] == 0, "a ledger table was analyzed: the test would prove nothing"

    guessed = blocks_per_posting(loaded)
    loaded.execute("analyze")
    analyzed = blocks_per_posting(loaded)

    assert guessed <= 1.5 * analyzed, (guessed, analyzed)
