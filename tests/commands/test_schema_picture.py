"""The schema that `pgwallet migrate` builds equals its committed picture, tests/schema.txt.

The picture is the reviewable whole of the database interface in one file: the
schemas and tables with their grants, the ledger's columns, constraints,
indexes and triggers, the functions of `wallet` and `wallet_internal` with
their results, security, settings (a lost `search_path` shows) and grants,
and every comment. A change to migrations/ or sql/ that changes any of it
(a grant, a setting, a comment included) must change the picture in the same
commit, so a reviewer sees it. Regenerate it with:

    PGWALLET_UPDATE_SCHEMA_PICTURE=1 .venv/bin/pytest tests/commands/test_schema_picture.py

It is built from the catalogs rather than pg_dump, so it reads the same on
PostgreSQL 15 and 18.
"""

import os
from pathlib import Path

import psycopg

PICTURE = Path(__file__).resolve().parents[1] / "schema.txt"

SECTIONS = {
    "columns": """
        select format('%s.%s %s%s%s%s', c.table_name, c.column_name, c.data_type,
            case when c.is_nullable = 'NO' then ' not null' else '' end,
            case when c.is_identity = 'YES' then ' identity' else '' end,
            coalesce(' default ' || c.column_default, ' generated ' || c.generation_expression, ''))
        from information_schema.columns as c
        where c.table_schema = 'ledger'
        order by c.table_name, c.ordinal_position
    """,
    "constraints": """
        select format('%s %s %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
        from pg_constraint as k
        where k.connamespace = 'ledger'::regnamespace and k.contype in ('c', 'f', 'p', 'u', 'x')
        order by 1
    """,
    "indexes": """
        select pg_get_indexdef(i.indexrelid)
        from pg_index as i
        join pg_class as c on c.oid = i.indexrelid
        where c.relnamespace = 'ledger'::regnamespace
        order by 1
    """,
    "triggers": """
        select pg_get_triggerdef(t.oid)
        from pg_trigger as t
        join pg_class as c on c.oid = t.tgrelid
        where c.relnamespace = 'ledger'::regnamespace and not t.tgisinternal
        order by 1
    """,
    "schemas": """
        select format('%s%s', n.nspname, coalesce(' usage: ' || (
            select string_agg(r.rolname, ', ' order by r.rolname)
            from pg_roles as r
            where r.rolname in ('wallet_api', 'wallet_reader')
                and has_schema_privilege(r.oid, n.oid, 'usage')
        ), ''))
        from pg_namespace as n
        where n.nspname in ('ledger', 'wallet', 'wallet_internal')
        order by 1
    """,
    "table grants": """
        select format('%s %s: %s', c.relname, r.rolname,
            string_agg(p.privilege, ', ' order by p.privilege))
        from pg_class as c
        cross join pg_roles as r
        cross join unnest(array['select', 'insert', 'update', 'delete', 'truncate'])
            as p (privilege)
        where c.relnamespace = 'ledger'::regnamespace and c.relkind = 'r'
            and r.rolname in ('wallet_api', 'wallet_reader')
            and has_table_privilege(r.oid, c.oid, p.privilege)
        group by c.relname, r.rolname
        order by 1
    """,
    "functions": """
        select format('%s -> %s %s%s%s%s', p.oid::regprocedure, pg_get_function_result(p.oid),
            case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end,
            case when p.prosecdef then ' security definer' else '' end,
            coalesce(' set ' || array_to_string(p.proconfig, ', '), ''),
            coalesce(' execute: ' || (
                select string_agg(r.rolname, ', ' order by r.rolname)
                from pg_roles as r
                where r.rolname in ('wallet_api', 'wallet_reader')
                    and has_function_privilege(r.oid, p.oid, 'execute')
            ), ''))
        from pg_proc as p
        where p.pronamespace in ('wallet'::regnamespace, 'wallet_internal'::regnamespace)
        order by 1
    """,
    "types": """
        select format('%s.%s %s', t.typname, a.attname, format_type(a.atttypid, a.atttypmod))
        from pg_type as t
        join pg_attribute as a on a.attrelid = t.typrelid
        where t.typnamespace = 'wallet'::regnamespace and t.typtype = 'c' and a.attnum > 0
        order by t.typname, a.attnum
    """,
    # Each comment on one line; \n stands for its line breaks.
    "comments": """
        select format('%s %s: %s', d.kind, d.name, replace(d.comment, E'\n', '\n'))
        from (
            select 'schema' as kind, n.nspname as name,
                obj_description(n.oid, 'pg_namespace') as comment
            from pg_namespace as n
            where n.nspname in ('ledger', 'wallet', 'wallet_internal')
            union all
            select 'table', c.oid::regclass::text, obj_description(c.oid, 'pg_class')
            from pg_class as c
            where c.relnamespace = 'ledger'::regnamespace and c.relkind = 'r'
            union all
            select 'type', t.oid::regtype::text, obj_description(t.oid, 'pg_type')
            from pg_type as t
            where t.typnamespace = 'wallet'::regnamespace and t.typtype = 'c'
            union all
            select 'function', p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc')
            from pg_proc as p
            where p.pronamespace = 'wallet'::regnamespace
        ) as d
        where d.comment is not null
        order by d.kind, d.name
    """,
}


def schema_picture(conninfo: str) -> str:
    """The picture of a migrated database's schema, section by section."""
    lines: list[str] = []
    with psycopg.connect(conninfo) as conn:
        for section, query in SECTIONS.items():
            lines.append(f"-- {section}")
            lines.extend(str(row[0]) for row in conn.execute(query.encode()))
            lines.append("")
    return "\n".join(lines)


def test_migrations_build_the_committed_schema(db_url: str) -> None:
    picture = schema_picture(db_url)
    if os.environ.get("PGWALLET_UPDATE_SCHEMA_PICTURE"):
        PICTURE.write_text(picture)
    assert picture == PICTURE.read_text(), (
        "the schema differs from tests/schema.txt: if the change is meant, regenerate it "
        "(see this module's docstring) and commit it with the change"
    )
