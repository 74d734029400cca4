"""GET /v1/assets/{code}/summary: one asset at a glance (wallet.asset_summary)."""

from typing import Annotated

import msgspec
from litestar import get
from litestar.params import PathParameter

from pgwallet.http.database import ReadDb
from pgwallet.http.openapi import guarded
from pgwallet.http.problems import ASSET_NOT_FOUND, INVALID_REQUEST
from pgwallet.rules import ASSET_CODE_MAX_LENGTH


class AssetSummary(msgspec.Struct):
    """Amounts as strings; `verified`: the checks of verify() for this asset hold."""

    asset: str
    issued: str  # minus the treasury
    revenue: str
    in_circulation: str  # the sum of user balances
    held: str  # reserved by holds
    holders: int  # users with a balance above 0
    verified: bool
    verify_detail: str


SUMMARY = AssetSummary(
    "gold_coins",
    "1500",
    "250",
    "1250",
    "0",
    2,
    True,
    "its balances sum to 0, none is below 0, each equals its entries",
)


@get(
    "/v1/assets/{code:str}/summary",
    **guarded("read", 200, SUMMARY, INVALID_REQUEST, ASSET_NOT_FOUND),
)
async def asset_summary(
    read_db: ReadDb,
    code: Annotated[str, PathParameter(max_length=ASSET_CODE_MAX_LENGTH)],
) -> AssetSummary:
    """Issued, revenue, in circulation, held, holders and the verdict of verify()'s checks
    for the asset. It reads the whole asset's ledger: for an overview, not every request."""
    row = await read_db.row(
        "select asset, issued::text as issued, revenue::text as revenue,"
        " in_circulation::text as in_circulation, held::text as held, holders, verified,"
        " verify_detail from wallet.asset_summary(%s)",
        [code],
    )
    return msgspec.convert(row, AssetSummary)


routes = [asset_summary]
