-- 0004_clients: the callers of the HTTP API, and who made each transaction.
--
-- * ledger.clients: a calling service (or a person at the dashboard) with a
--   bearer token, kept only as its sha256, and what it may do: its scopes,
--   optionally some assets and a largest amount per posting.
-- * Idempotency keys are per client: their primary key becomes
--   (namespace, key), where the namespace is the client's id, or the nil uuid
--   for direct SQL callers. Every existing key moves into that SQL namespace.
-- * A transaction records its client, or for a direct SQL call (or a row
--   written by hand) the session_user. Transactions posted before this migration recorded neither;
--   the constraint holds for every new one (NOT VALID: existing rows are not
--   checked, and they are append-only, so they cannot be filled in).
-- depends: 0003_config_without_updated_at

create table ledger.clients (
    id uuid primary key default gen_random_uuid(),
    name text not null unique check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    scopes text[] not null check (
        scopes <@ array['read', 'users', 'topup', 'bonus', 'spend', 'reverse', 'transfer', 'hold', 'batch']
    ),
    -- The assets the client may post in; null: every asset.
    assets text[],
    -- The largest amount of one posting; null: no limit.
    max_amount bigint check (max_amount > 0),
    -- sha256 of the token: enough for a random 256-bit secret (see
    -- sql/32_clients.sql); the token itself is shown once and never stored.
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

comment on table ledger.clients is
'Callers of the HTTP API: a bearer token (only its sha256), scopes, optional assets and max_amount. '
'A revoked client (revoked_at set) is refused everything.';

alter table ledger.idempotency_keys
add column namespace uuid not null default '00000000-0000-0000-0000-000000000000';

alter table ledger.idempotency_keys
alter column namespace drop default,
drop constraint idempotency_keys_pkey,
add primary key (namespace, key);

-- No foreign key to ledger.clients, on purpose: every posting would take a
-- KEY SHARE lock on its client's row, and one busy client's postings would
-- share that lock through a MultiXact each. The posting functions read the
-- client before they write its id (wallet_internal.authorize).
alter table ledger.transactions
add column client_id uuid,
add column sql_user text;

-- Set after the column exists, so that rows posted before stay null rather
-- than name whoever ran this migration. A row written by hand records its
-- writer too.
alter table ledger.transactions
alter column sql_user set default session_user;

alter table ledger.transactions
add constraint transactions_accountable
check ((client_id is null) <> (sql_user is null)) not valid;
