"""The route handlers, one module per resource; `ROUTES` is every one of them."""

from typing import cast

from litestar.types import ControllerRouterHandler

from pgwallet.http.routes import (
    assets,
    batches,
    dashboard,
    events,
    health,
    holds,
    postings,
    transactions,
    users,
)

ROUTES: list[ControllerRouterHandler] = [
    *health.routes,
    *assets.routes,
    *users.routes,
    *transactions.routes,
    *postings.routes,
    *batches.routes,
    *events.routes,
    *holds.routes,
    # The dashboard's list mixes handlers and a router: typed loosely.
    *cast("list[ControllerRouterHandler]", dashboard.routes),
]
