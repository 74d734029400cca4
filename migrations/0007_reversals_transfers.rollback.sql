-- Rollback of 0007_reversals_transfers (only before any reversal or transfer
-- exists: the restored kind check refuses them).
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
            'sql_user', t.sql_user
        ))
    )::text, 'UTF8');
$$;

alter table ledger.wallets
drop constraint wallets_user_not_negative,
add constraint wallets_only_treasury_negative check (holder = 'treasury' or balance >= 0),
add constraint wallets_treasury_not_positive check (holder <> 'treasury' or balance <= 0);

drop index ledger.transactions_counterparty_seq_idx;
drop index ledger.transactions_reverses_idx;

alter table ledger.transactions
drop column counterparty_user_id,
drop column reverses,
drop constraint transactions_kind_check,
add constraint transactions_kind_check check (kind in ('topup', 'bonus', 'spend'));
