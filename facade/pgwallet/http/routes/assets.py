"""GET /v1/assets: every asset, active and frozen."""

import msgspec
from litestar import get

from pgwallet.http.database import ReadDb
from pgwallet.http.examples import ASSET
from pgwallet.http.openapi import guarded
from pgwallet.http.shapes import Asset, AssetList


@get("/v1/assets", **guarded("read", 200, AssetList([ASSET])))
async def list_assets(read_db: ReadDb) -> AssetList:
    """Every asset, by code."""
    rows = await read_db.rows("select code, name, description, status from wallet.list_assets()")
    return AssetList(msgspec.convert(rows, list[Asset]))


routes = [list_assets]
