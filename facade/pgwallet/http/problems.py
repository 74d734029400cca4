"""Every error the API answers, as an RFC 9457 problem document; the one SQLSTATE -> HTTP map.

Paths are logged with repr(), so a caller cannot forge a log line with an encoded newline.

A handler never builds an error response itself: it raises (or lets the
database raise), and the exception handlers below turn what was raised into
`application/problem+json` with `type`, `title`, `status`, `detail` and the
contract's stable `code`. `SQLSTATE_PROBLEMS` mirrors the SQL catalogue
`wallet.error_codes()` row for row (a test checks it); any other database
failure is either the client's malformed data (class 22, 400), the database
being unreachable, busy or overloaded (503 with Retry-After), or a bug (500).
"""

import logging
from dataclasses import dataclass
from typing import Any

import msgspec
import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException

from pgwallet.db import schema
from pgwallet.http import wording

logger = logging.getLogger(__name__)

AnyRequest = Request[Any, Any, Any]

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:pgwallet:problem:"


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem document, with the contract's stable `code`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    hint: str | None = None


@dataclass(frozen=True)
class ProblemKind:
    """One kind of error: its HTTP status, stable code and title."""

    status: int
    code: str
    title: str
    retry_after: bool = False  # the answer says when to retry
    headers: tuple[tuple[str, str], ...] = ()  # sent with every answer of this kind

    def document(self, detail: str, hint: str | None = None) -> Problem:
        """The problem document of one occurrence."""
        return Problem(TYPE_PREFIX + self.code, self.title, self.status, detail, self.code, hint)


INVALID_REQUEST = ProblemKind(400, "invalid_request", "Invalid request")
IDEMPOTENCY_KEY_MISSING = ProblemKind(400, "idempotency_key_missing", "Idempotency-Key missing")
NOT_FOUND = ProblemKind(404, "not_found", "Not found")
METHOD_NOT_ALLOWED = ProblemKind(405, "method_not_allowed", "Method not allowed")
UNSUPPORTED_MEDIA_TYPE = ProblemKind(415, "unsupported_media_type", "Unsupported media type")
USER_NOT_FOUND = ProblemKind(404, "user_not_found", "User not found")
ASSET_NOT_FOUND = ProblemKind(404, "asset_not_found", "Asset not found")
TRANSACTION_NOT_FOUND = ProblemKind(404, "transaction_not_found", "Transaction not found")
HOLD_NOT_FOUND = ProblemKind(404, "hold_not_found", "Hold not found")
HOLD_NOT_ACTIVE = ProblemKind(409, "hold_not_active", "Hold not active")
CAPTURE_EXCEEDS_HOLD = ProblemKind(422, "capture_exceeds_hold", "Capture exceeds hold")
IDEMPOTENCY_KEY_REUSED = ProblemKind(409, "idempotency_key_reused", "Idempotency-Key reused")
IDEMPOTENCY_KEY_IN_PROGRESS = ProblemKind(
    409, "idempotency_key_in_progress", "Idempotency-Key in progress", retry_after=True
)
ASSET_FROZEN = ProblemKind(409, "asset_frozen", "Asset frozen")
USER_SUSPENDED = ProblemKind(409, "user_suspended", "User suspended")
EMAIL_TAKEN = ProblemKind(409, "email_taken", "Email taken")
ASSET_CODE_TAKEN = ProblemKind(409, "asset_code_taken", "Asset code taken")
USER_ID_TAKEN = ProblemKind(409, "user_id_taken", "User id taken")
UNAUTHORIZED = ProblemKind(
    401, "unauthorized", "Unauthorized", headers=(("WWW-Authenticate", "Bearer"),)
)
FORBIDDEN = ProblemKind(403, "forbidden", "Forbidden")
CLIENT_NOT_FOUND = ProblemKind(404, "client_not_found", "Client not found")
CLIENT_NAME_TAKEN = ProblemKind(409, "client_name_taken", "Client name taken")
INSUFFICIENT_FUNDS = ProblemKind(422, "insufficient_funds", "Insufficient funds")
BALANCE_OUT_OF_RANGE = ProblemKind(422, "balance_out_of_range", "Balance out of range")
REVERSAL_EXCEEDS_ORIGINAL = ProblemKind(
    422, "reversal_exceeds_original", "Reversal exceeds original"
)
NOT_REVERSIBLE = ProblemKind(409, "not_reversible", "Not reversible")
UNAVAILABLE = ProblemKind(503, "unavailable", "Service unavailable", retry_after=True)
INTERNAL_ERROR = ProblemKind(500, "internal_error", "Internal error")

