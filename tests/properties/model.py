"""The model: what the ledger must hold, in plain Python.

Every test of the harness compares the real system with this. It knows the
contract's rules of a posting (who may post what, idempotency keys per
caller, frozen assets, suspended users, funds and holds, the bigint range)
and nothing of how the SQL implements them.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

Kind = Literal["topup", "bonus", "spend", "transfer", "reversal", "hold", "capture", "release"]
# The kinds between one user and a system wallet.
KINDS: tuple[Kind, ...] = ("topup", "bonus", "spend")
# What a client may be allowed: those kinds, transfers, reversals, batches of those kinds and
# holds.
SCOPES: tuple[str, ...] = (*KINDS, "transfer", "reverse", "batch", "hold")
# The scope a kind needs, where it is not the kind's own name.
_SCOPE_OF = {"reversal": "reverse", "capture": "hold", "release": "hold"}
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
    that is left); its user and asset come from the original. A hold lasts
    `expires_in` seconds; a capture or a release names only its `hold_id` (and
    a capture perhaps an amount: None is the whole hold).
    """

    kind: Kind
    user_id: UUID | None
    asset: str | None
    amount: int | None
    metadata: dict[str, Any] = field(default_factory=dict)
    to_user_id: UUID | None = None
    reverses: UUID | None = None
    expires_in: int | None = None
    hold_id: UUID | None = None


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
class HoldAnswer:
    """The answer to a hold or a release (a hold as the API shows it), whichever driver."""

    hold_id: UUID
    user_id: UUID
    asset: str
    amount: int
    captured_amount: int | None
    status: str
    expires_at: datetime
    created_at: datetime
    replayed: bool


@dataclass
class ModelHold:
    """A hold as the model knows it; `status` is held, captured or released (expiry is time's)."""

    user_id: UUID
    asset: str
    amount: int
    expires_at: datetime
    status: str = "held"
    captured_amount: int | None = None


@dataclass(frozen=True)
class Refusal:
    """A refused posting: the catalogue name of its error, e.g. insufficient_funds."""

    code: str


