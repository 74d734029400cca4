"""Assets: every asset, and one asset at a glance.

GET /v1/assets lists every asset, active and frozen; GET
/v1/assets/{code}/summary adds up one asset (wallet.asset_summary).
"""

from typing import Annotated

import msgspec
from litestar import get
from litestar.params import PathParameter

from pgwallet.http.database import ReadDb
from pgwallet.http.examples import ASSET
from pgwallet.http.openapi import guarded
from pgwallet.http.problems import ASSET_NOT_FOUND, INVALID_REQUEST
from pgwallet.http.shapes import Asset, AssetList
from pgwallet.http.wording import refused
from pgwallet.rules import ASSET_CODE_MAX_LENGTH


@get("/v1/assets", **guarded("read", 200, AssetList([ASSET])))
async def list_assets(read_db: ReadDb) -> AssetList:
    """Every asset, by code."""
    rows = await read_db.rows("select code, name, description, status from wallet.list_assets()")
    return AssetList(msgspec.convert(rows, list[Asset]))


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
    **guarded(
        "read",
        200,
        SUMMARY,
        INVALID_REQUEST,
        ASSET_NOT_FOUND,
        invalid=refused("code", "gold_coins_" * 6),
    ),
)
async def get_asset_summary(
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


routes = [list_assets, get_asset_summary]