# wallet.error_codes(), row for row. The ledger-guard errors (PW06x) cannot be
# caused by a request: the API never updates the ledger by hand, so one of them
# reaching a handler is a bug, and a bug is a 500.
SQLSTATE_PROBLEMS: dict[str, ProblemKind] = {
    "PW001": INVALID_REQUEST,  # invalid_amount
    "PW002": INVALID_REQUEST,  # invalid_argument
    "PW003": INVALID_REQUEST,  # invalid_idempotency_key
    "PW004": INTERNAL_ERROR,  # read_committed_required: the facade's sessions are, so a bug
    "PW010": USER_NOT_FOUND,
    "PW011": ASSET_NOT_FOUND,
    "PW012": TRANSACTION_NOT_FOUND,
    "PW013": HOLD_NOT_FOUND,
    "PW020": INSUFFICIENT_FUNDS,
    "PW021": BALANCE_OUT_OF_RANGE,
    "PW022": REVERSAL_EXCEEDS_ORIGINAL,
    "PW023": NOT_REVERSIBLE,
    "PW024": CAPTURE_EXCEEDS_HOLD,
    "PW025": HOLD_NOT_ACTIVE,
    "PW030": IDEMPOTENCY_KEY_REUSED,
    "PW031": IDEMPOTENCY_KEY_IN_PROGRESS,
    "PW032": UNAVAILABLE,  # wallet_busy: a lock wait exceeded lock_timeout
    "PW040": ASSET_FROZEN,
    "PW041": USER_SUSPENDED,
    "PW050": EMAIL_TAKEN,
    "PW051": ASSET_CODE_TAKEN,
    "PW052": USER_ID_TAKEN,
    "PW060": INTERNAL_ERROR,  # ledger_append_only
    "PW061": INTERNAL_ERROR,  # balance_not_posted
    "PW062": INTERNAL_ERROR,  # ledger_unbalanced
    "PW070": UNAUTHORIZED,
    "PW071": FORBIDDEN,
    # Operators' tools, which no route calls; mapped all the same.
    "PW072": CLIENT_NOT_FOUND,
    "PW073": CLIENT_NAME_TAKEN,
    "PW900": INTERNAL_ERROR,  # exact_total_needed: caught inside wallet_internal.post
}

# The SQL hints that speak of SQL functions, in the words of the HTTP API (None: no
# hint over HTTP). Any other hint that names a `wallet.` function is dropped too.
HTTP_HINTS: dict[str, str | None] = {
    "PW011": "GET /v1/assets lists the assets.",  # asset_not_found
    "PW040": "An operator can make the asset active again.",  # asset_frozen
    "PW041": "An operator can make the user active again.",  # user_suspended
    "PW072": None,  # client_not_found: operators' tools, no route
}


def http_hint(sqlstate: str | None, sql_hint: str | None) -> str | None:
    """The hint of a database error as the HTTP API gives it."""
    if sqlstate in HTTP_HINTS:
        return HTTP_HINTS[sqlstate]
    return None if sql_hint is None or "wallet." in sql_hint else sql_hint


_UNAVAILABLE_DETAIL = "The database is unreachable, busy or overloaded; retry later."
NOT_JSON_DETAIL = "The body is not valid JSON."
_NUL_DETAIL = "Text may not contain the NUL character (\\u0000), in any field."
_NOT_MIGRATED_DETAIL = "The database is not migrated to this version of pgwallet yet."


