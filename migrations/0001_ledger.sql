-- 0001_ledger: the ledger's tables, constraints and indexes.
--
-- Tables live in the private schema `ledger`; the public interface is the
-- functions of schema `wallet` (sql/), which the API role may execute while it
-- may not touch these tables. Functions, triggers, views and grants are not
-- here: `pgwallet migrate` re-creates them from sql/ after every yoyo run.
-- depends:
-- Released, so never reformatted: its continuation lines keep the indent
-- that sqlfluff's layout rule LT02 (on for newer files) would remove.
-- sqlfluff:exclude_rules:RF04,LT02

create schema ledger;

comment on schema ledger is
    'Private tables of the pgwallet ledger. Not an interface: use the functions of schema wallet.';

-- Settings a DBA may tune, one row.
create table ledger.config (
    id boolean primary key default true check (id),
    idempotency_retention interval not null default interval '7 days'
        check (idempotency_retention > interval '0'),
    updated_at timestamptz not null default now()
);

insert into ledger.config default values;

comment on table ledger.config is
    'Tunable settings, one row. idempotency_retention: how long a used idempotency key is kept '
    '(and refused with a different request) before it may be reused.';

create table ledger.assets (
    code text primary key check (code ~ '^[a-z][a-z0-9_]{1,62}$'),
    name text not null check (name = btrim(name) and length(name) between 1 and 200),
    description text not null default '' check (length(description) <= 2000),
    status text not null default 'active' check (status in ('active', 'frozen')),
    created_at timestamptz not null default now()
);

comment on table ledger.assets is
    'Kinds of virtual credit. A frozen asset refuses every posting; its balances stay readable.';

create table ledger.users (
    id uuid primary key,
    name text not null check (name = btrim(name) and length(name) between 1 and 200),
    email text not null check (email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 320),
    status text not null default 'active' check (status in ('active', 'suspended')),
    created_at timestamptz not null default now()
);

create unique index users_email_key on ledger.users (lower(email));
create index users_created_at_id_idx on ledger.users (created_at, id);

comment on table ledger.users is
    'Account holders. Email is unique regardless of case. A suspended user is refused every posting.';

-- A wallet row holds one balance. A user has one row per asset (slot 0). Each
-- system wallet (the treasury and the revenue wallet of an asset) is spread over
-- 64 rows, its slots, so that concurrent postings do not queue on one row lock;
-- its balance is the sum of its slots (see wallet._lock_for_posting).
create table ledger.wallets (
    id bigint generated always as identity primary key,
    asset text not null references ledger.assets (code),
    holder text not null check (holder in ('user', 'treasury', 'revenue')),
    user_id uuid references ledger.users (id),
    slot smallint not null default 0 check (slot between 0 and 63),
    balance bigint not null default 0,
    -- The entry that produced `balance` (null until the first one). A trigger
    -- lets `balance` change only together with this, to the next entry of the
    -- wallet, whose amount is the change: the balance is a cache of the ledger.
    last_entry_id bigint,
    created_at timestamptz not null default now(),
    constraint wallets_user_id_iff_user check ((holder = 'user') = (user_id is not null)),
    constraint wallets_user_one_slot check (holder <> 'user' or slot = 0),
    -- Invariant 1: a user wallet is never negative; only the issuer goes below 0.
    constraint wallets_only_treasury_negative check (holder = 'treasury' or balance >= 0),
    constraint wallets_treasury_not_positive check (holder <> 'treasury' or balance <= 0),
    constraint wallets_key unique nulls not distinct (user_id, asset, holder, slot)
);

comment on table ledger.wallets is
    'Balances, one row per user and asset, and 64 slot rows per system wallet (treasury, revenue) '
    'and asset. Each balance is a cache of the entries of its row; it changes only by a posting.';

create table ledger.transactions (
    id uuid primary key default gen_random_uuid(),
    -- Order of creation, for keyset pagination (uuids are random).
    seq bigint generated always as identity unique,
    kind text not null check (kind in ('topup', 'bonus', 'spend')),
    -- No foreign key to ledger.assets on purpose: every posting would take a
    -- KEY SHARE lock on the one row of its asset, a hot spot. The entries'
    -- wallets reference the asset, and a deferred trigger checks they agree.
    asset text not null,
    user_id uuid not null references ledger.users (id),
    amount bigint not null check (amount > 0),
    metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
    idempotency_key text not null,
    created_at timestamptz not null default now()
);

create index transactions_user_id_seq_idx on ledger.transactions (user_id, seq);
create index transactions_idempotency_key_idx on ledger.transactions (idempotency_key);

comment on table ledger.transactions is
    'Postings (topup, bonus, spend), append-only. Each has exactly two entries that balance. '
    'idempotency_key is kept forever for audit; the key table expires.';

create table ledger.entries (
    id bigint generated always as identity primary key,
    transaction_id uuid not null references ledger.transactions (id),
    wallet_id bigint not null references ledger.wallets (id),
    -- Credit > 0, debit < 0; never the bigint minimum, so that -amount exists.
    amount bigint not null check (amount <> 0 and amount > -9223372036854775807 - 1),
    -- The balance of the wallet row right after this entry.
    balance_after bigint not null
);

create index entries_wallet_id_id_idx on ledger.entries (wallet_id, id);
create index entries_transaction_id_idx on ledger.entries (transaction_id);

comment on table ledger.entries is
    'Ledger entries, append-only: two per transaction, one debit and one credit of the same amount.';

create table ledger.idempotency_keys (
    key text primary key check (key ~ '^[\x20-\x7e]{1,255}$'),
    -- sha256 of the request (kind, user, asset, amount, metadata).
    fingerprint bytea not null,
    -- Both set in the same transaction that claimed the key: a committed key
    -- always has its transaction and receipt.
    transaction_id uuid references ledger.transactions (id),
    receipt jsonb,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    constraint idempotency_keys_receipt_with_transaction
        check ((transaction_id is null) = (receipt is null))
);

create index idempotency_keys_expires_at_idx on ledger.idempotency_keys (expires_at);

comment on table ledger.idempotency_keys is
    'Used idempotency keys with the fingerprint of their request and the receipt to replay, '
    'until expires_at; wallet.purge_idempotency_keys() deletes expired ones.';

-- Which version of sql/ is installed, so that `pgwallet migrate` re-creates
-- the functions only when their source changed.
create table ledger.sql_objects (
    id boolean primary key default true check (id),
    checksum text not null,
    applied_at timestamptz not null default now()
);

comment on table ledger.sql_objects is
    'sha256 of the sql/ files last applied by pgwallet migrate (functions, triggers, grants).';
