"""`pgwallet seed`: the demo data of the contract, posted through the ledger.

Idempotent forever, not only while idempotency keys are retained: each
balance is a topup with a fixed key, made only if no transaction with that key
was ever posted (`ledger.transactions` keeps keys for good). Runs as the
schema owner, since creating assets is an operator's task.
"""

from dataclasses import dataclass
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

ASSETS = {
    "gold_coins": "Gold Coins",
    "diamonds": "Diamonds",
    "loyalty_points": "Loyalty Points",
}


@dataclass(frozen=True)
class SeedUser:
    id: UUID
    name: str
    email: str
    balances: dict[str, int]


USERS = (
    SeedUser(
        UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        "Alice",
        "alice@example.com",
        {"gold_coins": 1000, "diamonds": 50, "loyalty_points": 500},
    ),
    SeedUser(
        UUID("b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"),
        "Bob",
        "bob@example.com",
        {"gold_coins": 500, "diamonds": 25, "loyalty_points": 200},
    ),
)

# Serializes concurrent seeders; distinct from the migration's lock.
_ADVISORY_LOCK_KEY = 0x70677773  # "pgws"


def seed(conninfo: str) -> int:
    """Create what is missing of the seed data; return the number of topups posted."""
    posted = 0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", [_ADVISORY_LOCK_KEY])
        for code, name in ASSETS.items():
            if not conn.execute("select 1 from ledger.assets where code = %s", [code]).fetchone():
                conn.execute("select wallet.create_asset(%s, %s)", [code, name])
        for user in USERS:
            if not conn.execute("select 1 from ledger.users where id = %s", [user.id]).fetchone():
                conn.execute(
                    "select wallet.create_user(%s, %s, %s)", [user.name, user.email, user.id]
                )
            for asset, amount in user.balances.items():
                key = f"seed:{user.id}:{asset}"
                if conn.execute(
                    "select 1 from ledger.transactions where idempotency_key = %s", [key]
                ).fetchone():
                    continue
                conn.execute(
                    "select wallet.topup(%s, %s, %s, %s, %s)",
                    [user.id, asset, amount, key, Jsonb({"source": "seed"})],
                )
                posted += 1
        conn.execute("select pg_advisory_unlock(%s)", [_ADVISORY_LOCK_KEY])
    return posted