Answer = Receipt | HoldAnswer
Outcome = Answer | Refusal


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
    # Keys that produced a transaction, a hold or a release, per caller's namespace: their
    # request and first answer.
    posted: dict[tuple[UUID | None, str], tuple[Request, Answer]] = field(default_factory=dict)
    revoked: set[UUID] = field(default_factory=set)
    transactions: int = 0
    # Every transaction of the run, as it moved credits, and how much of each is reversed.
    ledger: dict[UUID, Move] = field(default_factory=dict)
    reversed: dict[UUID, int] = field(default_factory=dict)
    holds: dict[UUID, ModelHold] = field(default_factory=dict)
    # The database's clock at the current step: a hold whose expires_at is not after it
    # has expired. (The machine never lets a hold expire while a step runs.)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add_asset(self, code: str) -> None:
        self.issued[code] = 0
        self.revenue[code] = 0

    def balance(self, user_id: UUID, asset: str) -> int:
        return self.balances.get((user_id, asset), 0)

    def held(self, user_id: UUID, asset: str) -> int:
        """What the user's active holds (held, not expired) reserve in the asset."""
        return sum(
            h.amount
            for h in self.holds.values()
            if (h.user_id, h.asset) == (user_id, asset) and self.active(h)
        )

    def available(self, user_id: UUID, asset: str) -> int:
        return self.balance(user_id, asset) - self.held(user_id, asset)

    def active(self, hold: ModelHold) -> bool:
        return hold.status == "held" and hold.expires_at > self.now

    def shown_status(self, hold: ModelHold) -> str:
        return "expired" if hold.status == "held" and not self.active(hold) else hold.status

    def first_answer(self, caller: Caller, key: str) -> Answer:
        """The answer (receipt or hold) of what this caller's key produced."""
        return self.posted[(caller.client_id, key)][1]

    def _same(self, first: Request, request: Request) -> bool:
        """Whether two requests have one fingerprint: a capture of the whole hold is one
        whether its amount is given or not."""
        if first.kind == request.kind == "capture" and first.hold_id == request.hold_id:
            whole = self.holds[request.hold_id].amount if request.hold_id in self.holds else None
            return (first.amount or whole, first.metadata) == (
                request.amount or whole,
                request.metadata,
            )
        return first == request

    def move(self, request: Request) -> Move | Refusal:
        """How a posting would move credits, or why no move can be made of it (a reversal
        of an unknown transaction, of a reversal, or of more than is left)."""
        if request.kind == "capture":
            assert request.hold_id is not None
            hold = self.holds[request.hold_id]
            amount = hold.amount if request.amount is None else request.amount
            user = hold.user_id
            return Move("spend", hold.asset, amount, user, None, user, revenue=amount)
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
        hold = None
        if request.kind in ("capture", "release"):
            assert request.hold_id is not None
            hold = self.holds.get(request.hold_id)
            if hold is None:
                # SQL looks the hold up first; HTTP authenticates the caller first.
                revoked = caller.client_id in self.revoked
                return frozenset({"hold_not_found", *(["unauthorized"] if revoked else [])})
        if caller.client_id in self.revoked:
            return frozenset({"unauthorized"})
        asset, amount = request.asset, request.amount
        if hold is not None:
            asset = hold.asset
            amount = None if request.kind == "release" else request.amount or hold.amount
        if not self._permits(caller, request.kind, asset, amount):
            return frozenset({"forbidden"})
        if request.kind == "transfer" and request.user_id == request.to_user_id:
            # Its catalogue name in SQL, its problem code over HTTP.
            return frozenset({"invalid_argument", "invalid_request"})
        if (caller.client_id, key) in self.posted:
            first = self.posted[(caller.client_id, key)][0]
            same = self._same(first, request)
            return frozenset({REPLAYED if same else "idempotency_key_reused"})
        if request.kind in ("hold", "release"):
            return self._hold_allowed(request, hold)
        move = self.move(request)
        if isinstance(move, Refusal):
            return frozenset({move.code})
        if not self._permits(caller, request.kind, move.asset, move.amount):
            return frozenset({"forbidden"})
        if move.asset in self.frozen:
            return frozenset({"asset_frozen"})
        if {move.debited, move.credited} & self.suspended:
            return frozenset({"user_suspended"})
        if hold is not None:
            # A capture takes what its hold reserved, while it is held, up to all of it.
            if not self.active(hold):
                return frozenset({"hold_not_active"})
            if move.amount > hold.amount:
                return frozenset({"capture_exceeds_hold"})
        elif move.debited is not None and self.available(move.debited, move.asset) < move.amount:
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
        scoped: str | None = None if "batch" in caller.scopes else "forbidden"
        if caller.client_id in self.revoked:
            # Refused as revoked, or, while the token is still trusted, judged as before.
            return frozenset({"unauthorized", scoped})
        return frozenset({scoped})

    def _hold_allowed(self, request: Request, hold: ModelHold | None) -> frozenset[str]:
        """The outcome of a hold (what is available) or a release (a hold still held), past
        the caller and the key."""
        if hold is None:
            assert request.user_id is not None
            assert request.asset is not None
            assert request.amount is not None
            user, asset = request.user_id, request.asset
        else:
            user, asset = hold.user_id, hold.asset
        if asset in self.frozen:
            return frozenset({"asset_frozen"})
        if user in self.suspended:
            return frozenset({"user_suspended"})
        if hold is not None and not self.active(hold):
            return frozenset({"hold_not_active"})
        if hold is None and self.available(user, asset) < (request.amount or 0):
            return frozenset({"insufficient_funds"})
        return frozenset({POSTED})

    @staticmethod
    def _permits(caller: Caller, kind: Kind, asset: str | None, amount: int | None) -> bool:
        """Whether the caller may post this kind, in this asset, this much (None: not known
        yet, as for a reversal before its original is read)."""
        return (
            _SCOPE_OF.get(kind, kind) in caller.scopes
            and (caller.assets is None or asset is None or asset in caller.assets)
            and (caller.max_amount is None or amount is None or amount <= caller.max_amount)
        )

    def apply_hold(self, caller: Caller, key: str, request: Request, answer: HoldAnswer) -> None:
        """Record a hold or a release that the system reported as done anew."""
        if request.kind == "hold":
            assert request.user_id is not None
            assert request.asset is not None
            assert request.amount is not None
            self.holds[answer.hold_id] = ModelHold(
                request.user_id, request.asset, request.amount, answer.expires_at
            )
        else:
            assert request.hold_id is not None
            self.holds[request.hold_id].status = "released"
        self.posted[(caller.client_id, key)] = (request, answer)

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
        if request.kind == "capture":
            assert request.hold_id is not None
            hold = self.holds[request.hold_id]
            hold.status, hold.captured_amount = "captured", move.amount
        self.ledger[receipt.transaction_id] = move
        self.posted[(caller.client_id, key)] = (request, receipt)
        self.transactions += 1
        return move
