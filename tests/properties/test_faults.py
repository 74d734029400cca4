"""Postings cut off mid-call leave no trace, and the retry of their key posts exactly once.

Hypothesis picks a posting, what holds it up mid-call, and how it is cut off.
The hold-up makes "mid-call" certain: the posting has claimed its key (or is
waiting for a duplicate's key) and then waits on a lock while another
connection holds it:

- `user_row_locked`: the owner holds the user's row FOR UPDATE (lock order step 2);
- `duplicate_commits` / `duplicate_rolls_back`: another connection runs the same
  posting with the same key in an open transaction, then commits or rolls back.

Then the waiting call is cut off by its statement_timeout, by
pg_cancel_backend, or by pg_terminate_backend (the connection closed under
it). Nothing of it may remain: no transaction, no key. Once the hold-up ends,
retrying the key posts exactly once (or replays the duplicate's receipt).
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import psycopg
from hypothesis import given
from hypothesis import strategies as st
from psycopg.rows import dict_row

from tests.properties import checks, statements
from tests.properties.drivers import SqlDriver
from tests.properties.guard import Names
from tests.properties.model import KINDS, SQL_CALLER, Kind, Model, Receipt, Request
from tests.properties.profiles import scaled
from tests.support import Conn

HoldUp = Literal["user_row_locked", "duplicate_commits", "duplicate_rolls_back"]
CutOff = Literal["statement_timeout", "pg_cancel_backend", "pg_terminate_backend"]


@contextmanager
def held_up(url: str, hold_up: HoldUp, key: str, request: Request) -> Iterator[Conn]:
    """A connection holding what the posting will wait for, in an open transaction."""
    with psycopg.connect(url, row_factory=dict_row) as holder:
        if hold_up == "user_row_locked":
            holder.execute("select from ledger.users where id = %s for update", [request.user_id])
        else:
            holder.execute(statements.posting(key, request))
        yield holder


def wait_until_waiting_on_a_lock(owner: Conn, pid: int) -> None:
    deadline = time.monotonic() + 5
    while owner.execute(
        "select exists (select from pg_stat_activity"
        " where pid = %s and wait_event_type = 'Lock') as waiting",
        [pid],
    ).fetchone() != {"waiting": True}:
        assert time.monotonic() < deadline, f"backend {pid} never waited on a lock"
        time.sleep(0.01)


def cut_off_posting(
    url: str, owner: Conn, cut_off: CutOff, key: str, request: Request
) -> psycopg.Error:
    """Run the posting on its own connection, cut it off while it waits; return its error."""
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as victim:
        victim.execute("set role wallet_api")
        if cut_off == "statement_timeout":
            victim.execute("set statement_timeout = '300ms'")
        errors: list[psycopg.Error] = []

        def call() -> None:
            try:
                victim.execute(statements.posting(key, request))
            except psycopg.Error as error:
                errors.append(error)

        pid = victim.info.backend_pid
        thread = threading.Thread(target=call)
        thread.start()
        try:
            wait_until_waiting_on_a_lock(owner, pid)
            if cut_off != "statement_timeout":
                owner.execute(f"select {cut_off}(%s)", [pid])
        finally:
            thread.join(timeout=5)
            stuck = thread.is_alive()
            if stuck:  # never leave the call waiting: closing its connection would hang
                owner.execute("select pg_terminate_backend(%s)", [pid])
                thread.join()
        assert not stuck, "the posting was not cut off"
    assert len(errors) == 1, "the posting succeeded though it was cut off"
    return errors[0]


def traces(owner: Conn, key: str) -> dict[str, int]:
    """What the key left in the ledger, as the owner sees it (committed rows only)."""
    row = owner.execute(
        "select (select count(*) from ledger.transactions where idempotency_key = %(key)s)"
        " as transactions,"
        " (select count(*) from ledger.idempotency_keys where key = %(key)s) as keys",
        {"key": key},
    ).fetchone()
    assert row is not None
    return dict(row)


@given(
    kind=st.sampled_from(KINDS),
    amount=st.integers(1, 100),
    hold_up=st.sampled_from(["user_row_locked", "duplicate_commits", "duplicate_rolls_back"]),
    cut_off=st.sampled_from(["statement_timeout", "pg_cancel_backend", "pg_terminate_backend"]),
)
@scaled(0.5)
def test_a_posting_cut_off_mid_call_leaves_no_trace_and_its_retry_posts_once(
    kind: Kind,
    amount: int,
    hold_up: HoldUp,
    cut_off: CutOff,
    harness_url: str,
    api: Conn,
    owner: Conn,
) -> None:
    names = Names()
    driver = SqlDriver(api)
    model = Model()
    asset = names.asset()
    owner.execute(statements.create_asset(asset, f"Harness {asset}"))
    model.add_asset(asset)
    user = driver.create_user(*names.user())
    funding_key, funding = names.key(), Request("topup", user, asset, 100)
    funded = driver.post(SQL_CALLER, funding_key, funding)
    assert isinstance(funded, Receipt)
    model.apply(SQL_CALLER, funding_key, funding, funded)
    key, request = names.key(), Request(kind, user, asset, amount, {"attempt": "cut off"})

    with held_up(harness_url, hold_up, key, request) as holder:
        error = cut_off_posting(harness_url, owner, cut_off, key, request)
        if cut_off == "pg_terminate_backend":
            assert isinstance(error, psycopg.OperationalError), error
        else:
            assert error.sqlstate == "57014", error  # query_canceled
        assert traces(owner, key) == {"transactions": 0, "keys": 0}
        checks.assert_balances_as_modelled(owner, model)
        if hold_up == "duplicate_commits":
            holder.commit()
        else:
            holder.rollback()

    first = driver.post(SQL_CALLER, key, request)
    again = driver.post(SQL_CALLER, key, request)

    assert isinstance(first, Receipt), first
    assert first.replayed is (hold_up == "duplicate_commits")
    assert again == Receipt(**{**vars(first), "replayed": True})
    assert traces(owner, key) == {"transactions": 1, "keys": 1}
    model.apply(SQL_CALLER, key, request, first)
    checks.assert_balances_as_modelled(owner, model)
    checks.assert_wallets_add_up(owner, model)
    checks.assert_verify_passes(owner)
