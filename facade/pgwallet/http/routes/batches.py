"""POST /v1/transactions/batch: up to 1000 postings in one call and one commit.

Each posting carries its own Idempotency-Key in the body and gets its own
answer, in order: the status and receipt, or the status and problem
document, it would have had as a single posting. The batch itself is refused
whole only when it is malformed (400), its caller may not post batches
(401/403), or the database gives up on it (a lock wait: 409 or 503), and then
nothing of it was posted.
"""

from typing import Annotated, Any

import msgspec
from litestar import post
from litestar.params import Body
from psycopg.types.json import Jsonb

from pgwallet.http import examples, metrics
from pgwallet.http.auth import Caller
from pgwallet.http.database import Db
from pgwallet.http.openapi import guarded
from pgwallet.http.problems import (
    IDEMPOTENCY_KEY_IN_PROGRESS,
    INVALID_REQUEST,
    Problem,
    from_refusal,
)
from pgwallet.http.shapes import BatchRequest, Receipt
from pgwallet.http.wording import refused


class BatchResult(msgspec.Struct, omit_defaults=True):
    """One posting's answer: 201 with `replayed` and the `receipt` (posted, or its key's
    receipt replayed), or the status and `problem` it would have had alone."""

    status: int
    replayed: bool | None = None
    receipt: Receipt | None = None
    problem: Problem | None = None


class BatchResults(msgspec.Struct):
    results: list[BatchResult]


_BATCH = (
    "select item, ok, transaction_id, kind, user_id, asset, amount::text as amount,"
    " balance::text as balance, created_at, replayed, encode(hash, 'hex') as hash,"
    " error_code, error_message, error_hint"
    " from wallet.post_batch(%s, %s)"
)


def _result(row: dict[str, Any]) -> BatchResult:
    if row["ok"]:
        return BatchResult(201, replayed=row["replayed"], receipt=msgspec.convert(row, Receipt))
    problem = from_refusal(row["error_code"], row["error_message"], row["error_hint"])
    if problem is None:  # every refusal of a posting is in the catalogue
        raise RuntimeError(f"post_batch refused item {row['item']} with {row['error_code']}")
    return BatchResult(
        problem.kind.status, problem=problem.kind.document(problem.detail, problem.hint)
    )


@post(
    "/v1/transactions/batch",
    operation_id="post_batch",
    status_code=200,
    **guarded(
        "batch",
        200,
        BatchResults(
            [
                BatchResult(201, replayed=False, receipt=examples.RECEIPT),
                BatchResult(422, problem=examples.problem_document("insufficient_funds")),
            ]
        ),
        INVALID_REQUEST,
        IDEMPOTENCY_KEY_IN_PROGRESS,
        invalid=refused("postings"),
    ),
)
async def post_batch(
    db: Db,
    client: Caller,
    data: Annotated[
        BatchRequest, Body(examples=[examples.example("two postings", examples.BATCH)])
    ],
) -> BatchResults:
    """Post up to 1000 topups, bonuses and spends in one call and one commit.

    Each posting has its own `idempotency_key` and its own answer, in order; a later
    posting sees an earlier one's effect; a key repeated in the batch replays its first
    posting. The client needs the scope `batch` and each posting's kind."""
    rows = await db.rows(_BATCH, [Jsonb(data.postings), client.client_id])
    results = [_result(row) for row in rows]
    for row, result in zip(rows, results, strict=True):
        metrics.count_posting(
            row["kind"] or "unknown",
            result.problem.code if result.problem else "replayed" if row["replayed"] else "posted",
        )
    return BatchResults(results)


routes = [post_batch]
