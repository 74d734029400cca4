"""The guard: the harness never runs on data it did not create, unless told to.

Everything the harness creates is recognisable: asset codes start with
`ph_` and user emails end with `@harness.pgwallet.invalid` (`.invalid` is a
reserved domain: no real person has such an address). Before a module runs,
the guard counts the users, assets and transactions of its database that are
not recognisable as the harness's own; if there are any, it refuses to start
unless PGWALLET_PROPERTIES_ALLOW_FOREIGN_DATA=1. Even then the harness touches
only what it creates itself (it freezes only its own assets, suspends only its
own users, cancels only its own backends); the rows it adds stay behind, as
the ledger is append-only.
"""

import itertools
import os
import uuid

from tests.support import Conn

ALLOW_FOREIGN_DATA_ENV = "PGWALLET_PROPERTIES_ALLOW_FOREIGN_DATA"
IN_PLACE_ENV = "PGWALLET_PROPERTIES_IN_PLACE"
ASSET_PREFIX = "ph_"
EMAIL_DOMAIN = "harness.pgwallet.invalid"


def flag(name: str) -> bool:
    """An environment flag is on when set to 1, true or yes."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


class Names:
    """Fresh names of one run: a random tag, then a counter, so runs never collide."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self._numbers = itertools.count()

    def asset(self) -> str:
        return f"{ASSET_PREFIX}{self.tag}_{next(self._numbers)}"

    def user(self) -> tuple[str, str]:
        """A (name, email) pair."""
        n = next(self._numbers)
        return f"Harness {self.tag} {n}", f"u{n}.{self.tag}@{EMAIL_DOMAIN}"

    def key(self) -> str:
        return f"ph-{self.tag}-{next(self._numbers)}"

    def client(self) -> str:
        """A client's name: shaped like a key, which fits the client name rule."""
        return self.key()


def foreign_data(conn: Conn) -> dict[str, int]:
    """How many users, assets and transactions of this database the harness did not create."""
    row = conn.execute(
        """
        select
            (select count(*) from ledger.users where email not like %(email)s) as users,
            (select count(*) from ledger.assets where code not like %(code)s) as assets,
            (select count(*) from ledger.transactions where asset not like %(code)s) as transactions
        """,
        {"email": f"%@{EMAIL_DOMAIN}", "code": ASSET_PREFIX.replace("_", r"\_") + "%"},
    ).fetchone()
    assert row is not None
    return {name: count for name, count in row.items() if count}


def refusal(conn: Conn) -> str | None:
    """Why the harness must not run on this database, or None when it may."""
    found = foreign_data(conn)
    if not found or flag(ALLOW_FOREIGN_DATA_ENV):
        return None
    counts = ", ".join(f"{count} {name}" for name, count in found.items())
    return (
        f"the database holds data the property harness did not create ({counts}); "
        f"it refuses to run there. Point it at a fresh database, or set "
        f"{ALLOW_FOREIGN_DATA_ENV}=1 to run beside that data (see tests/properties/README.md)."
    )
