-- 0008_holds: holds reserve a user's credits now, to be captured or released
-- later (contract section 8).
--
-- * ledger.holds: one row per hold. Its status is 'held' until it is captured
--   or released; a hold past expires_at simply stops reserving (it reads as
--   'expired', see sql/37_holds.sql): expiry needs no job and no write, so
--   'expired' is never stored. Every change to a hold is made under its
--   user's row lock (THE LOCK ORDER, sql/27_locking.sql).
-- * holds_active_idx keeps finished holds out of every read of what is held:
--   it has only the rows with status 'held', ordered by expires_at within a
--   user, so a user's "held and not yet expired" holds, in every asset, are
--   one range scan that reads no captured or released hold and no expired
--   one, however many the user has. (Expired rows stay in the index, below
--   the range: nothing rewrites them.)
-- * A capture is a spend whose transaction names its hold (hold_id, covered by
--   the hash chain from now on, absent on older rows), at most one per hold.
-- * A hold or a release produces no transaction: its idempotency key names
--   the hold instead (hold_id), and stores the hold as its receipt.
-- depends: 0007_reversals_transfers

create table ledger.holds (
    id uuid primary key default gen_random_uuid(),
    -- No foreign key to ledger.assets, as for transactions: every hold would
    -- take a KEY SHARE lock on its asset's row. The functions check the asset.
    user_id uuid not null references ledger.users (id),
    asset text not null,
    amount bigint not null check (amount > 0),
    -- What a capture spent (the rest was released); null unless captured.
    captured_amount bigint check (captured_amount > 0 and captured_amount <= amount),
    status text not null default 'held' check (status in ('held', 'captured', 'released')),
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    -- When it was captured or released; null while held.
    finished_at timestamptz,
    metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
    idempotency_key text not null,
    client_id uuid,
    sql_user text,
    constraint holds_captured_amount check ((status = 'captured') = (captured_amount is not null)),
    constraint holds_finished_at check ((status = 'held') = (finished_at is null)),
    constraint holds_expire_after_creation check (expires_at > created_at),
    constraint holds_accountable check ((client_id is null) <> (sql_user is null))
);

create index holds_active_idx on ledger.holds (user_id, expires_at)
include (asset, amount) where status = 'held';

comment on table ledger.holds is
'Reservations of a user''s credits: held until captured (a spend), released, or past expires_at '
'(then they read as expired and reserve nothing). Changed only under the user''s row lock.';

alter table ledger.transactions
add column hold_id uuid references ledger.holds (id);

create unique index transactions_hold_id_key on ledger.transactions (hold_id)
where hold_id is not null;

alter table ledger.idempotency_keys
add column hold_id uuid references ledger.holds (id),
alter column transaction_id drop not null,
add constraint idempotency_keys_names_its_result check (transaction_id is not null or hold_id is not null);

-- The canonical content of a transaction (format of migration 0005), with
-- the hold a capture spends: absent when null, so older rows keep their form.
create or replace function ledger.transaction_content(t ledger.transactions)
returns bytea
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.convert_to((
        pg_catalog.jsonb_build_object(
            'id', t.id,
            'seq', t.seq,
            'kind', t.kind,
            'asset', t.asset,
            'user_id', t.user_id,
            'amount', t.amount,
            'metadata', t.metadata,
            'idempotency_key', t.idempotency_key,
            'created_at', extract(epoch from t.created_at)
        )
        || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'client_id', t.client_id,
            'sql_user', t.sql_user,
            'reverses', t.reverses,
            'counterparty_user_id', t.counterparty_user_id,
            'hold_id', t.hold_id
        ))
    )::text, 'UTF8');
$$;
