"""Postings from several real connections at once, judged against the model.

Hypothesis plans a batch: a few users and assets with starting funds, then
postings of every kind by one of three callers (a direct SQL call, two
clients): topups, bonuses, spends, transfers between the users (crossing in
both directions) and reversals of the starting topups (whole or partial,
racing each other), some sent twice with the same key (the same request, a
changed amount, or by another caller, whose keys are its own). Runs of
topups, bonuses and spends of one caller go together as one wallet.post_batch,
whose every posting is judged as the others are. The batch runs on
four connections released together by a barrier. Afterwards the ledger
must equal the model applied to exactly the postings that reported a new
transaction, in the order the database committed them; every refusal must
be one a concurrent client may meet; no deadlock or serialization failure may
surface (the driver raises on any error outside the catalogue); each caller's
key must have made at most one transaction.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from uuid import UUID

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.rows import dict_row

from tests.properties import checks, statements
from tests.properties.drivers import SqlDriver
from tests.properties.guard import Names
from tests.properties.model import (
    KINDS,
    POSTED,
    SQL_CALLER,
    Answer,
    Caller,
    HoldAnswer,
    Kind,
    Model,
    Move,
    Outcome,
    Receipt,
    Refusal,
    Request,
)
from tests.properties.profiles import scaled
from tests.support import Conn, one

LANES = 4
CALLERS = 3
# What a client may meet when others post at the same time.
CONCURRENT_REFUSALS = {
    "insufficient_funds",
    "idempotency_key_in_progress",
    "idempotency_key_reused",
    "reversal_exceeds_original",
    # A capture and a release (or two captures) of one hold: one wins.
    "hold_not_active",
    # The same capture key resent with a larger amount.
    "capture_exceeds_hold",
}
HOLD_SECONDS = 3600  # no hold of a batch expires while it runs
BATCHED = 4  # postings in one wallet.post_batch at most


@dataclass(frozen=True)
class PlannedPosting:
    """A posting by index into the batch's users and assets, and the index of its key.

    A transfer goes from `user` to the next user; a reversal undoes `user`'s starting
    topup in `asset`, by `amount` or (whole) by all that is left. A hold reserves `amount`
    of `user` in `asset`; a capture (of `amount`, or the whole hold) or a release names one
    of the holds placed before the batch, by `user` and `asset` as an index.
    """

    kind: Kind
    user: int
    asset: int
    amount: int
    caller: int  # 0: a direct SQL call, 1 and 2: clients
    key: int = 0
    whole: bool = False
    # A topup, bonus or spend sent in one wallet.post_batch with the batched ones
    # right after it of the same caller (at most BATCHED of them).
    batched: bool = False


@dataclass(frozen=True)
class Plan:
    users: int
    assets: int
    funds: dict[tuple[int, int], int]
    # Holds placed before the batch: (user, asset, amount); those that fit are placed.
    holds: list[tuple[int, int, int]]
    postings: list[PlannedPosting]


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    users = draw(st.integers(2, 3))
    assets = draw(st.integers(1, 2))
    funds = {(u, a): draw(st.integers(1, 60)) for u in range(users) for a in range(assets)}
    holds = draw(
        st.lists(
            st.tuples(st.integers(0, users - 1), st.integers(0, assets - 1), st.integers(1, 30)),
            max_size=3,
        )
    )
    planned = st.builds(
        PlannedPosting,
        kind=st.sampled_from((*KINDS, "transfer", "reversal", "hold", "capture", "release")),
        user=st.integers(0, users - 1),
        asset=st.integers(0, assets - 1),
        amount=st.integers(1, 40),
        caller=st.integers(0, CALLERS - 1),
        whole=st.booleans(),
        batched=st.booleans(),
    )
    postings = [
        replace(p, key=i) for i, p in enumerate(draw(st.lists(planned, min_size=2, max_size=16)))
    ]
    # Second sends of a key: the same request, the same key with another amount,
    # or the same request by another caller.
    changes = st.sampled_from(["same", "amount", "caller"])
    for index, change in draw(
        st.lists(st.tuples(st.integers(0, len(postings) - 1), changes), max_size=6)
    ):
        first = postings[index]
        postings.append(
            {
                "same": first,
                "amount": replace(first, amount=first.amount + 1),
                "caller": replace(first, caller=(first.caller + 1) % CALLERS),
            }[change]
        )
    return Plan(users, assets, funds, holds, draw(st.permutations(postings)))


@pytest.fixture(scope="module")
def lanes(harness_url: str) -> Iterator[list[SqlDriver]]:
    """Four connections as wallet_api; a lock wait longer than 5 s becomes an answer."""
    connections = [
        psycopg.connect(harness_url, autocommit=True, row_factory=dict_row) for _ in range(LANES)
    ]
    try:
        for conn in connections:
            conn.execute("set role wallet_api")
            conn.execute("set lock_timeout = '5s'")
        yield [SqlDriver(conn) for conn in connections]
    finally:
        for conn in connections:
            conn.close()


Send = tuple[Caller, str, Request]


def calls(sends: list[Send], batched: list[bool]) -> list[list[int]]:
    """The sends (by index) grouped into calls: a run of batched topups, bonuses and
    spends of one caller is one wallet.post_batch; every other send is a call of its own."""
    grouped: list[list[int]] = []
    for i, (caller, _, request) in enumerate(sends):
        joins = batched[i] and request.kind in KINDS
        previous = grouped[-1] if grouped else []
        if (
            joins
            and previous
            and batched[previous[0]]
            and sends[previous[0]][2].kind in KINDS
            and sends[previous[0]][0] == caller
            and len(previous) < BATCHED
        ):
            previous.append(i)
        else:
            grouped.append([i])
    return grouped


def run_at_once(
    lanes: list[SqlDriver], sends: list[Send], grouped: list[list[int]]
) -> list[Outcome]:
    """Deal the calls round-robin to the lanes, release them together; outcomes in send
    order (a batch refused whole gives each of its postings that refusal)."""
    barrier = threading.Barrier(len(lanes))

    def call(indexes: list[int], driver: SqlDriver) -> list[tuple[int, Outcome]]:
        if len(indexes) == 1:
            caller, key, request = sends[indexes[0]]
            return [(indexes[0], driver.post(caller, key, request))]
        caller = sends[indexes[0]][0]
        outcomes = driver.post_batch(caller, [sends[i][1:] for i in indexes])
        if isinstance(outcomes, Refusal):
            return [(i, outcomes) for i in indexes]
        return list(zip(indexes, outcomes, strict=True))

    def lane(number: int) -> list[tuple[int, Outcome]]:
        barrier.wait()
        return [
            pair
            for c, indexes in enumerate(grouped)
            if c % len(lanes) == number
            for pair in call(indexes, lanes[number])
        ]

    with ThreadPoolExecutor(len(lanes)) as pool:
        results = [
            pair
            for future in [pool.submit(lane, n) for n in range(len(lanes))]
            for pair in future.result()
        ]
    return [outcome for _, outcome in sorted(results, key=lambda pair: pair[0])]


@given(plan=plans())
@scaled(1.5)
def test_concurrent_postings_equal_the_model_applied_to_their_successes(
    plan: Plan, lanes: list[SqlDriver], api: Conn, owner: Conn
) -> None:
    names = Names()
    setup = SqlDriver(api)
    model = Model()
    assets = [names.asset() for _ in range(plan.assets)]
    for code in assets:
        owner.execute("select wallet.create_asset(%s, %s)", [code, f"Harness {code}"])
        model.add_asset(code)
    users: list[UUID] = [setup.create_user(*names.user()) for _ in range(plan.users)]
    callers = [SQL_CALLER] + [
        Caller(
            one(owner, statements.create_client(names.client(), ["all"], None, None))["client_id"]
        )
        for _ in range(CALLERS - 1)
    ]
    funding: dict[tuple[int, int], UUID] = {}
    for (u, a), amount in plan.funds.items():
        key, funds = names.key(), Request("topup", users[u], assets[a], amount)
        receipt = setup.post(SQL_CALLER, key, funds)
        assert isinstance(receipt, Receipt), receipt
        model.apply(SQL_CALLER, key, funds, receipt)
        funding[(u, a)] = receipt.transaction_id
    placed: list[UUID] = []
    for u, a, amount in plan.holds:
        key, hold = (
            names.key(),
            Request("hold", users[u], assets[a], amount, expires_in=HOLD_SECONDS),
        )
        answer = setup.post(SQL_CALLER, key, hold)
        if isinstance(answer, HoldAnswer):
            model.apply_hold(SQL_CALLER, key, hold, answer)
            placed.append(answer.hold_id)
    keys = [f"{names.key()}-{i}" for i in range(len(plan.postings))]

    def request_of(p: PlannedPosting) -> Request | None:
        """The request a planned one stands for (None: a capture or release, no hold placed)."""
        if p.kind in ("capture", "release"):
            if not placed:
                return None
            hold_id = placed[(p.user + p.asset * plan.users) % len(placed)]
            amount = None if p.kind == "release" or p.whole else p.amount
            return Request(p.kind, None, None, amount, hold_id=hold_id)
        if p.kind == "hold":
            user, asset = users[p.user], assets[p.asset]
            return Request("hold", user, asset, p.amount, expires_in=HOLD_SECONDS)
        if p.kind == "reversal":
            amount = None if p.whole else p.amount
            return Request("reversal", None, None, amount, reverses=funding[(p.user, p.asset)])
        to = users[(p.user + 1) % plan.users] if p.kind == "transfer" else None
        return Request(p.kind, users[p.user], assets[p.asset], p.amount, to_user_id=to)

    planned = [(p, request) for p in plan.postings if (request := request_of(p)) is not None]
    sends = [(callers[p.caller], keys[p.key], request) for p, request in planned]

    outcomes = run_at_once(lanes, sends, calls(sends, [p.batched for p, _ in planned]))

    refusals = {o.code for o in outcomes if isinstance(o, Refusal)}
    assert refusals <= CONCURRENT_REFUSALS, outcomes
    # Per caller and key: at most one new transaction, hold or release; every replay is
    # its answer, for its very request.
    posted: dict[tuple[UUID | None, str], tuple[Request, Answer]] = {}
    for (caller, key, request), outcome in zip(sends, outcomes, strict=True):
        if not isinstance(outcome, Refusal) and not outcome.replayed:
            assert (caller.client_id, key) not in posted, f"key {key} made two"
            posted[(caller.client_id, key)] = (request, outcome)
    for (caller, key, request), outcome in zip(sends, outcomes, strict=True):
        first = posted.get((caller.client_id, key))
        if not isinstance(outcome, Refusal) and outcome.replayed:
            assert first == (request, replace(outcome, replayed=False)), (key, outcome)
        if isinstance(outcome, Refusal) and outcome.code == "idempotency_key_reused":
            assert first is not None, (key, request)
            assert first[0] != request, (key, request)
    stored = owner.execute(
        "select client_id, idempotency_key, id from ledger.transactions"
        " where idempotency_key = any(%s)",
        [keys],
    ).fetchall()
    assert sorted((str(r["client_id"]), r["idempotency_key"], r["id"]) for r in stored) == sorted(
        (str(client_id), key, receipt.transaction_id)
        for (client_id, key), (_, receipt) in posted.items()
        if isinstance(receipt, Receipt)
    )
    # Each placed hold was finished at most once, by one capture or one release; were some
    # refused as no longer active, one of them did finish it.
    for hold_id in placed:
        tries = [
            outcome
            for (_, _, request), outcome in zip(sends, outcomes, strict=True)
            if request.hold_id == hold_id
        ]
        finished = [o for o in tries if not isinstance(o, Refusal) and not o.replayed]
        assert len(finished) <= 1, tries
        if Refusal("hold_not_active") in tries:
            assert finished, tries
    # Releases first: a released hold reserves nothing in the model, so what the model
    # finds available never falls below what was (new holds are not applied yet either).
    for (client_id, key), (request, answer) in posted.items():
        if request.kind == "release":
            assert isinstance(answer, HoldAnswer)
            model.apply_hold(caller_of(callers, client_id), key, request, answer)

    # The model applied to exactly the successes, in the order their first user entries
    # were written: that is their commit order wherever two share a user (a posting holds
    # its users' locks from before it writes its entries until it commits).
    order = owner.execute(
        "select t.client_id, t.idempotency_key from ledger.entries as e"
        " join ledger.transactions as t on t.id = e.transaction_id"
        " join ledger.wallets as w on w.id = e.wallet_id"
        " where w.holder = 'user' and t.idempotency_key = any(%s)"
        " group by t.id order by min(e.id)",
        [keys],
    ).fetchall()
    seen = {(user, asset): [model.balance(user, asset)] for user in users for asset in assets}
    for row in order:
        caller = caller_of(callers, row["client_id"])
        request, receipt = posted[(caller.client_id, row["idempotency_key"])]
        assert isinstance(receipt, Receipt), receipt
        allowed = model.allowed(caller, row["idempotency_key"], request)
        assert allowed == {POSTED}, (request, model.balances)
        move = model.apply(caller, row["idempotency_key"], request, receipt)
        assert receipt.balance == model.balance(move.receipt_user, move.asset), (request, receipt)
        for user in (move.debited, move.credited):
            if user is not None:
                seen[(user, move.asset)].append(model.balance(user, move.asset))
    for (client_id, key), (request, answer) in posted.items():
        if request.kind == "hold":
            assert isinstance(answer, HoldAnswer)
            model.apply_hold(caller_of(callers, client_id), key, request, answer)
    checks.assert_balances_as_modelled(owner, model)
    checks.assert_wallets_add_up(owner, model)
    checks.assert_verify_passes(owner)
    for user in users:
        lines = setup.balances(user)
        for asset in assets:
            expected = (
                model.balance(user, asset),
                model.held(user, asset),
                model.available(user, asset),
            )
            assert lines[asset] == expected, (user, asset, lines[asset], expected)
    # A posting refused for funds met less available than its amount at some point of the
    # history of the user it debits (for a clawback, the user of the starting topup; a
    # whole clawback's amount is what was left then, which the model does not replay): at
    # most the lowest balance less every hold it could have met.
    for (_, _, request), outcome in zip(sends, outcomes, strict=True):
        refused = isinstance(outcome, Refusal) and outcome.code == "insufficient_funds"
        if refused and request.amount is not None:
            debited = debited_pair(model, request)
            could_hold = sum(
                h.amount for h in model.holds.values() if (h.user_id, h.asset) == debited
            )
            assert min(seen[debited]) - could_hold < request.amount, (request, seen[debited])


def caller_of(callers: list[Caller], client_id: UUID | None) -> Caller:
    """The batch's caller with this client id (None: the direct SQL caller)."""
    return next(c for c in callers if c.client_id == client_id)


def debited_pair(model: Model, request: Request) -> tuple[UUID, str]:
    """The user wallet a posting takes from: its sender, or a clawback's original user."""
    if request.kind == "reversal":
        assert request.reverses is not None
        original: Move = model.ledger[request.reverses]
        assert original.credited is not None
        return (original.credited, original.asset)
    assert request.user_id is not None
    assert request.asset is not None
    return (request.user_id, request.asset)
