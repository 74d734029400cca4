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

Kind = Literal["topup", "bonus", "spend", "transfer", "reversal"]
# The kinds between one user and a system wallet.
KINDS: tuple[Kind, ...] = ("topup", "bonus", "spend")
# What a client may be allowed: those kinds, transfers, reversals and batches of those kinds.
SCOPES: tuple[str, ...] = (*KINDS, "transfer", "reverse", "batch")
MAX_AMOUNT = 9223372036854775807

# The outcomes the model can predict: a new transaction, the stored receipt
# again, or a refusal named as in wallet.error_codes() (which are also the
# `code`s of the HTTP problem documents).
POSTED = "posted"
REPLAYED = "replayed"


@dataclass(frozen=True)
class Request:
    """What a posting asks for; the idempotency key travels beside it.

    A transfer names its receiver (`to_user_id`; `user_id` sends). A reversal
    names only the transaction it `reverses` and perhaps an amount (None: all
    that is left); its user and asset come from the original.
    """

    kind: Kind
    user_id: UUID | None
    asset: str | None
    amount: int | None
    metadata: dict[str, Any] = field(default_factory=dict)
    to_user_id: UUID | None = None
    reverses: UUID | None = None


@dataclass(frozen=True)
class Move:
    """A posting as it moves credits: which user is debited and credited (None: the
    treasury or revenue), how much, and the user its receipt names."""

    kind: Kind
    asset: str
    amount: int
    debited: UUID | None
    credited: UUID | None
    receipt_user: UUID
    # Change of the asset's issued total (treasury) and revenue.
    issued: int = 0
    revenue: int = 0
    reverses: UUID | None = None


