"""Example values for the OpenAPI document: bodies, answers and problem documents.

They are built from the real shapes, so they cannot drift from what the API
sends; `pgwallet.http.openapi.responses()` puts them on each route.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar.openapi.spec import Example

from pgwallet.http import shapes
from pgwallet.http.problems import SQLSTATE_PROBLEMS, Problem, ProblemKind

ALICE = UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
TRANSACTION = UUID("0b5cbd62-8f0a-4e57-9a57-0c8b3bd1a1f1")
HOLD_ID = UUID("3c9d1e7a-52b4-4f0e-8d2a-6b1f0e9c4a77")
AT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

USER = shapes.User(ALICE, "Alice", "alice@example.com", "active", AT)
ASSET = shapes.Asset("gold_coins", "Gold Coins", "", "active")
RECEIPT = shapes.Receipt(
    TRANSACTION,
    "spend",
    ALICE,
    "gold_coins",
    "50",
    "950",
    AT,
    "5d1c7f0e9a2b4c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
)
BOB = UUID("6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b")
TRANSFER_RECEIPT = shapes.TransferReceipt(
    TRANSACTION,
    "transfer",
    ALICE,
    BOB,
    "gold_coins",
    "25",
    "925",
    "125",
    AT,
    "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
)
POSTING = shapes.PostingRequest(ALICE, "gold_coins", "50", {"order": "A-1001"})
TRANSFER = shapes.TransferRequest(ALICE, BOB, "gold_coins", "25", {"note": "happy birthday"})
REVERSAL = shapes.ReversalRequest("20", {"reason": "item not delivered"})
BATCH = shapes.BatchRequest(
    [
        {
            "kind": "topup",
            "user_id": str(ALICE),
            "asset": "gold_coins",
            "amount": "500",
            "idempotency_key": "order-A-1001",
        },
        {
            "kind": "spend",
            "user_id": str(BOB),
            "asset": "gold_coins",
            "amount": 50,
            "idempotency_key": "order-B-77",
            "metadata": {"item": "sword"},
        },
    ]
)
NEW_HOLD = shapes.HoldRequest(ALICE, "gold_coins", "50", 600, {"order": "A-1002"})
HOLD = shapes.Hold(
    HOLD_ID, ALICE, "gold_coins", "50", None, "held", datetime(2025, 1, 2, 3, 14, 5, tzinfo=UTC), AT
)
CAPTURE = shapes.CaptureRequest("30", {"delivered": "A-1002"})
NEW_USER = shapes.NewUser("Carol", "carol@example.com")
TRANSACTION_WITH_ENTRIES = shapes.Transaction(
    TRANSACTION,
    "spend",
    ALICE,
    "gold_coins",
    "50",
    AT,
    {"order": "A-1001"},
    [
        shapes.Entry(7, "user", "debit", "50", "950"),
        shapes.Entry(8, "revenue", "credit", "50", None),
    ],
    shapes.ClientRef(UUID("5e1f0c1a-3b7d-4c2e-9f60-2d8a41b7c9e3"), "shop"),
    None,
    None,
    None,
    "20",
)
HISTORY_ITEM = shapes.HistoryItem(
    7,
    TRANSACTION,
    "spend",
    "gold_coins",
    "debit",
    "50",
    "950",
    AT,
    {"order": "A-1001"},
    None,
    None,
    "20",
)
NEXT = "ZW50cnk6Nw"  # an opaque cursor

# What each code's detail typically says (the real one names the ids involved).
_DETAILS = {
    "invalid_request": "The request is malformed.",
    "idempotency_key_missing": "A posting needs an Idempotency-Key header (1-255 printable ASCII).",
    "unauthorized": "This route needs a token: Authorization: Bearer <token>.",
    "forbidden": "client 'shop' lacks the scope 'bonus'",
    "user_not_found": f"user {ALICE} not found",
    "asset_not_found": "asset 'gold_coin' not found",
    "transaction_not_found": f"transaction {TRANSACTION} not found",
    "hold_not_found": f"hold {HOLD_ID} not found",
    "hold_not_active": f"hold {HOLD_ID} is captured",
    "capture_exceeds_hold": f"capture of 60 exceeds hold {HOLD_ID} of 50",
    "idempotency_key_reused": (
        "idempotency key 'order-77' was already used with a different request"
    ),
    "idempotency_key_in_progress": (
        "idempotency key 'order-77' is still being processed by another request"
    ),
    "asset_frozen": "asset 'gold_coins' is frozen",
    "user_suspended": f"user {ALICE} is suspended",
    "email_taken": "email 'alice@example.com' is already taken",
    "insufficient_funds": (
        f"insufficient funds: user {ALICE} has 40 gold_coins, the spend needs 50"
    ),
    "balance_out_of_range": "balance out of range: the treasury of 'gold_coins' cannot issue more",
    "reversal_exceeds_original": (
        f"a reversal of 40 exceeds what is left of transaction {TRANSACTION}: 30 of its 50"
    ),
    "not_reversible": f"transaction {TRANSACTION} is a reversal: a reversal cannot be reversed",
    "unavailable": "The database is unreachable, busy or overloaded; retry later.",
}


def example(summary: str, value: Any) -> Example:
    """An OpenAPI example of a shape (or of plain JSON)."""
    return Example(summary=summary, value=msgspec.to_builtins(value))


def problem_document(code: str) -> Problem:
    """The example problem document of one code."""
    kind = next(kind for kind in SQLSTATE_PROBLEMS.values() if kind.code == code)
    return kind.document(_DETAILS[code])


def problem_example(kind: ProblemKind, detail: str | None = None) -> Example:
    """The example problem document of one code (with this detail, else a typical one)."""
    document: Problem = kind.document(detail or _DETAILS[kind.code])
    return example(kind.code, document)
