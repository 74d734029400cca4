"""The model: what the ledger must hold, in plain Python.

Every test of the harness compares the real system with this. It knows the
contract's rules of a posting (idempotency keys, frozen assets, suspended
users, funds, the bigint range) and nothing of how the SQL implements them.
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
    # Keys that produced a transaction: their request and first receipt.
    posted: dict[str, tuple[Request, Receipt]] = field(default_factory=dict)
    transactions: int = 0

    def add_asset(self, code: str) -> None:
        self.issued[code] = 0
        self.revenue[code] = 0

    def balance(self, user_id: UUID, asset: str) -> int:
        return self.balances.get((user_id, asset), 0)

    def allowed(self, key: str, request: Request) -> frozenset[str]:
        """Every outcome the contract allows for this posting now (most often one).

        The checks run in the SQL API's documented order: the key, the asset,
        the user, the funds, the range. Two outcomes are allowed only where
        the result depends on which of a system wallet's 64 slots the posting
        takes: when the asset's issued or received total would leave the
        bigint range, one slot may still have room.
        """
        if key in self.posted:
            return frozenset(
                {REPLAYED if self.posted[key][0] == request else "idempotency_key_reused"}
            )
        if request.asset in self.frozen:
            return frozenset({"asset_frozen"})
        if request.user_id in self.suspended:
            return frozenset({"user_suspended"})
        balance = self.balance(request.user_id, request.asset)
        if request.kind == "spend":
            if balance < request.amount:
                return frozenset({"insufficient_funds"})
            system_total = self.revenue[request.asset]
        else:
            if balance + request.amount > MAX_AMOUNT:
                return frozenset({"balance_out_of_range"})
            system_total = self.issued[request.asset]
        if system_total + request.amount > MAX_AMOUNT:
            return frozenset({POSTED, "balance_out_of_range"})
        return frozenset({POSTED})

    def apply(self, key: str, request: Request, receipt: Receipt) -> None:
        """Record a posting that the system reported as a new transaction."""
        pair = (request.user_id, request.asset)
        if request.kind == "spend":
            self.balances[pair] = self.balance(*pair) - request.amount
            self.revenue[request.asset] += request.amount
        else:
            self.balances[pair] = self.balance(*pair) + request.amount
            self.issued[request.asset] += request.amount
            self.wallets.add(pair)
        self.posted[key] = (request, receipt)
        self.transactions += 1
