-- 0007_reversals_transfers: two new kinds of transaction, and what they need.
--
-- * kind 'reversal' undoes all or part of an earlier transaction, which it
--   names in `reverses`; kind 'transfer' moves credits from its user to
--   `counterparty_user_id`. A transfer's reversal names both users too: the
--   original receiver (debited) as user_id, the original sender as
--   counterparty. How much of a transaction has been reversed is never
--   stored: it is the sum of its reversals, found by the partial index below
--   under the original's row lock (see sql/35_reversals.sql), so the
--   transactions table stays append-only and the cap can always be re-proved
--   from the ledger by wallet.verify().
-- * The sign rules of the system wallets move from each slot to the wallet
--   (the sum of its 64 slots): a refund debits whichever revenue slot it
--   holds, a clawback credits whichever treasury slot, so one slot may cross
--   0 while the wallet cannot: a transaction's reversals never exceed it, so
--   the revenue wallet never goes below what was spent minus refunded (>= 0),
--   nor the treasury above minus what stays issued (<= 0). wallet.verify()
--   checks both totals. A user wallet is still never negative, by a CHECK.
-- * The two new fields join the transaction's canonical content (migration
--   0005) as optional keys, absent when null, so existing hashes still hold.
-- depends: 0006_system_totals

alter table ledger.transactions
drop constraint transactions_kind_check;

alter table ledger.transactions
add constraint transactions_kind_check
check (kind in ('topup', 'bonus', 'spend', 'reversal', 'transfer'));

alter table ledger.transactions
add column reverses uuid references ledger.transactions (id),
add column counterparty_user_id uuid references ledger.users (id);

alter table ledger.transactions
add constraint transactions_reversal_reverses check ((kind = 'reversal') = (reverses is not null)),
add constraint transactions_counterparty check (
    counterparty_user_id is null
    or (kind in ('transfer', 'reversal') and counterparty_user_id <> user_id)
),
add constraint transactions_transfer_counterparty check (kind <> 'transfer' or counterparty_user_id is not null);

-- A transaction's reversals, to sum them under its lock.
create index transactions_reverses_idx on ledger.transactions (reverses) where reverses is not null;

-- A user's transactions as the counterparty (wallet.list_transactions).
create index transactions_counterparty_seq_idx on ledger.transactions (counterparty_user_id, seq)
where counterparty_user_id is not null;

alter table ledger.wallets
drop constraint wallets_only_treasury_negative,
drop constraint wallets_treasury_not_positive,
add constraint wallets_user_not_negative check (holder <> 'user' or balance >= 0);

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
        -- Optional fields: absent when null, so older rows keep their form.
        || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'client_id', t.client_id,
            'sql_user', t.sql_user,
            'reverses', t.reverses,
            'counterparty_user_id', t.counterparty_user_id
        ))
    )::text, 'UTF8');
$$;
