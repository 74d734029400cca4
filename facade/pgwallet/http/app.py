"""The HTTP facade (Litestar): each route calls one `wallet.*` function.

`create_app()` is the factory uvicorn calls in each worker (`pgwallet serve`):
settings from the environment, the pool opened in the lifespan, one family of
exception handlers that answers every error as a problem document, and the
OpenAPI document at /schema/openapi.json.
"""

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging.config import LoggingConfig

from pgwallet import logs
from pgwallet.http import (
    access_log,
    auth,
    bodies,
    coalescing,
    feed,
    gate,
    metrics,
    openapi,
    openapi_finish,
    paging,
    schema_page,
)
from pgwallet.http.database import lifespan, provide_database, provide_read_database
from pgwallet.http.problems import exception_handlers
from pgwallet.http.routes import ROUTES
from pgwallet.http.settings import Settings


def _logging(settings: Settings) -> LoggingConfig:
    return LoggingConfig(
        root={"level": settings.log_level, "handlers": ["queue_listener"]},
        # One JSON object per line (pgwallet.logs), under Litestar's formatter name.
        formatters={"standard": logs.FORMATTER},
        # The problem handlers log what deserves it (a 500), once.
        log_exceptions="never",
    )


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application; its settings come from the environment unless given."""
    settings = settings or Settings.from_env()
    app = Litestar(
        route_handlers=[*ROUTES, metrics.metrics],
        dependencies={
            "db": Provide(provide_database, sync_to_thread=False),
            "read_db": Provide(provide_read_database, sync_to_thread=False),
            "client": Provide(auth.provide_client, sync_to_thread=False),
            "poster": Provide(coalescing.provide_poster, sync_to_thread=False),
        },
        guards=[auth.authorize, bodies.check_json_body, paging.refuse_null, paging.refuse_unknown],
        request_max_body_size=bodies.REQUEST_MAX_BODY_BYTES,
        # After the pools: these use them.
        lifespan=[lifespan, coalescing.lifespan, feed.lifespan, metrics.lifespan],
        state=State(
            {"settings": settings, "authenticator": auth.Authenticator(settings.auth_cache_seconds)}
        ),
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        openapi_config=openapi.config(schema_page.SwaggerPage(), schema_page.router()),
        plugins=[openapi.FieldSchemas()],
        type_decoders=[(paging.is_query_integer, paging.decode_query_integer)],
        logging_config=_logging(settings),
    )
    openapi_finish.finish(app)
    gate.install(app, settings.allowed_hosts)
    metrics.install(app)
    access_log.install(app)  # outermost: it logs the gate's refusals too
    return app
