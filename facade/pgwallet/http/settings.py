"""The HTTP app's settings, read once from the environment.

Configuration comes only from environment variables, so that `make run`, a
uvicorn worker and a container are set up the same way. `HOST`, `PORT` and
`WORKERS` are read by `pgwallet serve` itself (see pgwallet.cli); everything
the app needs at run time is here, with its default.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(ValueError):
    """An environment variable is missing or malformed: the app refuses to start."""


def _number(environ: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


@dataclass(frozen=True)
class Settings:
    """What the app needs to run; `Settings.from_env()` documents the variables."""

    database_url: str
    # A replica for the reads that may be a little stale (lists, history,
    # balances for display); None: every read goes to DATABASE_URL.
    database_read_url: str | None = None
    pool_min_size: int = 1
    pool_max_size: int = 10
    # How long a request waits for a free pooled connection before it is 503.
    pool_timeout_seconds: float = 5.0
    # How long a posting waits for a row lock (a busy wallet, a duplicate still
    # running) before the SQL API reports PW031/PW032, answered 409/503.
    lock_timeout_ms: int = 3000
    statement_timeout_ms: int = 10000
    # The Retry-After of 409 in-progress and 503 answers.
    retry_after_seconds: int = 1
    log_level: str = "INFO"
    # The hosts served (the Host header's name, without port); "*" for any.
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    # How long a worker trusts a token it has authenticated: a revocation
    # reaches reads within this time (postings are checked at once, in SQL).
    auth_cache_seconds: float = 4.0
    # Coalescing (pgwallet.http.coalescing): single topups, bonuses and spends
    # of one client that arrive within the window go to the database as one
    # wallet.post_batch, once `coalesce_min_postings` are waiting (fewer go
    # alone, as soon as the window ends) and at most `coalesce_max_postings`.
    coalesce_postings: bool = True
    coalesce_window_ms: float = 2.0
    coalesce_min_postings: int = 2
    coalesce_max_postings: int = 100

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Read DATABASE_URL, DATABASE_READ_URL, POOL_MIN_SIZE, POOL_MAX_SIZE,
        POOL_TIMEOUT_SECONDS, LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS, RETRY_AFTER_SECONDS, LOG_LEVEL,
        ALLOWED_HOSTS (comma-separated), AUTH_CACHE_SECONDS (0 to 5), COALESCE_POSTINGS
        (on or off), COALESCE_WINDOW_MS, COALESCE_MIN_POSTINGS and COALESCE_MAX_POSTINGS
        (at most 1000)."""
        database_url = environ.get("DATABASE_URL")
        if not database_url:
            raise SettingsError(
                "DATABASE_URL is not set (`pgwallet serve` sets it for its workers)"
            )
        pool_min_size = int(_number(environ, "POOL_MIN_SIZE", cls.pool_min_size, minimum=1))
        pool_max_size = int(_number(environ, "POOL_MAX_SIZE", cls.pool_max_size, minimum=1))
        if pool_max_size < pool_min_size:
            raise SettingsError(f"POOL_MAX_SIZE={pool_max_size} is below POOL_MIN_SIZE")
        log_level = environ.get("LOG_LEVEL", cls.log_level).upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise SettingsError(f"LOG_LEVEL={log_level!r} is not a logging level")
        allowed_hosts = tuple(
            host.strip() for host in environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()
        )
        auth_cache_seconds = _number(
            environ, "AUTH_CACHE_SECONDS", cls.auth_cache_seconds, minimum=0
        )
        if auth_cache_seconds > 5:
            raise SettingsError(
                "AUTH_CACHE_SECONDS must be at most 5: revocations reach reads by then"
            )
        coalesce = environ.get("COALESCE_POSTINGS", "on").strip().lower()
        if coalesce not in {"on", "off", "1", "0", "true", "false"}:
            raise SettingsError(f"COALESCE_POSTINGS={coalesce!r} is not on or off")
        coalesce_max = int(
            _number(environ, "COALESCE_MAX_POSTINGS", cls.coalesce_max_postings, minimum=1)
        )
        if coalesce_max > 1000:
            raise SettingsError("COALESCE_MAX_POSTINGS must be at most 1000, a batch's most")
        return cls(
            database_url=database_url,
            database_read_url=environ.get("DATABASE_READ_URL") or None,
            pool_min_size=pool_min_size,
            pool_max_size=pool_max_size,
            pool_timeout_seconds=_number(
                environ, "POOL_TIMEOUT_SECONDS", cls.pool_timeout_seconds, minimum=0.1
            ),
            lock_timeout_ms=int(
                _number(environ, "LOCK_TIMEOUT_MS", cls.lock_timeout_ms, minimum=1)
            ),
            statement_timeout_ms=int(
                _number(environ, "STATEMENT_TIMEOUT_MS", cls.statement_timeout_ms, minimum=1)
            ),
            retry_after_seconds=int(
                _number(environ, "RETRY_AFTER_SECONDS", cls.retry_after_seconds, minimum=1)
            ),
            log_level=log_level,
            allowed_hosts=allowed_hosts or cls.allowed_hosts,
            auth_cache_seconds=auth_cache_seconds,
            coalesce_postings=coalesce in {"on", "1", "true"},
            coalesce_window_ms=_number(
                environ, "COALESCE_WINDOW_MS", cls.coalesce_window_ms, minimum=0
            ),
            coalesce_min_postings=int(
                _number(environ, "COALESCE_MIN_POSTINGS", cls.coalesce_min_postings, minimum=1)
            ),
            coalesce_max_postings=coalesce_max,
        )