class ProblemError(Exception):
    """Raised by the facade's own checks; answered as the problem it names."""

    def __init__(self, kind: ProblemKind, detail: str, hint: str | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.hint = hint


def from_refusal(sqlstate: str, message: str, hint: str | None) -> ProblemError | None:
    """The problem of a refusal of the catalogue (raised, or a batch posting's), if it is one."""
    if (kind := SQLSTATE_PROBLEMS.get(sqlstate)) is None:
        return None
    if kind is INTERNAL_ERROR:
        return ProblemError(kind, "The request could not be completed.")
    return ProblemError(kind, message, http_hint(sqlstate, hint))


def from_database_error(error: psycopg.Error) -> ProblemError:
    """The problem a database error means for the client."""
    primary = error.diag.message_primary or str(error)
    if (
        refused := from_refusal(error.sqlstate or "", primary, error.diag.message_hint)
    ) is not None:
        return refused
    if isinstance(error, schema.ABSENT):
        # A function or schema of the API is missing: the database is not
        # migrated to this version (the readiness probe says so too).
        logger.error("database error %s: %s", error.sqlstate, schema.NOT_MIGRATED)
        return ProblemError(UNAVAILABLE, _NOT_MIGRATED_DETAIL)
    if isinstance(error, psycopg.DataError):
        # Class 22 or text psycopg cannot send: data the client sent that the
        # facade let through (a NUL character, an unsupported unicode escape).
        if error.sqlstate is None and "NUL" in primary:
            return ProblemError(INVALID_REQUEST, _NUL_DETAIL)
        return ProblemError(INVALID_REQUEST, primary)
    if isinstance(error, psycopg.OperationalError):
        # Connection lost or refused, pool exhausted (PoolTimeout), lock or
        # statement timeout, too many connections, shutdown, deadlock or
        # serialization failure (already retried once).
        return ProblemError(UNAVAILABLE, _UNAVAILABLE_DETAIL)
    return ProblemError(INTERNAL_ERROR, "The request could not be completed.")


def _answer(request: AnyRequest, problem: ProblemError) -> Response[Problem]:
    """The problem as a response; with Retry-After (from the settings) when its kind says when."""
    headers = dict(problem.kind.headers)
    if problem.kind.retry_after:
        headers["Retry-After"] = str(request.app.state.settings.retry_after_seconds)
    return Response(
        problem.kind.document(problem.detail, problem.hint),
        status_code=problem.kind.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def handle_problem(request: AnyRequest, exc: ProblemError) -> Response[Problem]:
    """A problem raised by the facade."""
    return _answer(request, exc)


def handle_database_error(request: AnyRequest, exc: psycopg.Error) -> Response[Problem]:
    """A database error, through SQLSTATE_PROBLEMS."""
    problem = from_database_error(exc)
    if problem.kind is INTERNAL_ERROR:
        logger.error("database error %s on %r", exc.sqlstate, request.url.path, exc_info=exc)
    return _answer(request, problem)


def _sent(request: AnyRequest, source: str, key: str) -> str | None:
    """The raw value a parameter was sent with, if it came in the path or query string."""
    if source == "query":
        return request.query_params.get(key)
    if source == "path":
        value = request.path_params.get(key)
        return None if value is None else str(value)
    return None


def _body_fields(request: AnyRequest) -> list[str]:
    """The fields of the route's body, if it takes a struct (to name them on an unknown one)."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    annotation = getattr(data, "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return [field.name for field in msgspec.structs.fields(annotation)]
    return []


def _validation_detail(request: AnyRequest, exc: ValidationException) -> str:
    """What was wrong and what is allowed, in words, for each field Litestar refused."""
    errors = exc.extra if isinstance(exc.extra, list) else []
    reasons = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        key = str(error.get("key") or "data")
        source = str(getattr(error.get("source"), "value", error.get("source") or "body"))
        reasons.append(
            wording.explain(
                key,
                str(error.get("message")),
                sent=_sent(request, source, key),
                fields=_body_fields(request),
            )
        )
    return "; ".join(reasons) or "The request is malformed."


def handle_http_exception(request: AnyRequest, exc: HTTPException) -> Response[Problem]:
    """Litestar's own errors: validation, unknown route, method not allowed, body too large."""
    if isinstance(exc, ValidationException):
        problem = ProblemError(INVALID_REQUEST, _validation_detail(request, exc))
    elif exc.status_code == 404:
        problem = ProblemError(NOT_FOUND, f"No route {request.url.path}.")
    elif exc.status_code == 405:
        problem = ProblemError(
            METHOD_NOT_ALLOWED, f"{request.method} is not allowed on {request.url.path}."
        )
    elif isinstance(exc.__cause__, SerializationException):
        problem = ProblemError(INVALID_REQUEST, NOT_JSON_DETAIL)
    elif exc.status_code < 500:
        kind = ProblemKind(exc.status_code, INVALID_REQUEST.code, INVALID_REQUEST.title)
        problem = ProblemError(kind, exc.detail)
    else:
        logger.error("HTTP %s on %r", exc.status_code, request.url.path, exc_info=exc)
        problem = ProblemError(INTERNAL_ERROR, "The request could not be completed.")
    response = _answer(request, problem)
    if exc.headers:
        response.headers.update(exc.headers)  # e.g. Allow on 405
    return response


def handle_unexpected(request: AnyRequest, exc: Exception) -> Response[Problem]:
    """A bug: logged with its traceback, answered as a bare 500 problem."""
    logger.error("unhandled error on %s %r", request.method, request.url.path, exc_info=exc)
    return _answer(request, ProblemError(INTERNAL_ERROR, "The request could not be completed."))


exception_handlers = {
    ProblemError: handle_problem,
    psycopg.Error: handle_database_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
