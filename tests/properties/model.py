"""The model: what the ledger must hold, in plain Python.

Every test of the harness compares the real system with this. It knows the
contract's rules of a posting (who may post what, idempotency keys per
caller, frozen assets, suspended users, funds, the bigint range) and nothing
of how the SQL implements them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

Kind = Literal["topup", "bonus", "spend"]
KINDS: tuple[Kind, ...] = ("topup", "bonus", "spend")
MAX_AMOUNT = 9223372036854775807

# The outcomes the model can predict: a new transaction, the stored receipt
# again, or a refusal named as in wallet.error_codes() (which are also the
# `code`s of the HTTP problem documents).
POSTED = "posted"
REPLAYED = "replayed"


@dataclass(frozen=True)
class Request:
    """What a posting asks for; the idempotency key travels beside it."""

    kind: Kind
    user_id: UUID
    asset: str
    amount: int
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Caller:
    """Who posts: a client (its id, token and limits), or a direct SQL call (no client_id).

    A client's idempotency keys are its own: the same key from two callers is two keys.
    """

    client_id: UUID | None = None
    token: str | None = None
    scopes: frozenset[str] = frozenset(KINDS)
    assets: frozenset[str] | None = None  # None: every asset
    max_amount: int | None = None  # None: no limit


# A direct SQL call: no client, every kind, the SQL callers' own key namespace.
SQL_CALLER = Caller()


@dataclass(frozen=True)
class Receipt:
    """A posting's answer, whichever driver carried it."""

    transaction_id: UUID
    kind: str
    user_id: UUID
    asset: str
    amount: int
    balance: int
    created_at: datetime
    replayed: bool


@dataclass(frozen=True)
class Refusal:
    """A refused posting: the catalogue name of its error, e.g. insufficient_funds."""

    code: str


Outcome = Receipt | Refusal


@dataclass
class Model:
    """Expected balances, statuses and used keys of the users and assets of one run."""

    balances: dict[tuple[UUID, str], int] = field(default_factory=dict)
    # (user, asset) pairs that have a wallet: it appears on the first credit.
    wallets: set[tuple[UUID, str]] = field(default_factory=set)
    frozen: set[str] = field(default_factory=set)
    suspended: set[UUID] = field(default_factory=set)
    # Per asset, what the treasury issued and revenue received.
    issued: dict[str, int] = field(default_factory=dict)
    revenue: dict[str, int] = field(default_factory=dict)
    # Keys that produced a transaction, per caller's namespace: their request and first receipt.
    posted: dict[tuple[UUID | None, str], tuple[Request, Receipt]] = field(default_factory=dict)
    revoked: set[UUID] = field(default_factory=set)
    transactions: int = 0

    def add_asset(self, code: str) -> None:
        self.issued[code] = 0
        self.revenue[code] = 0

    def balance(self, user_id: UUID, asset: str) -> int:
        return self.balances.get((user_id, asset), 0)

    def first_receipt(self, caller: Caller, key: str) -> Receipt:
        """The receipt of the transaction this caller's key produced."""
        return self.posted[(caller.client_id, key)][1]

    def allowed(self, caller: Caller, key: str, request: Request) -> frozenset[str]:
        """Every outcome the contract allows for this posting now (most often one).

        The checks run in the SQL API's documented order: the caller, the key,
        the asset, the user, the funds, the range: the user's balance, and the
        system wallet's total (the treasury's down to -2^63, so at most 2^63
        issued; revenue up to 2^63 - 1), whichever of its 64 slots it takes.
        """
        if caller.client_id in self.revoked:
            return frozenset({"unauthorized"})
        if (
            request.kind not in caller.scopes
            or (caller.assets is not None and request.asset not in caller.assets)
            or (caller.max_amount is not None and request.amount > caller.max_amount)
        ):
            return frozenset({"forbidden"})
        if (caller.client_id, key) in self.posted:
            first = self.posted[(caller.client_id, key)][0]
            return frozenset({REPLAYED if first == request else "idempotency_key_reused"})
        if request.asset in self.frozen:
            return frozenset({"asset_frozen"})
        if request.user_id in self.suspended:
            return frozenset({"user_suspended"})
        balance = self.balance(request.user_id, request.asset)
        if request.kind == "spend":
            if balance < request.amount:
                return frozenset({"insufficient_funds"})
            room = MAX_AMOUNT - self.revenue[request.asset]
        else:
            if balance + request.amount > MAX_AMOUNT:
                return frozenset({"balance_out_of_range"})
            room = MAX_AMOUNT + 1 - self.issued[request.asset]
        if request.amount > room:
            return frozenset({"balance_out_of_range"})
        return frozenset({POSTED})

    def apply(self, caller: Caller, key: str, request: Request, receipt: Receipt) -> None:
        """Record a posting that the system reported as a new transaction."""
        pair = (request.user_id, request.asset)
        if request.kind == "spend":
            self.balances[pair] = self.balance(*pair) - request.amount
            self.revenue[request.asset] += request.amount
        else:
            self.balances[pair] = self.balance(*pair) + request.amount
            self.issued[request.asset] += request.amount
            self.wallets.add(pair)
        self.posted[(caller.client_id, key)] = (request, receipt)
        self.transactions += 1
