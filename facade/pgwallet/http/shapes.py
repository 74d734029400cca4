"""The JSON shapes of the API (contract section 4), as msgspec structs.

Amounts leave as strings (a bigint does not fit a JavaScript number) and come
in as a digit string or a JSON integer, 1 .. 9223372036854775807. The SQL
casts amounts to text itself, so a row converts to its shape as it is.
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from pgwallet.rules import (
    AMOUNT_PATTERN,
    ASSET_CODE_MAX_LENGTH,
    BIGINT_MAX,
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    HOLD_SECONDS_DEFAULT,
    HOLD_SECONDS_MAX,
    HOLD_SECONDS_MIN,
    NAME_MAX_LENGTH,
    NAME_PATTERN,
)

Amount = (
    Annotated[int, msgspec.Meta(ge=1, le=BIGINT_MAX, description="a whole number, 1 .. 2^63-1")]
    | Annotated[
        str, msgspec.Meta(pattern=AMOUNT_PATTERN, description="digits, 1 .. 9223372036854775807")
    ]
)
AssetCode = Annotated[str, msgspec.Meta(min_length=1, max_length=ASSET_CODE_MAX_LENGTH)]
Kind = Literal["topup", "bonus", "spend", "reversal", "transfer"]
PostingKind = Literal["topup", "bonus", "spend"]  # the kinds of one user and a system wallet


def _check_amount(amount: int | str | None) -> None:
    """What the Amount annotation cannot say: digits only, at most the bigint maximum."""
    if amount is None:
        return
    # The pattern's `$` also matches before a final newline: "1\n" is no amount.
    if isinstance(amount, str) and not amount.isdigit():
        raise ValueError("amount must be digits only")
    # The pattern bounds a string amount to 19 digits, not to the bigint maximum.
    if int(amount) > BIGINT_MAX:
        raise ValueError(f"amount must be at most {BIGINT_MAX}")


class PostingRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The body of a topup, bonus or spend."""

    user_id: UUID
    asset: AssetCode
    amount: Amount
    metadata: dict[str, Any] = {}

    def __post_init__(self) -> None:
        _check_amount(self.amount)


class TransferRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The body of a transfer: credits from one user to another."""

    from_user_id: UUID
    to_user_id: UUID
    asset: AssetCode
    amount: Amount
    metadata: dict[str, Any] = {}

    def __post_init__(self) -> None:
        _check_amount(self.amount)


class ReversalRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The body of a reversal: how much to undo (absent: all that is left)."""

    amount: Amount | None = None
    metadata: dict[str, Any] = {}

    def __post_init__(self) -> None:
        _check_amount(self.amount)


class HoldRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The body of POST /v1/holds: reserve `amount` of a user for `expires_in_seconds`."""

    user_id: UUID
    asset: AssetCode
    amount: Amount
    expires_in_seconds: Annotated[
        int,
        msgspec.Meta(
            ge=HOLD_SECONDS_MIN,
            le=HOLD_SECONDS_MAX,
            description="How long the hold reserves the credits: 1 second to 30 days.",
        ),
    ] = HOLD_SECONDS_DEFAULT
    metadata: dict[str, Any] = {}

    def __post_init__(self) -> None:
        _check_amount(self.amount)


class CaptureRequest(ReversalRequest, forbid_unknown_fields=True):
    """The body of POST /v1/holds/{hold_id}/capture: how much to spend of the hold (absent:
    all of it), as a reversal's."""


class ReleaseRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The body of POST /v1/holds/{hold_id}/release, if any: nothing, or `{}`."""


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    """The body of POST /v1/users."""

    name: Annotated[
        str, msgspec.Meta(min_length=1, max_length=NAME_MAX_LENGTH, pattern=NAME_PATTERN)
    ]
    email: Annotated[
        str, msgspec.Meta(min_length=3, max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN)
    ]


class Receipt(msgspec.Struct):
    """The answer to a posting; `balance` is the user's right after it, `hash` (hex) the
    user's entry's place in its wallet's hash chain: keep it to prove the posting later
    (null only on a replay of a posting made before the chain existed)."""

    transaction_id: UUID
    kind: Kind
    user_id: UUID
    asset: str
    amount: str
    balance: str
    created_at: datetime
    hash: str | None


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The body of POST /v1/transactions/batch: 1 to 1000 postings, each an object
    {"kind", "user_id", "asset", "amount", "idempotency_key", "metadata"?}. Each posting
    is judged on its own (a malformed one is refused alone), so they are not checked here."""

    postings: Annotated[list[dict[str, Any]], msgspec.Meta(min_length=1, max_length=1000)]


