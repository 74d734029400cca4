"""The small SQL helpers of the posting path are inlined where they are called.

A SQL-language function whose body is one expression (no FROM) is expanded by
the planner in place of its call, and PL/pgSQL keeps the expanded plan for the
session: the helper then costs what its expression costs. PostgreSQL does not
inline it when it has a SET clause (so the helpers take the search_path of
their caller, which the SECURITY DEFINER functions pin, see sql/00_schema.sql),
when it is declared IMMUTABLE but calls a STABLE function (format(), to_jsonb()
and jsonb_build_object() are STABLE), or when it is SECURITY DEFINER. Not
inlined, each call was set up and planned anew: 15-50 µs apiece, about half of
a topup (bench/README.md). This test finds any helper that would fall back.
"""

from psycopg import sql

from tests.support import Conn

# SQL functions of one SELECT without FROM, in the schemas the posting path calls.
ONE_EXPRESSION_HELPERS = """
    select p.oid, n.nspname as schema, p.proname as name,
        array(
            select pg_catalog.format_type(t, null) from unnest(p.proargtypes) as t
        ) as argument_types
    from pg_catalog.pg_proc as p
    join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
    join pg_catalog.pg_language as l on l.oid = p.prolang
    where n.nspname in ('wallet_internal', 'ledger')
        and l.lanname = 'sql'
        and not p.proretset
        and p.prosrc ~* '^\\s*select\\M'
        and p.prosrc !~* '\\mfrom\\M'
    order by p.proname
"""


def _is_inlined(conn: Conn, schema: str, name: str, argument_types: list[str]) -> bool:
    """Whether a call of the function, on arguments the planner cannot fold, is expanded."""
    arguments = [sql.Identifier(f"a{i}") for i in range(len(argument_types))]
    columns = sql.SQL(", ").join(
        sql.SQL("null::{} as {}").format(sql.SQL(type_), argument)
        for type_, argument in zip(argument_types, arguments, strict=True)
    )
    query = sql.SQL(
        "explain (verbose, costs off) select {}.{}({}) from (select {} offset 0) as x"
    ).format(
        sql.Identifier(schema),
        sql.Identifier(name),
        sql.SQL(", ").join(sql.SQL("x.{}").format(argument) for argument in arguments),
        columns if arguments else sql.SQL("1"),
    )
    plan = "\n".join(row["QUERY PLAN"] for row in conn.execute(query).fetchall())
    return f"{name}(" not in plan


def test_one_expression_helpers_are_inlined(conn: Conn) -> None:
    helpers = conn.execute(ONE_EXPRESSION_HELPERS).fetchall()
    assert len(helpers) > 20, "the query no longer finds the helpers"
    not_inlined = [
        f"{row['schema']}.{row['name']}"
        for row in helpers
        if not _is_inlined(conn, row["schema"], row["name"], row["argument_types"])
    ]
    assert not not_inlined, f"not inlined: {not_inlined}"
