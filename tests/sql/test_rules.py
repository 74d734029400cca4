"""One rule, one place: the facade's copies of the database's rules equal the database's.

Each rule is written once in SQL (sql/20_rules.sql), kept as a CHECK
constraint in migrations/ (the backstop) and, where the HTTP layer refuses a
request before calling the database, in pgwallet/rules.py. These tests read
the rule back from the database itself, so a change in one place that is not
made in the others fails here.
"""

import re

import pytest

from pgwallet import rules
from pgwallet.http.paging import LIMIT_PATTERN
from tests.support import Conn, raises_sqlstate


def _constraint(conn: Conn, table: str, column_pattern: str) -> str:
    """The definition of the CHECK constraint of `ledger.<table>` that mentions the pattern."""
    rows = conn.execute(
        "select pg_get_constraintdef(k.oid) as definition from pg_constraint as k"
        " where k.conrelid = %s::regclass and k.contype = 'c'",
        [f"ledger.{table}"],
    ).fetchall()
    (definition,) = [r["definition"] for r in rows if column_pattern in r["definition"]]
    return str(definition)


def _function_source(conn: Conn, function: str) -> str:
    row = conn.execute("select prosrc from pg_proc where oid = %s::regproc", [function]).fetchone()
    assert row is not None
    return str(row["prosrc"])


def test_bigint_max_is_the_databases(conn: Conn) -> None:
    row = conn.execute("select wallet_internal.bigint_max() as max").fetchone()
    assert row == {"max": rules.BIGINT_MAX}


@pytest.mark.parametrize(
    ("pattern", "table", "function"),
    [
        (
            rules.IDEMPOTENCY_KEY_PATTERN,
            "idempotency_keys",
            "wallet_internal.idempotency_key_refusal",
        ),
        (rules.EMAIL_PATTERN, "users", "wallet_internal.checked_email"),
        (rules.ASSET_CODE_PATTERN, "assets", "wallet_internal.check_asset_code"),
    ],
)
def test_patterns_are_the_databases(conn: Conn, pattern: str, table: str, function: str) -> None:
    assert f"'{pattern}'" in _constraint(conn, table, pattern)
    assert f"'{pattern}'" in _function_source(conn, function)


@pytest.mark.parametrize(
    ("length", "table", "column", "function"),
    [
        (rules.NAME_MAX_LENGTH, "users", "name", "wallet_internal.check_name"),
        (rules.NAME_MAX_LENGTH, "assets", "name", "wallet_internal.check_name"),
        (rules.EMAIL_MAX_LENGTH, "users", "email", "wallet_internal.checked_email"),
        (
            rules.IDEMPOTENCY_KEY_MAX_LENGTH,
            "idempotency_keys",
            "key",
            "wallet_internal.idempotency_key_refusal",
        ),
    ],
)
def test_lengths_are_the_databases(
    conn: Conn, length: int, table: str, column: str, function: str
) -> None:
    assert f"(length({column}) <= {length})" in _constraint(conn, table, f"length({column})")
    assert re.search(rf"\b{length}\b", _function_source(conn, function))


def test_the_asset_code_length_follows_from_its_pattern() -> None:
    assert re.fullmatch(rules.ASSET_CODE_PATTERN, "a" * rules.ASSET_CODE_MAX_LENGTH)
    assert not re.fullmatch(rules.ASSET_CODE_PATTERN, "a" * (rules.ASSET_CODE_MAX_LENGTH + 1))


def test_the_page_limit_is_the_databases(conn: Conn) -> None:
    conn.execute("select wallet_internal.check_limit(%s)", [rules.PAGE_LIMIT_MAX])
    with raises_sqlstate("PW002"):
        conn.execute("select wallet_internal.check_limit(%s)", [rules.PAGE_LIMIT_MAX + 1])
    accepted = [
        n for n in range(0, rules.PAGE_LIMIT_MAX + 2) if re.fullmatch(LIMIT_PATTERN, str(n))
    ]
    assert accepted == list(range(1, rules.PAGE_LIMIT_MAX + 1))
