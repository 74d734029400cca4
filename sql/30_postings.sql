-- The three postings. Each is one call of wallet._post, which does the work in
-- one transaction: claim the idempotency key, lock (see wallet._lock_for_posting
-- for the order), check, write the transaction, its two entries and the two
-- balances, store the receipt. Any refusal raises, so nothing of it remains.

create function wallet._post(
    kind text,
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb
)
returns wallet.receipt
language plpgsql
set search_path = ''
as $$
declare
    c_max constant bigint := 9223372036854775807;
    c_min constant bigint := -9223372036854775807 - 1;
    v_metadata constant jsonb := coalesce(metadata, '{}');
    v_fingerprint constant bytea := wallet._fingerprint(kind, user_id, asset, amount, coalesce(metadata, '{}'));
    v_waiting_for text;
    v_receipt wallet.receipt;
    v_asset ledger.assets;
    v_locked record;
    v_user_wallet ledger.wallets;
    v_slot ledger.wallets;
    v_user_after bigint;
    v_slot_after bigint;
    v_tx ledger.transactions;
    v_user_entry bigint;
    v_slot_entry bigint;
begin
    if amount is null or amount < 1 then
        raise exception using
            errcode = 'PW001',
            message = format('invalid amount %s: an amount must be at least 1', coalesce(amount::text, 'null')),
            hint = 'Amounts are whole numbers of the asset''s smallest unit, 1 to 9223372036854775807.';
    end if;
    if pg_catalog.jsonb_typeof(v_metadata) <> 'object' then
        raise exception using
            errcode = 'PW002',
            message = format('invalid metadata: it must be a JSON object, not %s', pg_catalog.jsonb_typeof(v_metadata));
    end if;

    -- One block, so one subtransaction holds every lock and write of the
    -- posting (locks taken in a subtransaction and rows then written by its
    -- parent would cost a MultiXact each). Its handler tells apart the two
    -- waits that lock_timeout may cut short.
    begin
        v_waiting_for := 'key';
        v_receipt := wallet._claim_key(idempotency_key, v_fingerprint);
        if v_receipt is not null then
            return v_receipt;
        end if;

        v_asset := wallet._get_asset(asset);
        if v_asset.status = 'frozen' then
            raise exception using
                errcode = 'PW040',
                message = format('asset %L is frozen', asset),
                hint = 'An operator lifts it with wallet.set_asset_status(code, ''active'').';
        end if;

        v_waiting_for := 'wallet';
        v_locked := wallet._lock_for_posting(
            user_id, asset, case when kind = 'spend' then 'revenue' else 'treasury' end, kind <> 'spend'
        );
        v_user_wallet := v_locked.user_wallet;
        v_slot := v_locked.system_slot;

        if kind = 'spend' then
            if coalesce(v_user_wallet.balance, 0) < amount then
                raise exception using
                    errcode = 'PW020',
                    message = format('insufficient funds: user %s has %s %s, the spend needs %s',
                        user_id, coalesce(v_user_wallet.balance, 0), asset, amount);
            end if;
            if v_slot.balance > c_max - amount then
                raise exception using
                    errcode = 'PW021',
                    message = format('balance out of range: revenue of %L cannot take %s more', asset, amount);
            end if;
            v_user_after := v_user_wallet.balance - amount;
            v_slot_after := v_slot.balance + amount;
        else
            if v_user_wallet.balance > c_max - amount then
                raise exception using
                    errcode = 'PW021',
                    message = format('balance out of range: user %s has %s %s, %s more would exceed %s',
                        user_id, v_user_wallet.balance, asset, amount, c_max);
            end if;
            if v_slot.balance < c_min + amount then
                raise exception using
                    errcode = 'PW021',
                    message = format('balance out of range: the treasury of %L cannot issue %s more', asset, amount);
            end if;
            v_user_after := v_user_wallet.balance + amount;
            v_slot_after := v_slot.balance - amount;
        end if;

        insert into ledger.transactions (kind, asset, user_id, amount, metadata, idempotency_key)
        values (kind, asset, user_id, amount, v_metadata, idempotency_key)
        returning * into v_tx;

        with inserted as (
            insert into ledger.entries (transaction_id, wallet_id, amount, balance_after)
            values
                (v_tx.id, v_user_wallet.id, v_user_after - v_user_wallet.balance, v_user_after),
                (v_tx.id, v_slot.id, v_slot_after - v_slot.balance, v_slot_after)
            returning id, wallet_id
        )
        select
            max(i.id) filter (where i.wallet_id = v_user_wallet.id),
            max(i.id) filter (where i.wallet_id = v_slot.id)
        into v_user_entry, v_slot_entry
        from inserted as i;

        update ledger.wallets as w
        set balance = v.balance, last_entry_id = v.entry_id
        from (
            values (v_user_wallet.id, v_user_after, v_user_entry), (v_slot.id, v_slot_after, v_slot_entry)
        ) as v (wallet_id, balance, entry_id)
        where w.id = v.wallet_id;

        v_receipt := (v_tx.id, kind, user_id, asset, amount, v_user_after, v_tx.created_at, false);
        insert into ledger.idempotency_keys (key, fingerprint, transaction_id, receipt, expires_at)
        select
            idempotency_key,
            v_fingerprint,
            v_tx.id,
            pg_catalog.to_jsonb(v_receipt),
            now() + c.idempotency_retention
        from ledger.config as c;
        return v_receipt;
    exception
        when lock_not_available then
            if v_waiting_for = 'key' then
                raise exception using
                    errcode = 'PW031',
                    message = format('idempotency key %L is still being processed by another request', idempotency_key),
                    hint = 'Retry in a moment: you will then get that request''s receipt.';
            end if;
            raise exception using
                errcode = 'PW032',
                message = format('the wallet of user %s in %L is busy', user_id, asset),
                detail = 'A lock wait exceeded lock_timeout.',
                hint = 'Retry in a moment with the same idempotency key.';
    end;
end;
$$;

create function wallet.topup(
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb default '{}'
)
returns wallet.receipt
language sql
security definer
set search_path = ''
as $$
    select * from wallet._post('topup', user_id, asset, amount, idempotency_key, metadata);
$$;

comment on function wallet.topup(uuid, text, bigint, text, jsonb) is
$$Credit a user who bought credits: treasury -> user. Returns the receipt.

amount: 1 .. 9223372036854775807 of the asset's smallest unit. metadata: a JSON object kept with
the transaction. idempotency_key: 1-255 printable ASCII characters; the same key with the same
request returns the stored receipt (replayed = true), with a different request raises PW030.
Errors: PW001 amount, PW003 key, PW010 user, PW011 asset, PW021 out of range, PW030/PW031 key,
PW032 busy, PW040 frozen, PW041 suspended.$$;

create function wallet.bonus(
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb default '{}'
)
returns wallet.receipt
language sql
security definer
set search_path = ''
as $$
    select * from wallet._post('bonus', user_id, asset, amount, idempotency_key, metadata);
$$;

comment on function wallet.bonus(uuid, text, bigint, text, jsonb) is
$$Give a user credits for free: treasury -> user. Returns the receipt.

Same arguments, idempotency and errors as wallet.topup.$$;

create function wallet.spend(
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb default '{}'
)
returns wallet.receipt
language sql
security definer
set search_path = ''
as $$
    select * from wallet._post('spend', user_id, asset, amount, idempotency_key, metadata);
$$;

comment on function wallet.spend(uuid, text, bigint, text, jsonb) is
$$Take credits from a user who bought something: user -> revenue. Returns the receipt.

Never leaves the user below 0: PW020 insufficient funds. Otherwise the same arguments,
idempotency and errors as wallet.topup.$$;
