"""The database's rules that the facade checks again at the door, in one place.

The rules live in SQL (`sql/20_rules.sql`, with the CHECK constraints of
`migrations/` as a backstop); the HTTP layer repeats the few it needs so that
a malformed request is refused with a 400 that names the field before any
database call. tests/sql/test_rules.py compares each value here with the
database's own, so the two cannot drift apart.
"""

# The largest amount and balance, bigint's maximum (wallet_internal.bigint_max()).
BIGINT_MAX = 2**63 - 1
# An amount sent as a string: digits without sign, spaces or leading zeros (the
# HTTP form only; the SQL API takes a bigint). Bounded to BIGINT_MAX separately.
AMOUNT_PATTERN = "^[1-9][0-9]{0,18}$"

# wallet_internal.check_idempotency_key and the key's CHECK constraint: the
# characters and the length apart (a bounded repetition is slow in PostgreSQL).
IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]+$"
IDEMPOTENCY_KEY_MAX_LENGTH = 255

# wallet_internal.check_name: 1 to 200 characters, trimmed. The facade also
# refuses leading or trailing white space of any kind, not only spaces.
NAME_MAX_LENGTH = 200
NAME_PATTERN = r"^\S(.*\S)?$"

# wallet_internal.check_email.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"
EMAIL_MAX_LENGTH = 320

# wallet_internal.check_asset_code: a slug of 2 to 63 characters.
ASSET_CODE_PATTERN = "^[a-z][a-z0-9_]{1,62}$"
ASSET_CODE_MAX_LENGTH = 63

# wallet_internal.check_limit: a page holds 1 to 500 rows.
PAGE_LIMIT_MAX = 500

# wallet_internal.check_hold_duration: a hold lasts 1 second to 30 days (the
# HTTP form takes whole seconds, expires_in_seconds; default 15 minutes, as
# wallet.hold's expires_in).
HOLD_SECONDS_MIN = 1
HOLD_SECONDS_MAX = 30 * 24 * 3600
HOLD_SECONDS_DEFAULT = 15 * 60
