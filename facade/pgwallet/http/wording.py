"""What each parameter and body field accepts, in words: the detail of every 400.

A validator reports `Expected str matching regex '^[1-9][0-9]{0,18}$' - at
$.amount`; a person (and the dashboard, which shows the detail) needs "amount
must be a whole number from 1 to 9223372036854775807, as a JSON integer or a
string of digits". `explain()` turns what a validator (Litestar's for paths,
query strings, headers and POST /v1/users, msgspec's for the postings, our
own) says about a field into one such sentence; ALLOWED is the one place where
each field's rule is said in words. A field it does not know keeps the
validator's message, prefixed by the field's name, rather than saying nothing.
"""

import re
from collections.abc import Iterable
from typing import get_args

from pgwallet.http.shapes import Kind
from pgwallet.rules import (
    BIGINT_MAX,
    EMAIL_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PAGE_LIMIT_MAX,
)

_UUID = "a UUID such as a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
_ASSET_CODE = "an asset code such as gold_coins (GET /v1/assets lists them)"
_EVENT_ID = f"an event_id, a whole number from 0 to {BIGINT_MAX}"

ALLOWED: dict[str, str] = {
    "limit": f"a whole number from 1 to {PAGE_LIMIT_MAX}",
    "after": _EVENT_ID,
    "Last-Event-ID": _EVENT_ID,
    "wait": "a whole number of seconds from 0 to 30",
    "cursor": "the next_cursor of the previous page of the same list",
    "q": "text of at most 200 characters",
    "asset": _ASSET_CODE,
    "code": _ASSET_CODE,
    "kind": "one of " + ", ".join(get_args(Kind)),
    "user_id": _UUID,
    "from_user_id": _UUID,
    "to_user_id": _UUID,
    "transaction_id": _UUID,
    "amount": f"a whole number from 1 to {BIGINT_MAX}, as a JSON integer or a string of "
    "digits (no sign, spaces, leading zeros, fraction or exponent)",
    "metadata": "a JSON object",
    "postings": "a JSON array of 1 to 1000 postings, each a JSON object",
    "name": f"1 to {NAME_MAX_LENGTH} characters that neither start nor end with a space",
    "email": f"an email address such as carol@example.com (at most {EMAIL_MAX_LENGTH} characters)",
    "Idempotency-Key": f"1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters",
}

# Parameters known to the validators by another name than the one a caller sends.
_SENT_AS = {"idempotency_key": "Idempotency-Key", "last_event_id": "Last-Event-ID"}

# msgspec's words (Litestar's body errors are msgspec's too).
_AT_FIELD = re.compile(r" - at `\$\.(\w+)")
_MISSING = re.compile(r"missing required field `(\w+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]*)`")
_NOT_AN_OBJECT = re.compile(r"^Expected `object`, got `(\w+)`$")
_BASE = re.compile(r"^[\w-]+")
# Our own checks (a struct's __post_init__, a type decoder) already name the field.
_OWN = re.compile(r"^(\w+) must be ")


def must_be(field: str) -> str:
    """ "<field> must be <what it accepts>"."""
    return f"{field} must be {ALLOWED[field]}"


def refused(field: str, sent: str | None = None) -> str:
    """The detail of a 400 for this field (sent as `sent`, when said)."""
    return must_be(field) + _sent(sent)


def _sent(value: str | None) -> str:
    if value is None:
        return ""
    shown = value if len(value) <= 40 else value[:40] + "..."
    return f", not {shown!r}"


def explain(
    field: str | None,
    message: str,
    *,
    sent: str | None = None,
    fields: Iterable[str] = (),
) -> str:
    """One sentence for a validator's `message` about `field` (None or "data": the body).

    `sent` is the value received, shown when it helps (a query or path
    parameter); `fields` are the body's fields, named when one is unknown.
    """
    if match := _MISSING.search(message):
        name = match[1]
        return f"{name} is missing: it must be {ALLOWED[name]}" if name in ALLOWED else message
    if match := _UNKNOWN.search(message):
        allowed = ", ".join(fields)
        return f"the body has an unknown field {match[1]!r}" + (
            f"; it takes {allowed}" if allowed else ""
        )
    if match := _AT_FIELD.search(message) or _OWN.match(message):
        field = match[1]
    elif field in (None, "data") and (match := _NOT_AN_OBJECT.match(message)):
        return (
            f"the body must be a JSON object, not {'an' if match[1] == 'array' else 'a'} {match[1]}"
        )
    if field and (base := _BASE.match(field)):
        field = base[0]  # `postings[0]`: the rule is the list's
    field = _SENT_AS.get(field or "", field)
    if field in ALLOWED:
        return refused(field, sent)
    if field in (None, "data"):
        return message
    return f"{field}: {message}"