@dataclass(frozen=True)
class Caller:
    """Who posts: a client (its id, token and limits), or a direct SQL call (no client_id).

    A client's idempotency keys are its own: the same key from two callers is two keys.
    """

    client_id: UUID | None = None
    token: str | None = None
    scopes: frozenset[str] = frozenset(SCOPES)
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
    # A transfer's receiver's balance after it (`balance` is the sender's).
    counterparty_balance: int | None = None


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
    # Every transaction of the run, as it moved credits, and how much of each is reversed.
    ledger: dict[UUID, Move] = field(default_factory=dict)
    reversed: dict[UUID, int] = field(default_factory=dict)

    def add_asset(self, code: str) -> None:
        self.issued[code] = 0
        self.revenue[code] = 0

    def balance(self, user_id: UUID, asset: str) -> int:
        return self.balances.get((user_id, asset), 0)

    def first_receipt(self, caller: Caller, key: str) -> Receipt:
        """The receipt of the transaction this caller's key produced."""
        return self.posted[(caller.client_id, key)][1]

    def move(self, request: Request) -> Move | Refusal:
        """How a posting would move credits, or why no move can be made of it (a reversal
        of an unknown transaction, of a reversal, or of more than is left)."""
        if request.kind != "reversal":
            assert request.user_id is not None
            assert request.asset is not None
            assert request.amount is not None
            user, asset, amount = request.user_id, request.asset, request.amount
            return {
                "topup": Move(request.kind, asset, amount, None, user, user, issued=amount),
                "bonus": Move(request.kind, asset, amount, None, user, user, issued=amount),
                "spend": Move(request.kind, asset, amount, user, None, user, revenue=amount),
                "transfer": Move(request.kind, asset, amount, user, request.to_user_id, user),
            }[request.kind]
        assert request.reverses is not None
        original = self.ledger.get(request.reverses)
        if original is None:
            return Refusal("transaction_not_found")
        if original.kind == "reversal":
            return Refusal("not_reversible")
        left = original.amount - self.reversed.get(request.reverses, 0)
        if left == 0 or (request.amount is not None and request.amount > left):
            return Refusal("reversal_exceeds_original")
        amount = left if request.amount is None else request.amount
        # The mirror of the original, between the same users; the receipt names the
        # user it debits, or else the one it credits.
        debited, credited = original.credited, original.debited
        return Move(
            "reversal",
            original.asset,
            amount,
            debited,
            credited,
            debited or original.receipt_user,
            issued=-amount if original.issued else 0,
            revenue=-amount if original.revenue else 0,
            reverses=request.reverses,
        )

    def allowed(self, caller: Caller, key: str, request: Request) -> frozenset[str]:
        """Every outcome the contract allows for this posting now (most often one).

        The checks run in the SQL API's documented order: the caller, the
        arguments, the key, (for a reversal, the original and the caller's rights
        in it), the asset, the users, the funds, the range: the users'
        balances, and the system wallet's total (the treasury's down to -2^63,
        so at most 2^63 issued; revenue up to 2^63 - 1), whichever of its 64
        slots it takes.
        """
        if caller.client_id in self.revoked:
            return frozenset({"unauthorized"})
        if not self._permits(caller, request.kind, request.asset, request.amount):
            return frozenset({"forbidden"})
        if request.kind == "transfer" and request.user_id == request.to_user_id:
            # Its catalogue name in SQL, its problem code over HTTP.
            return frozenset({"invalid_argument", "invalid_request"})
        if (caller.client_id, key) in self.posted:
            first = self.posted[(caller.client_id, key)][0]
            return frozenset({REPLAYED if first == request else "idempotency_key_reused"})
        move = self.move(request)
        if isinstance(move, Refusal):
            return frozenset({move.code})
        if not self._permits(caller, request.kind, move.asset, move.amount):
            return frozenset({"forbidden"})
        if move.asset in self.frozen:
            return frozenset({"asset_frozen"})
        if {move.debited, move.credited} & self.suspended:
            return frozenset({"user_suspended"})
        if move.debited is not None and self.balance(move.debited, move.asset) < move.amount:
            return frozenset({"insufficient_funds"})
        if (
            move.credited is not None
            and self.balance(move.credited, move.asset) + move.amount > MAX_AMOUNT
        ):
            return frozenset({"balance_out_of_range"})
        if (
            self.issued[move.asset] + move.issued > MAX_AMOUNT + 1
            or self.revenue[move.asset] + move.revenue > MAX_AMOUNT
        ):
            return frozenset({"balance_out_of_range"})
        return frozenset({POSTED})

    def batch_refusals(self, caller: Caller, http: bool) -> frozenset[str | None]:
        """How a batch may be refused whole before any posting of it is judged (None: it is
        not). The scope `batch` is the HTTP route's (as `read` is), and the route
        authenticates its caller first, from a token it may have checked a moment before
        the client was revoked: then each posting is refused on its own. The SQL function
        judges each posting on its own, the caller too."""
        if not http:
            return frozenset({None})
        if caller.client_id in self.revoked:
            return frozenset({"unauthorized", None})
        if "batch" not in caller.scopes:
            return frozenset({"forbidden"})
        return frozenset({None})

    @staticmethod
    def _permits(caller: Caller, kind: Kind, asset: str | None, amount: int | None) -> bool:
        """Whether the caller may post this kind, in this asset, this much (None: not known
        yet, as for a reversal before its original is read)."""
        return (
            ("reverse" if kind == "reversal" else kind) in caller.scopes
            and (caller.assets is None or asset is None or asset in caller.assets)
            and (caller.max_amount is None or amount is None or amount <= caller.max_amount)
        )

    def apply(self, caller: Caller, key: str, request: Request, receipt: Receipt) -> Move:
        """Record a posting that the system reported as a new transaction; return its move."""
        move = self.move(request)
        assert isinstance(move, Move), move
        if move.debited is not None:
            pair = (move.debited, move.asset)
            self.balances[pair] = self.balance(*pair) - move.amount
        if move.credited is not None:
            pair = (move.credited, move.asset)
            self.balances[pair] = self.balance(*pair) + move.amount
            self.wallets.add(pair)
        self.issued[move.asset] += move.issued
        self.revenue[move.asset] += move.revenue
        if move.reverses is not None:
            self.reversed[move.reverses] = self.reversed.get(move.reverses, 0) + move.amount
        self.ledger[receipt.transaction_id] = move
        self.posted[(caller.client_id, key)] = (request, receipt)
        self.transactions += 1
        return move
