"""Examples for the OpenAPI document: each route's success and each of its errors.

`responses(...)` gives a route's documented answers: the success with an
example body, and per error status a problem document example for every code
the route can answer with (503 `unavailable` on every route that reads the
database). The examples are built from the real shapes, so they cannot drift
from what the API sends.
"""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from pgwallet import shapes
from pgwallet.problems import PROBLEM_MEDIA_TYPE, UNAVAILABLE, Problem, ProblemKind

ALICE = UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
TRANSACTION = UUID("0b5cbd62-8f0a-4e57-9a57-0c8b3bd1a1f1")
AT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

USER = shapes.User(ALICE, "Alice", "alice@example.com", "active", AT)
ASSET = shapes.Asset("gold_coins", "Gold Coins", "", "active")
RECEIPT = shapes.Receipt(TRANSACTION, "spend", ALICE, "gold_coins", "50", "950", AT)
POSTING = shapes.PostingRequest(ALICE, "gold_coins", "50", {"order": "A-1001"})
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
)
HISTORY_ITEM = shapes.HistoryItem(
    7, TRANSACTION, "spend", "gold_coins", "debit", "50", "950", AT, {"order": "A-1001"}
)
NEXT = "ZW50cnk6Nw"  # an opaque cursor

# What each code's detail typically says (the real one names the ids involved).
_DETAILS = {
    "invalid_request": "amount (body): Expected `int` >= 1",
    "idempotency_key_missing": "A posting needs an Idempotency-Key header (1-255 printable ASCII).",
    "user_not_found": f"user {ALICE} not found",
    "asset_not_found": "asset 'gold_coin' not found",
    "transaction_not_found": f"transaction {TRANSACTION} not found",
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
    "unavailable": "The database is unreachable, busy or overloaded; retry later.",
}


def example(summary: str, value: Any) -> Example:
    """An OpenAPI example of a shape (or of plain JSON)."""
    return Example(summary=summary, value=msgspec.to_builtins(value))


def problem_example(kind: ProblemKind) -> Example:
    """The example problem document of one code."""
    document: Problem = kind.document(_DETAILS[kind.code])
    return example(kind.code, document)


def responses(
    status: int, success: msgspec.Struct, *errors: ProblemKind, database: bool = True
) -> dict[int, ResponseSpec]:
    """A route's documented answers: its success and its errors, each with examples."""
    kinds = [*errors, UNAVAILABLE] if database else list(errors)
    by_status: dict[int, list[ProblemKind]] = defaultdict(list)
    for kind in kinds:
        by_status[kind.status].append(kind)
    documented = {
        status: ResponseSpec(
            data_container=type(success),
            generate_examples=False,
            description="Success",
            examples=[example("success", success)],
        )
    }
    for error_status, group in sorted(by_status.items()):
        documented[error_status] = ResponseSpec(
            data_container=Problem,
            generate_examples=False,
            media_type=PROBLEM_MEDIA_TYPE,
            description=", ".join(f"`{kind.code}`" for kind in group),
            examples=[problem_example(kind) for kind in group],
        )
    return documented
