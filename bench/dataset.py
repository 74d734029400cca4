"""The data the benchmarks run on, created through the public API.

Bench users are numbered; user n has the id `00000000-0000-4000-8000-<n, 12
digits>`, so a pgbench script turns `random(1, users)` into an id without a
lookup. Every user is funded once with a topup whose key is `fund-<n>` (the
replay workload sends exactly that request again). User 0 is the deep user
whose long history the read benchmarks page through; user 1 also has holds
(`add_holds`), for the cost of reading balances beside many holds.
"""

import time

import psycopg

from pgwallet.db.migrate import migrate

ASSET = "bench_coins"
FUNDING = 10**14  # no spend of the benchmarks is ever refused; 10 000 of them fit a bigint
DEEP_USER = 0
HOLDS_USER = 1


def user_id_sql(number: str) -> str:
    """SQL that turns a user number (an SQL expression) into that bench user's id."""
    return f"('00000000-0000-4000-8000-' || lpad(({number})::text, 12, '0'))::uuid"


def user_id(number: int) -> str:
    """The id of bench user `number`."""
    return f"00000000-0000-4000-8000-{number:012d}"


# The tables a posting reads or writes (a spend reads the user's holds too; the
# event feed's tables are the readers' business), which a never-analyzed database
# keeps without statistics (autovacuum off on them); tests/sql/test_plans.py too.
LEDGER_TABLES = ("users", "wallets", "transactions", "entries", "idempotency_keys", "holds")


def create(conninfo: str, users: int, analyzed: bool = True) -> None:
    """Migrate a fresh database, create the asset and users 0..`users`, fund 1..`users`.

    With `analyzed` false the ledger's tables are never analyzed (autovacuum is off
    on them), as on a database freshly loaded before autovacuum comes by: every
    plan of the posting path is then chosen on guesses.
    """
    migrate(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if not analyzed:
            for table in LEDGER_TABLES:
                conn.execute(f"alter table ledger.{table} set (autovacuum_enabled = false)")
        conn.execute("select wallet.create_asset(%s, 'Bench Coins')", [ASSET])
        conn.execute(
            "select count(wallet.create_user('Bench ' || n, 'bench' || n || '@example.com', "
            f"{user_id_sql('n')})) from generate_series(0, %s) as n",
            [users],
        )
        if analyzed:
            conn.execute("analyze")
        # In small transactions: a row updated many times in one transaction
        # keeps every version, so each further lookup of it walks them all.
        for first in range(1, users + 1, 10):
            conn.execute(
                f"select count(wallet.topup({user_id_sql('n')}, %s, %s, 'fund-' || n)) "
                "from generate_series(%s::int, %s::int) as n",
                [ASSET, FUNDING, first, min(first + 9, users)],
            )
        if analyzed:
            conn.execute("vacuum analyze")


def extend_history(conninfo: str, entries: int, batch: int = 10) -> None:
    """Post topups of 1 to the deep user until their wallet holds `entries` entries.

    Real postings through wallet.topup, committed in batches, so the history is
    exactly what production would have written.
    """
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from ledger.entries as e join ledger.wallets as w "
            "on w.id = e.wallet_id where w.user_id = %s",
            [user_id(DEEP_USER)],
        ).fetchone()
        have = row[0] if row else 0
        while have < entries:
            n = min(batch, entries - have)
            conn.execute(
                f"select count(wallet.topup({user_id_sql(str(DEEP_USER))}, %s, 1, "
                "'deep-' || g)) from generate_series(%s::int, %s::int) as g",
                [ASSET, have, have + n - 1],
            )
            have += n
        conn.execute("vacuum analyze")


def add_holds(conninfo: str, expired: int, active: int) -> None:
    """Give HOLDS_USER `expired` holds that have expired (1-second holds, waited out) and
    `active` holds of an hour, all through wallet.hold."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for first in range(0, expired, 100):
            conn.execute(
                f"select count(wallet.hold({user_id_sql(str(HOLDS_USER))}, %s, 1, "
                "'expired-hold-' || g, interval '1 second')) "
                "from generate_series(%s::int, %s::int) as g",
                [ASSET, first, min(first + 99, expired - 1)],
            )
        time.sleep(1.1)
        conn.execute(
            f"select count(wallet.hold({user_id_sql(str(HOLDS_USER))}, %s, 1, "
            "'active-hold-' || g, interval '1 hour')) from generate_series(1, %s) as g",
            [ASSET, active],
        )
        conn.execute("vacuum analyze ledger.holds")
