"""The state machine: pgwallet against the model, one rule at a time.

Rules create users, assets and clients (with some scopes, maybe limited to
an asset and an amount), post as one of those callers with fresh keys (every
kind: topups, bonuses, spends, transfers, to oneself too, and reversals of
any transaction of the run, whole or partial, of more than is left, of a
reversal, clawbacks that would overdraw; holds of a second or an hour, and
their captures, whole, in part or beyond, and releases), send
earlier keys again (with the same request: the stored receipt must come
back; with a changed one: PW030), send a key another caller used (its own,
then), spend more than the balance, freeze and unfreeze assets, suspend and
reinstate users, revoke clients. Bundles carry the users, assets, callers and
sent keys from rule to rule, so that replays and reuses really happen. After every step the
invariants compare the database with the model and with itself.

Holds expire by time, as in production (no clock of the database is bent):
before each step, a hold about to expire is waited out (`_settle`), so that
no step straddles an expiry and the model knows which holds count.

Every call is written down as the SQL a DBA would type, with its outcome as a
comment; a failing example prints that journal as one psql script (run it as
the schema owner: it includes operator functions).
"""

import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from uuid import UUID

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from tests.properties import checks, statements
from tests.properties.drivers import Driver
from tests.properties.guard import Names
from tests.properties.model import (
    KINDS,
    MAX_AMOUNT,
    POSTED,
    REPLAYED,
    SCOPES,
    SQL_CALLER,
    Caller,
    HoldAnswer,
    Model,
    Outcome,
    Refusal,
    Request,
)
from tests.support import Conn, one

