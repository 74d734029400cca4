-- Which version of pgwallet migrated this database, for the facade's readiness
-- (/health/ready answers 503 until the database is migrated to the facade's
-- own version) and for the commands, which refuse a database that is not.

create function wallet.schema_version()
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select o.checksum from ledger.sql_objects as o
$$;

comment on function wallet.schema_version() is
$$The sha256 of the sql/ and migrations/ files that `pgwallet migrate` last applied
(null before it finished once): a facade or a command of another version sees
that the database is not migrated to its own.$$;