class TransferReceipt(msgspec.Struct):
    """The answer to a transfer: both users' balances right after it, and their entries'
    hashes (hex)."""

    transaction_id: UUID
    kind: Literal["transfer"]
    from_user_id: UUID
    to_user_id: UUID
    asset: str
    amount: str
    from_balance: str
    to_balance: str
    created_at: datetime
    from_hash: str
    to_hash: str


class User(msgspec.Struct):
    id: UUID
    name: str
    email: str
    status: Literal["active", "suspended"]
    created_at: datetime


class UserPage(msgspec.Struct):
    items: list[User]
    next_cursor: str | None


class Asset(msgspec.Struct):
    code: str
    name: str
    description: str
    status: Literal["active", "frozen"]


class AssetList(msgspec.Struct):
    items: list[Asset]


class Balance(msgspec.Struct):
    """A balance, what the user's active holds reserve of it, and what is left to take."""

    asset: str
    balance: str
    held: str
    available: str


class Balances(msgspec.Struct):
    user_id: UUID
    balances: list[Balance]


class AssetBalance(msgspec.Struct):
    user_id: UUID
    asset: str
    balance: str
    held: str
    available: str


class Hold(msgspec.Struct):
    """A hold; `status` is `expired` once past `expires_at` while still held."""

    hold_id: UUID
    user_id: UUID
    asset: str
    amount: str
    captured_amount: str | None
    status: Literal["held", "captured", "released", "expired"]
    expires_at: datetime
    created_at: datetime


class HoldList(msgspec.Struct):
    items: list[Hold]


class HistoryItem(msgspec.Struct):
    """One entry of a user's history."""

    entry_id: int
    transaction_id: UUID
    kind: Kind
    asset: str
    direction: Literal["credit", "debit"]
    amount: str
    balance_after: str
    created_at: datetime
    metadata: dict[str, Any]
    counterparty_user_id: UUID | None  # the other user of a transfer or its reversal
    reverses: UUID | None  # for a reversal, the transaction it undoes
    reversed_amount: str  # how much of this transaction has been reversed so far


class HistoryPage(msgspec.Struct):
    items: list[HistoryItem]
    next_cursor: str | None


class Entry(msgspec.Struct):
    """One of a transaction's two entries; `balance_after` is null for system wallets."""

    entry_id: int
    holder: Literal["user", "treasury", "revenue"]
    direction: Literal["credit", "debit"]
    amount: str
    balance_after: str | None


class ClientRef(msgspec.Struct):
    """The client that posted a transaction."""

    id: UUID
    name: str


class Transaction(msgspec.Struct):
    """A transaction with its entries; who posted it: a `client`, or else the `sql_user`
    of a direct SQL call (both null for transactions posted before clients existed).
    `counterparty_user_id`: a transfer's receiver (`user_id` is the sender); for a
    transfer's reversal the original sender (`user_id` the original receiver)."""

    transaction_id: UUID
    kind: Kind
    user_id: UUID
    asset: str
    amount: str
    created_at: datetime
    metadata: dict[str, Any]
    entries: list[Entry]
    client: ClientRef | None
    sql_user: str | None
    counterparty_user_id: UUID | None
    reverses: UUID | None  # for a reversal, the transaction it undoes
    reversed_amount: str  # how much of this one has been reversed so far


class TransactionPage(msgspec.Struct):
    items: list[Transaction]
    next_cursor: str | None


class Status(msgspec.Struct):
    status: str
