"""Logs that log shippers parse: one JSON object per line, on stderr.

Every line, uvicorn's own included (`pgwallet serve` hands uvicorn
`config()`), is `{"time", "level", "logger", "message", ...}`
plus the fields the caller gave in `extra`: the access log's request_id,
client, method, path, route, status and duration_ms
(pgwallet.http.access_log). python-json-logger writes them.
"""

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FORMATTER: dict[str, Any] = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}


def formatter() -> logging.Formatter:
    """The formatter of FORMATTER, built."""
    return JsonFormatter(FORMATTER["fmt"], rename_fields=FORMATTER["rename_fields"])


def config(level: str) -> dict[str, Any]:
    """The logging of a pgwallet process (a dictConfig; uvicorn.run's `log_config`):
    the root and uvicorn's loggers write JSON lines to stderr.

    In `pgwallet serve` the app's own loggers are then set up by Litestar in
    each worker (pgwallet.http.app), with the same formatter.
    """
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": FORMATTER},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }
