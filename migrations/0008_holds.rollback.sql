-- Rollback of 0008_holds. Captures stay spends; their link to the hold goes,
-- and so does its place in their hash (verify() then reports their entries).
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
            'counterparty_user_id', t.counterparty_user_id
        ))
    )::text, 'UTF8');
$$;

-- The keys of holds and releases name no transaction: they go with the holds
-- (past the guard that keeps live keys, which this rollback must step over).
alter table ledger.idempotency_keys disable trigger user;

delete from ledger.idempotency_keys
where transaction_id is null;

alter table ledger.idempotency_keys enable trigger user;

alter table ledger.idempotency_keys
drop constraint idempotency_keys_names_its_result,
drop column hold_id,
alter column transaction_id set not null;

alter table ledger.transactions drop column hold_id;

drop table ledger.holds;
