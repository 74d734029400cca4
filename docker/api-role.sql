-- The facade's login role under docker compose: it can only become wallet_api
-- (EXECUTE on the API functions, nothing else), as the README's Roles section
-- recommends; `pgwallet migrate` has created wallet_api just before.
-- Run by the compose service `migrate`: psql -v password=... -f api-role.sql

select 'create role pgwallet_api login in role wallet_api'
where not exists (select from pg_catalog.pg_roles where rolname = 'pgwallet_api')
\gexec

select format('alter role pgwallet_api password %L', :'password')
\gexec