kinds = st.sampled_from(KINDS)
small_amounts = st.integers(1, 200)
# Near the bigint limit, where a balance or a system total would overflow.
huge_amounts = st.sampled_from([MAX_AMOUNT // 2 + 1, MAX_AMOUNT - 1, MAX_AMOUNT])
metadatas = st.sampled_from([{}, {"order": 1}, {"order": 2, "note": "it's"}])
# Holds of 1 second expire during a run; holds of an hour do not.
hold_seconds = st.sampled_from([1, 3600, 3600])
# A hold that would expire within this margin of a step's start is waited out first
# (WalletMachine._settle): a step takes far less.
EXPIRY_MARGIN = timedelta(seconds=0.5)
# Holds and transactions are picked by an index drawn whatever they are (modulo how many
# there are), so that a run draws the same whichever holds time has expired.
indexes = st.integers(0, 2**16)


@dataclass(frozen=True)
class Sent:
    """A key, its caller and the request first sent with it (posted or refused)."""

    caller: Caller
    key: str
    request: Request


def describe(outcome: Outcome) -> str:
    """An outcome as a psql comment."""
    if isinstance(outcome, Refusal):
        return f"-- refused: {outcome.code}"
    state = "replayed" if outcome.replayed else "posted"
    if isinstance(outcome, HoldAnswer):
        return f"-- {state}: hold {outcome.hold_id}, {outcome.status}"
    return f"-- {state}: transaction {outcome.transaction_id}, balance {outcome.balance}"


class WalletMachine(RuleBasedStateMachine):
    """pgwallet through `driver`, checked as the owner through `owner`."""

    users = Bundle("users")
    assets = Bundle("assets")
    callers = Bundle("callers")
    sent = Bundle("sent")

    def __init__(self, driver: Driver, owner: Conn) -> None:
        super().__init__()
        self.driver = driver
        self.owner = owner
        self.names = Names()
        self.model = Model()
        self.users_seen: list[UUID] = []
        self.ledger_seen: dict[int, dict[str, Any]] = {}
        self.journal: list[str] = []

    def teardown(self) -> None:
        """Print the journal; Hypothesis shows notes of the failing example only."""
        note("\n".join(["-- the run in psql, as the schema owner:", *self.journal]))

    def _operator(self, statement: str) -> None:
        """An operator function: the owner runs it in SQL, whatever the driver."""
        self.journal.append(statement)
        self.owner.execute(statement)

    def _settle(self) -> None:
        """Read the database's clock for the model; first wait out any hold about to expire."""
        while True:
            now = one(self.owner, "select clock_timestamp() as now")["now"]
            soon = [
                h.expires_at
                for h in self.model.holds.values()
                if h.status == "held" and now < h.expires_at <= now + EXPIRY_MARGIN
            ]
            if not soon:
                break
            self.journal.append(f"select pg_sleep({(max(soon) - now).total_seconds():.3f});")
            time.sleep((max(soon) - now).total_seconds() + 0.01)
        self.model.now = now

    def _submit(self, caller: Caller, key: str, request: Request) -> Sent:
        """Send a posting and check its outcome against the model; then record it."""
        self._settle()
        statement = statements.posting(key, request, caller.client_id)
        self.journal.append(f"{statement}  -- no answer: the call raised")
        allowed = self.model.allowed(caller, key, request)
        outcome = self.driver.post(caller, key, request)
        self.journal[-1] = f"{statement}  {describe(outcome)}"
        self._judge(caller, key, request, allowed, outcome)
        return Sent(caller, key, request)

    def _judge(
        self, caller: Caller, key: str, request: Request, allowed: frozenset[str], outcome: Outcome
    ) -> None:
        """Check a posting's outcome against what the model allowed; record what it posted."""
        if isinstance(outcome, Refusal):
            assert outcome.code in allowed, f"refused {outcome.code}, expected {set(allowed)}"
        elif outcome.replayed:
            assert allowed == {REPLAYED}, f"replayed, expected {set(allowed)}"
            first = self.model.first_answer(caller, key)
            assert outcome == replace(first, replayed=True), (outcome, first)
        elif isinstance(outcome, HoldAnswer):
            assert POSTED in allowed, f"posted, expected {set(allowed)}"
            self.model.apply_hold(caller, key, request, outcome)
            if request.kind == "release":
                assert (outcome.hold_id, outcome.status) == (request.hold_id, "released"), outcome
            else:
                placed = (request.user_id, request.asset, request.amount, "held")
                assert (outcome.user_id, outcome.asset, outcome.amount, outcome.status) == placed
                seconds = timedelta(seconds=request.expires_in or 0)
                assert outcome.expires_at - outcome.created_at == seconds, outcome
        else:
            assert POSTED in allowed, f"posted, expected {set(allowed)}"
            move = self.model.apply(caller, key, request, outcome)
            assert (outcome.kind, outcome.user_id, outcome.asset, outcome.amount) == (
                move.kind,
                move.receipt_user,
                move.asset,
                move.amount,
            ), outcome
            assert outcome.balance == self.model.balance(move.receipt_user, move.asset), outcome
            if move.kind == "transfer":
                assert move.credited is not None
                expected = self.model.balance(move.credited, move.asset)
                assert outcome.counterparty_balance == expected, outcome

    def _new_client(
        self, scopes: frozenset[str], asset: str | None = None, max_amount: int | None = None
    ) -> Caller:
        """A client, created by the operator in SQL (its token comes back once)."""
        assets = None if asset is None else [asset]
        statement = statements.create_client(
            self.names.client(), sorted(scopes), assets, max_amount
        )
        self.journal.append(statement)
        created = self.owner.execute(statement).fetchone()
        assert created is not None
        return Caller(
            created["client_id"],
            created["token"],
            frozenset(scopes),
            None if asset is None else frozenset(assets or ()),
            max_amount,
        )

    def _new_asset(self) -> str:
        code = self.names.asset()
        self._operator(statements.create_asset(code, f"Harness {code}"))
        self.model.add_asset(code)
        return code

    def _new_user(self) -> UUID:
        name, email = self.names.user()
        user_id = self.driver.create_user(name, email)
        self.journal.append(statements.create_user(name, email, user_id))
        self.users_seen.append(user_id)
        return user_id

    @initialize(target=assets)
    def first_asset(self) -> str:
        return self._new_asset()

    @initialize(target=users)
    def first_user(self) -> UUID:
        return self._new_user()

    @initialize(target=callers)
    def first_callers(self) -> Any:
        """A client that may post every kind and, where the driver can, a direct SQL caller."""
        everything = self._new_client(frozenset(SCOPES))
        return multiple(everything, *([SQL_CALLER] if self.driver.direct_sql else []))

    @rule(
        target=callers,
        scopes=st.frozensets(st.sampled_from(SCOPES), min_size=1),
        asset=st.none() | assets,
        max_amount=st.none() | small_amounts,
    )
    def create_client(
        self, scopes: frozenset[str], asset: str | None, max_amount: int | None
    ) -> Caller:
        return self._new_client(scopes, asset, max_amount)

    @rule(caller=callers)
    def revoke_client(self, caller: Caller) -> None:
        if caller.client_id is None:
            return  # a direct SQL caller has nothing to revoke
        self._operator(statements.revoke_client(caller.client_id))
        self.model.revoked.add(caller.client_id)

    @rule(target=assets)
    def create_asset(self) -> str:
        return self._new_asset()

    @rule(target=users)
    def create_user(self) -> UUID:
        return self._new_user()

    @rule(
        target=sent,
        caller=callers,
        kind=kinds,
        user=users,
        asset=assets,
        amount=small_amounts,
        metadata=metadatas,
    )
    def post(
        self,
        caller: Caller,
        kind: Any,
        user: UUID,
        asset: str,
        amount: int,
        metadata: dict[str, Any],
    ) -> Sent:
        return self._submit(caller, self.names.key(), Request(kind, user, asset, amount, metadata))

    @rule(target=sent, caller=callers, kind=kinds, user=users, asset=assets, amount=huge_amounts)
    def post_huge(self, caller: Caller, kind: Any, user: UUID, asset: str, amount: int) -> Sent:
        return self._submit(caller, self.names.key(), Request(kind, user, asset, amount))

    @rule(target=sent, caller=callers, user=users, asset=assets, extra=st.integers(1, 100))
    def overspend(self, caller: Caller, user: UUID, asset: str, extra: int) -> Sent:
        amount = min(self.model.balance(user, asset) + extra, MAX_AMOUNT)
        return self._submit(caller, self.names.key(), Request("spend", user, asset, amount))

    @rule(
        target=sent,
        caller=callers,
        sender=users,
        receiver=users,
        asset=assets,
        amount=small_amounts,
        metadata=metadatas,
    )
    def transfer(
        self,
        caller: Caller,
        sender: UUID,
        receiver: UUID,
        asset: str,
        amount: int,
        metadata: dict[str, Any],
    ) -> Sent:
        """A transfer; the same user at both ends now and then (refused)."""
        request = Request("transfer", sender, asset, amount, metadata, to_user_id=receiver)
        return self._submit(caller, self.names.key(), request)

    @rule(
        target=sent,
        caller=callers,
        index=indexes,
        amount=st.none() | small_amounts,
        metadata=metadatas,
    )
    def reverse(
        self, caller: Caller, index: int, amount: int | None, metadata: dict[str, Any]
    ) -> Sent:
        """A reversal of any transaction of the run (a reversal too), all that is left or some;
        with none yet, of an unknown one."""
        # In the order of posting (ids are random: sorting by them would not replay).
        done = list(self.model.ledger)
        original = done[index % len(done)] if done else UUID(int=index)
        request = Request("reversal", None, None, amount, metadata, reverses=original)
        return self._submit(caller, self.names.key(), request)

    @rule(
        target=sent,
        caller=callers,
        postings=st.lists(
            st.tuples(
                kinds, users, assets, small_amounts, st.sampled_from(["fresh", "same", "key"])
            ),
            min_size=1,
            max_size=6,
        ),
    )
    def batch(self, caller: Caller, postings: list[tuple[Any, UUID, str, int, str]]) -> Any:
        """A batch of postings, some repeating the key of the one before it (with the same
        request, or another): each judged as if alone, in order."""
        sends: list[tuple[str, Request]] = []
        for kind, user, asset, amount, key_of in postings:
            request = Request(kind, user, asset, amount)
            if sends and key_of == "same":
                sends.append(sends[-1])
            else:
                sends.append(
                    (sends[-1][0] if sends and key_of == "key" else self.names.key(), request)
                )
        self._settle()
        statement = statements.batch(sends, caller.client_id)
        self.journal.append(f"{statement}  -- no answer: the call raised")
        whole = self.model.batch_refusals(caller, http=not self.driver.direct_sql)
        outcomes = self.driver.post_batch(caller, sends)
        if isinstance(outcomes, Refusal):
            self.journal[-1] = f"{statement}  {describe(outcomes)}"
            assert outcomes.code in whole, f"batch refused {outcomes.code}, expected {whole}"
            # As many as when it is answered: whether a revoked client's token is still
            # trusted depends on time, and the bundle must not (Hypothesis replays it).
            return multiple(*(Sent(caller, key, request) for key, request in sends))
        assert None in whole, f"batch answered, expected {whole}"
        self.journal[-1] = f"{statement}  -- " + "; ".join(describe(o)[3:] for o in outcomes)
        assert len(outcomes) == len(sends), outcomes
        for (key, request), outcome in zip(sends, outcomes, strict=True):
            self._judge(caller, key, request, self.model.allowed(caller, key, request), outcome)
        return multiple(*(Sent(caller, key, request) for key, request in sends))

    @rule(
        target=sent,
        caller=callers,
        user=users,
        asset=assets,
        amount=small_amounts,
        seconds=hold_seconds,
        metadata=metadatas,
        fits=st.booleans(),
    )
    def place_hold(
        self,
        caller: Caller,
        user: UUID,
        asset: str,
        amount: int,
        seconds: int,
        metadata: dict[str, Any],
        fits: bool,
    ) -> Sent:
        """A hold of any amount, or (fits) of at most what is available, topped up first
        when nothing is (holds of users without credits would mostly be refused)."""
        return self._hold(caller, user, asset, amount, seconds, metadata, fits)

    def _hold(
        self,
        caller: Caller,
        user: UUID,
        asset: str,
        amount: int,
        seconds: int,
        metadata: dict[str, Any],
        fits: bool,
    ) -> Sent:
        self._settle()
        if fits and self.model.available(user, asset) <= 0:
            self._submit(caller, self.names.key(), Request("topup", user, asset, amount))
        available = self.model.available(user, asset)
        if fits and available > 0:
            amount = 1 + (amount - 1) % min(available, MAX_AMOUNT)
        request = Request("hold", user, asset, amount, metadata, expires_in=seconds)
        return self._submit(caller, self.names.key(), request)

    def _pick_hold(self, index: int, active: bool, caller: Caller, user: UUID, asset: str) -> UUID:
        """A hold of the run: one that still reserves credits (when `active`: placed first,
        of `user` in `asset`, when none does), or any, captured, released or expired ones
        included; with none at all, an unknown one."""
        live = [i for i, hold in self.model.holds.items() if self.model.active(hold)]
        if active and not live:
            self._hold(caller, user, asset, 1 + index % 100, 3600, {}, fits=True)
            live = [i for i, hold in self.model.holds.items() if self.model.active(hold)]
        choices = live if active and live else list(self.model.holds)
        return choices[index % len(choices)] if choices else UUID(int=index)

    @rule(
        target=sent,
        caller=callers,
        user=users,
        asset=assets,
        index=indexes,
        active=st.booleans(),
        amount=st.none() | small_amounts,
        fits=st.booleans(),
        metadata=metadatas,
    )
    def capture_hold(
        self,
        caller: Caller,
        user: UUID,
        asset: str,
        index: int,
        active: bool,
        amount: int | None,
        fits: bool,
        metadata: dict[str, Any],
    ) -> Sent:
        """Capture all of a hold (no amount), part of it (fits), or maybe more (PW024)."""
        self._settle()
        hold_id = self._pick_hold(index, active, caller, user, asset)
        if amount is not None and fits and hold_id in self.model.holds:
            amount = 1 + (amount - 1) % self.model.holds[hold_id].amount
        request = Request("capture", None, None, amount, metadata, hold_id=hold_id)
        return self._submit(caller, self.names.key(), request)

    @rule(
        target=sent, caller=callers, user=users, asset=assets, index=indexes, active=st.booleans()
    )
    def release_hold(
        self, caller: Caller, user: UUID, asset: str, index: int, active: bool
    ) -> Sent:
        self._settle()
        hold_id = self._pick_hold(index, active, caller, user, asset)
        request = Request("release", None, None, None, hold_id=hold_id)
        return self._submit(caller, self.names.key(), request)

    @rule(sent=sent)
    def send_again(self, sent: Sent) -> None:
        """The same key and request: the stored receipt if it posted, else a fresh try."""
        self._submit(sent.caller, sent.key, sent.request)

    @rule(sent=sent, kind=kinds, user=users, asset=assets, amount=small_amounts, metadata=metadatas)
    def reuse_key(
        self, sent: Sent, kind: Any, user: UUID, asset: str, amount: int, metadata: dict[str, Any]
    ) -> None:
        """The same key with another request: refused if the key posted, else a fresh try."""
        self._submit(sent.caller, sent.key, Request(kind, user, asset, amount, metadata))

    @rule(sent=sent, caller=callers)
    def key_of_another_caller(self, sent: Sent, caller: Caller) -> None:
        """Another caller's key is not this one's: the request is judged on its own."""
        self._submit(caller, sent.key, sent.request)

    @rule(asset=assets, frozen=st.booleans())
    def set_asset_status(self, asset: str, frozen: bool) -> None:
        self._operator(statements.set_asset_status(asset, "frozen" if frozen else "active"))
        (self.model.frozen.add if frozen else self.model.frozen.discard)(asset)

    @rule(user=users, suspended=st.booleans())
    def set_user_status(self, user: UUID, suspended: bool) -> None:
        self._operator(statements.set_user_status(user, "suspended" if suspended else "active"))
        (self.model.suspended.add if suspended else self.model.suspended.discard)(user)

    @invariant()
    def balances_equal_the_model(self) -> None:
        """wallet.balances lists every active asset and every other the user holds, as modelled,
        with what the user's holds reserve (held) and what is left (available)."""
        self._settle()
        for user in self.users_seen:
            ours = {
                asset: line
                for asset, line in self.driver.balances(user).items()
                if asset in self.model.issued
            }
            expected = {
                asset: (
                    self.model.balance(user, asset),
                    self.model.held(user, asset),
                    self.model.available(user, asset),
                )
                for asset in self.model.issued
                if asset not in self.model.frozen or (user, asset) in self.model.wallets
            }
            assert ours == expected, f"{statements.balances(user)} differs from the model"

    @invariant()
    def holds_equal_the_model(self) -> None:
        """Each hold of the run reads as modelled: held, captured (and for how much),
        released, or expired."""
        self._settle()
        rows = self.owner.execute(
            "select h.* from unnest(%s::uuid[]) as i (id), wallet.get_hold(i.id) as h",
            [list(self.model.holds)],
        ).fetchall()
        ours = {row["hold_id"]: (row["status"], row["captured_amount"]) for row in rows}
        expected = {
            hold_id: (self.model.shown_status(hold), hold.captured_amount)
            for hold_id, hold in self.model.holds.items()
        }
        assert ours == expected

    @invariant()
    def wallets_add_up(self) -> None:
        checks.assert_wallets_add_up(self.owner, self.model)

    @invariant()
    def verify_passes(self) -> None:
        checks.assert_verify_passes(self.owner)

    @invariant()
    def ledger_only_grows(self) -> None:
        """Entries of this run's assets: none lost or changed, two per transaction of the model."""
        rows = self.owner.execute(
            "select e.id, e.transaction_id, e.wallet_id, e.amount, e.balance_after,"
            " t.kind, t.user_id, t.amount as transaction_amount, t.metadata, t.idempotency_key"
            " from ledger.entries as e join ledger.transactions as t on t.id = e.transaction_id"
            " where t.asset = any(%s)",
            [list(self.model.issued)],
        ).fetchall()
        now = {row["id"]: row for row in rows}
        changed = [
            (before, now.get(entry_id))
            for entry_id, before in self.ledger_seen.items()
            if now.get(entry_id) != before
        ]
        assert not changed, f"earlier entries changed or vanished: {changed}"
        assert len(now) == 2 * self.model.transactions, (len(now), self.model.transactions)
        self.ledger_seen = now
