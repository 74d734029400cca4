-- The benchmark's "no system side" variant, installed only in a bench database
-- of its own (never by `pgwallet migrate`). The postings of schema no_system do
-- what wallet._post does for the user (claim the key, check the asset, lock the
-- user, write the transaction, the user's entry and balance, store the
-- receipt) and nothing for the treasury or revenue: no slot lock, no second
-- entry, no second balance. Comparing the mix through these with the real mix
-- shows what the shared system wallets cost. The ledger's deferred balance
-- check is replaced in this database by one of the same shape that expects
-- the user's entry alone, so both variants pay for a check at commit.

create schema no_system;

create or replace function wallet._check_transaction(transaction_id uuid)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
    v_ok boolean;
begin
    select
        count(*) = 1
        and bool_and(abs(e.amount) = t.amount and w.asset = t.asset)
        and bool_and(w.last_entry_id >= e.id)
        and bool_and(w.holder = 'user' and w.user_id = t.user_id)
    into v_ok
    from ledger.transactions as t
    join ledger.entries as e on e.transaction_id = t.id
    join ledger.wallets as w on w.id = e.wallet_id
    where t.id = _check_transaction.transaction_id
    group by t.id;
    if v_ok is not true then
        raise exception 'transaction % does not balance', transaction_id;
    end if;
end;
$$;

create function no_system._post(
    kind text, user_id uuid, asset text, amount bigint, idempotency_key text
)
returns wallet.receipt
language plpgsql
set search_path = ''
as $$
declare
    v_receipt wallet.receipt;
    v_wallet ledger.wallets;
    v_after bigint;
    v_tx ledger.transactions;
    v_entry bigint;
    v_fingerprint constant bytea := wallet._fingerprint(kind, user_id, asset, amount, '{}');
begin
    if amount is null or amount < 1 then
        raise exception 'invalid amount';
    end if;
    -- Like wallet._post: one block, so one subtransaction, as the real one pays for.
    begin
    v_receipt := wallet._claim_key(idempotency_key, v_fingerprint);
    if v_receipt is not null then
        return v_receipt;
    end if;
    if (wallet._get_asset(asset)).status = 'frozen' then
        raise exception 'asset % is frozen', asset;
    end if;
    perform from ledger.users as u where u.id = _post.user_id and u.status = 'active'
    for no key update;
    select * into strict v_wallet
    from ledger.wallets as w
    where w.user_id = _post.user_id and w.asset = _post.asset and w.holder = 'user';

    v_after := v_wallet.balance + case when kind = 'spend' then -amount else amount end;
    if v_after < 0 then
        raise exception 'insufficient funds';
    end if;
    insert into ledger.transactions (kind, asset, user_id, amount, idempotency_key)
    values (kind, asset, user_id, amount, idempotency_key)
    returning * into v_tx;
    insert into ledger.entries (transaction_id, wallet_id, amount, balance_after)
    values (v_tx.id, v_wallet.id, v_after - v_wallet.balance, v_after)
    returning id into v_entry;
    update ledger.wallets as w set balance = v_after, last_entry_id = v_entry
    where w.id = v_wallet.id;

    v_receipt := (v_tx.id, kind, user_id, asset, amount, v_after, v_tx.created_at, false);
    insert into ledger.idempotency_keys (key, fingerprint, transaction_id, receipt, expires_at)
    values (idempotency_key, v_fingerprint, v_tx.id, pg_catalog.to_jsonb(v_receipt), now() + interval '7 days');
    return v_receipt;
    exception
        when lock_not_available then
            raise;
    end;
end;
$$;

create function no_system.topup(user_id uuid, asset text, amount bigint, idempotency_key text)
returns wallet.receipt language sql set search_path = ''
as $$ select * from no_system._post('topup', user_id, asset, amount, idempotency_key); $$;

create function no_system.bonus(user_id uuid, asset text, amount bigint, idempotency_key text)
returns wallet.receipt language sql set search_path = ''
as $$ select * from no_system._post('bonus', user_id, asset, amount, idempotency_key); $$;

create function no_system.spend(user_id uuid, asset text, amount bigint, idempotency_key text)
returns wallet.receipt language sql set search_path = ''
as $$ select * from no_system._post('spend', user_id, asset, amount, idempotency_key); $$;
