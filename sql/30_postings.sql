-- The postings. Every kind is one call of wallet_internal.post, which does the
-- work in one transaction as a row of small steps: check the arguments and
-- the client's rights (32_clients.sql), claim the idempotency key in the
-- client's namespace, lock (in the order of 27_locking.sql), compute the
-- balances after, write the transaction with its entries, store the receipt.
-- Any refusal raises, so nothing of it remains. wallet.topup, bonus and spend
-- are here; wallet.transfer in 34_transfers.sql, wallet.reverse in
-- 35_reversals.sql.

-- THE SHAPES: which wallets each kind of transaction debits and credits, the
-- one rule that wallet_internal.post follows, the deferred balance check
-- enforces at commit (50_triggers.sql) and wallet.verify() re-proves
-- (60_verify.sql). One row, or none for a kind (or a reversal of a kind)
-- that does not exist. A reversal mirrors what it reverses, between the same
-- parties: user_id is the user of the original (for a transfer, its
-- receiver, who is debited), counterparty_user_id the other user of a
-- transfer (its receiver; for a transfer's reversal the original sender).
create function wallet_internal.sides(
    kind text, reversed_kind text, user_id uuid, counterparty_user_id uuid
)
returns table (debit_holder text, debit_user uuid, credit_holder text, credit_user uuid)
language sql
immutable
parallel safe
as $$
    select
        s.debit_holder,
        case when s.debit_holder = 'user' then sides.user_id end,
        s.credit_holder,
        case s.credit_holder
            when 'user' then case when s.debit_holder = 'user' then sides.counterparty_user_id else sides.user_id end
        end
    from (
        values
            ('topup', null, 'treasury', 'user'),
            ('bonus', null, 'treasury', 'user'),
            ('spend', null, 'user', 'revenue'),
            ('transfer', null, 'user', 'user'),
            ('reversal', 'topup', 'user', 'treasury'),
            ('reversal', 'bonus', 'user', 'treasury'),
            ('reversal', 'spend', 'revenue', 'user'),
            ('reversal', 'transfer', 'user', 'user')
    ) as s (kind, reversed_kind, debit_holder, credit_holder)
    where s.kind = sides.kind and s.reversed_kind is not distinct from sides.reversed_kind;
$$;

-- Whether `amount` of `asset` may move from a wallet holding `debit_balance`
-- to one holding `credit_balance` (holders 'user', 'treasury' or 'revenue';
-- the users named when they are users): a user wallet never goes below 0
-- (PW020), no balance leaves the bigint range (PW021): a user wallet cannot
-- underflow (it stops at 0), a system slot can in principle (see system_slot).
create function wallet_internal.funds_refusal(
    kind text,
    asset text,
    amount bigint,
    debit_holder text,
    debit_user uuid,
    debit_balance bigint,
    credit_holder text,
    credit_user uuid,
    credit_balance bigint
)
returns wallet_internal.refusal
language sql
stable
as $$
    select case
        when debit_holder = 'user' and debit_balance < amount then row(
            'PW020',
            format('insufficient funds: user %s has %s %s, the %s needs %s',
                debit_user, debit_balance, asset, kind, amount),
            null, null
        )::wallet_internal.refusal
        when debit_balance < -wallet_internal.bigint_max() - 1 + amount then row(
            'PW021',
            format('balance out of range: the %s of %L cannot issue %s more', debit_holder, asset, amount),
            null, null
        )::wallet_internal.refusal
        when credit_balance > wallet_internal.bigint_max() - amount then row(
            'PW021',
            case credit_holder
                when 'user' then format('balance out of range: user %s has %s %s, %s more would exceed %s',
                    credit_user, credit_balance, asset, amount, wallet_internal.bigint_max())
                else format('balance out of range: %s of %L cannot take %s more', credit_holder, asset, amount)
            end,
            null, null
        )::wallet_internal.refusal
    end;
$$;

-- The balances of a posting's two wallets after `amount` moves from `debit`
-- to `credit`, or the refusal (funds_refusal) raised.
create function wallet_internal.balances_after(
    kind text,
    debit ledger.wallets,
    credit ledger.wallets,
    amount bigint,
    out debit_after bigint,
    out credit_after bigint
)
language plpgsql
immutable
as $$
begin
    perform wallet_internal.refuse(wallet_internal.funds_refusal(
        kind, debit.asset, amount,
        debit.holder, debit.user_id, debit.balance,
        credit.holder, credit.user_id, credit.balance
    ));
    debit_after := debit.balance - amount;
    credit_after := credit.balance + amount;
end;
$$;

-- Write a posting: its transaction, one debit and one credit entry, each
-- chained to its wallet's previous entry (ledger.entry_hash, migration 0005),
-- and both wallets' new balances and heads (the balance guard of
-- 50_triggers.sql lets a wallet move only to its next entry). The caller holds both wallets' locks
-- and has computed their balances after (balances_after). The transaction
-- records who posted it: the client, or for a direct SQL call the session_user
-- (the role that logged in, whatever role the call then runs as); a capture's
-- records its hold.
create function wallet_internal.write_posting(
    kind text,
    user_id uuid,
    counterparty_user_id uuid,
    reverses uuid,
    amount bigint,
    metadata jsonb,
    idempotency_key text,
    client_id uuid,
    debit ledger.wallets,
    debit_after bigint,
    credit ledger.wallets,
    credit_after bigint,
    hold_id uuid default null
)
returns wallet_internal.posted
language plpgsql
as $$
declare
    v_transaction ledger.transactions;
    v_content bytea;
    v_debit_hash bytea;
    v_credit_hash bytea;
    v_debit_entry bigint;
    v_credit_entry bigint;
begin
    -- The mark the balance check looks for at commit (50_triggers.sql).
    perform pg_catalog.set_config('pgwallet.posting', 'on', true);
    insert into ledger.transactions (
        kind, asset, user_id, counterparty_user_id, reverses, amount, metadata, idempotency_key, client_id, sql_user,
        hold_id
    )
    values (
        kind, debit.asset, user_id, counterparty_user_id, reverses, amount, metadata, idempotency_key, client_id,
        case when client_id is null then session_user end, hold_id
    )
    returning * into v_transaction;
    v_content := ledger.transaction_content(v_transaction);
    v_debit_hash := ledger.entry_hash(debit.head, debit.id, -amount, debit_after, v_content);
    v_credit_hash := ledger.entry_hash(credit.head, credit.id, amount, credit_after, v_content);

    with inserted as (
        insert into ledger.entries (transaction_id, wallet_id, amount, balance_after, hash)
        values
            (v_transaction.id, debit.id, -amount, debit_after, v_debit_hash),
            (v_transaction.id, credit.id, amount, credit_after, v_credit_hash)
        returning id, wallet_id
    )
    select
        max(i.id) filter (where i.wallet_id = debit.id),
        max(i.id) filter (where i.wallet_id = credit.id)
    into v_debit_entry, v_credit_entry
    from inserted as i;

    update ledger.wallets as w
    set balance = v.balance, last_entry_id = v.entry_id, head = v.head
    from (
        values
            (debit.id, debit_after, v_debit_entry, v_debit_hash),
            (credit.id, credit_after, v_credit_entry, v_credit_hash)
    ) as v (wallet_id, balance, entry_id, head)
    where w.id = v.wallet_id;

    return (v_transaction.id, v_transaction.created_at, v_debit_hash, v_credit_hash);
end;
$$;

-- The request a key's fingerprint covers: everything the caller sent that
-- makes the posting this one (what a reversal resolves from its original is
-- not sent, so not covered: the original cannot change; nor are a capture's
-- user and asset, its hold's).
create function wallet_internal.request(
    kind text, user_id uuid, counterparty_user_id uuid, asset text, amount bigint, reverses uuid, metadata jsonb,
    hold_id uuid default null
)
returns jsonb
language sql
stable
as $$
    select case
        when hold_id is not null then pg_catalog.jsonb_build_array('capture', hold_id, amount, metadata)
        when kind = 'reversal' then pg_catalog.jsonb_build_array(kind, reverses, amount, metadata)
        when kind = 'transfer' then pg_catalog.jsonb_build_array(kind, user_id, counterparty_user_id, asset, amount, metadata)
        else pg_catalog.jsonb_build_array(kind, user_id, asset, amount, metadata)
    end;
$$;

-- The receipt of a posting, as stored with its key and returned: a transfer's
-- names both users; any other kind's the one user it changed (user_id).
create function wallet_internal.receipt(
    kind text, user_id uuid, counterparty_user_id uuid, asset text, amount bigint,
    posted wallet_internal.posted, debit_user uuid, debit_after bigint, credit_after bigint
)
returns jsonb
language sql
stable
as $$
    select case
        when kind = 'transfer' then pg_catalog.to_jsonb(row(
            posted.transaction_id, kind, user_id, counterparty_user_id, asset, amount,
            debit_after, credit_after, posted.created_at, false, posted.debit_hash, posted.credit_hash
        )::wallet.transfer_receipt)
        when debit_user = user_id then pg_catalog.to_jsonb(row(
            posted.transaction_id, kind, user_id, asset, amount, debit_after, posted.created_at, false,
            posted.debit_hash
        )::wallet.receipt)
        else pg_catalog.to_jsonb(row(
            posted.transaction_id, kind, user_id, asset, amount, credit_after, posted.created_at, false,
            posted.credit_hash
        )::wallet.receipt)
    end;
$$;

-- One posting of any kind, returning its receipt as JSON (the public
-- functions give it their type). A reversal passes only `reverses` (and
-- perhaps an amount): its asset, users and amount come from the original,
-- read under its lock. With exact_total (a retry, near the bigint limit) it
-- locks all of the system wallet's slots and checks their total
-- (wallet_internal.system_slot). With hold_id, a spend is the capture of
-- that hold (wallet.capture): the client needs the scope 'hold', and the
-- credits it takes are those the hold reserved, which it then finishes
-- (37_holds.sql). Any other posting that debits a user may take only what
-- is available beside the user's holds (check_available).
create function wallet_internal.post(
    kind text,
    user_id uuid,
    counterparty_user_id uuid,
    asset text,
    amount bigint,
    reverses uuid,
    idempotency_key text,
    metadata jsonb,
    client_id uuid,
    exact_total boolean default false,
    hold_id uuid default null
)
returns jsonb
language plpgsql
as $$
declare
    v_namespace constant uuid := wallet_internal.key_namespace(client_id);
    v_metadata jsonb;
    v_fingerprint bytea;
    v_stored jsonb;
    -- What the posting waits for, so a lock_timeout names it.
    v_key_claimed boolean := false;
    v_waiting_for text;
    -- The posting as resolved: a reversal's from its original.
    v_reversed ledger.transactions;
    v_user uuid := user_id;
    v_counterparty uuid := counterparty_user_id;
    v_asset text := asset;
    v_amount bigint := amount;
    v_sides record;
    v_debit ledger.wallets;
    v_credit ledger.wallets;
    v_system record;
    v_system_holder text;
    v_after record;
    v_posted wallet_internal.posted;
    v_receipt jsonb;
begin
    perform wallet_internal.check_read_committed();
    -- The balance check runs at commit, when both entries and balances are
    -- written: a caller's SET CONSTRAINTS ALL IMMEDIATE must not run it in
    -- between (it would see a transaction without its entries).
    set constraints ledger._300_balanced deferred;
    if kind <> 'reversal' or amount is not null then
        perform wallet_internal.check_amount(amount);
    end if;
    v_metadata := wallet_internal.checked_metadata(metadata);
    -- Before the key: a revoked client gets no replay either. (A reversal's
    -- asset and amount are checked again once known.)
    perform wallet_internal.authorize(
        client_id,
        case when kind = 'reversal' then 'reverse' when hold_id is not null then 'hold' else kind end,
        asset,
        amount
    );
    if kind = 'transfer' then
        perform wallet_internal.check_transfer_users(user_id, counterparty_user_id);
    end if;
    v_fingerprint := wallet_internal.fingerprint(
        wallet_internal.request(kind, user_id, counterparty_user_id, asset, amount, reverses, v_metadata, hold_id)
    );

    -- One block, so one subtransaction holds every lock and write of the
    -- posting (locks taken in a subtransaction and rows then written by its
    -- parent would cost a MultiXact each). Its handler tells apart the two
    -- waits that lock_timeout may cut short; the helpers have no handler of
    -- their own, so they add no subtransaction.
    begin
        v_stored := wallet_internal.claim_key(v_namespace, idempotency_key, v_fingerprint);
        if v_stored is not null then
            return v_stored;
        end if;
        v_key_claimed := true;

        if kind = 'reversal' then
            v_waiting_for := format('transaction %s', reverses);
            v_reversed := wallet_internal.lock_reversed(reverses);
            v_asset := v_reversed.asset;
            v_amount := wallet_internal.reversal_amount(v_reversed, amount);
            v_user := coalesce(v_reversed.counterparty_user_id, v_reversed.user_id);
            v_counterparty := case when v_reversed.kind = 'transfer' then v_reversed.user_id end;
            perform wallet_internal.authorize(client_id, 'reverse', v_asset, v_amount);
        end if;
        perform wallet_internal.postable_asset(v_asset);
        v_waiting_for := case
            when v_counterparty is null then format('the wallet of user %s in %L', v_user, v_asset)
            else format('the wallets of users %s and %s in %L', v_user, v_counterparty, v_asset)
        end;
        perform wallet_internal.lock_users(v_user, v_counterparty);

        select * into v_sides from wallet_internal.sides(kind, v_reversed.kind, v_user, v_counterparty);
        if v_sides.debit_holder = 'user' then
            v_debit := wallet_internal.user_wallet(v_sides.debit_user, v_asset);
            -- A capture takes what its hold reserved; anything else what is available.
            if hold_id is not null then
                perform wallet_internal.capturable_hold(hold_id, v_amount);
            else
                perform wallet_internal.check_available(v_debit, v_amount, kind);
            end if;
        else
            v_system_holder := v_sides.debit_holder;
        end if;
        if v_sides.credit_holder = 'user' then
            v_credit := wallet_internal.user_wallet(v_sides.credit_user, v_asset);
        else
            v_system_holder := v_sides.credit_holder;
        end if;
        if v_system_holder is not null then
            v_waiting_for := format('every %s slot of %L', v_system_holder, v_asset);
            v_system := wallet_internal.system_slot(
                v_system_holder, v_asset, v_amount, v_debit.id is null, exact_total
            );
            if v_debit.id is null then
                v_debit := v_system.slot;
            else
                v_credit := v_system.slot;
            end if;
        end if;

        v_after := wallet_internal.balances_after(kind, v_debit, v_credit, v_amount);
        if v_system_holder is not null then
            perform wallet_internal.check_system_total(
                v_system_holder, v_asset, v_system.total, v_amount, v_debit.holder = v_system_holder
            );
        end if;
        v_posted := wallet_internal.write_posting(
            kind, v_user, v_counterparty, reverses, v_amount, v_metadata, idempotency_key, client_id,
            v_debit, v_after.debit_after, v_credit, v_after.credit_after, hold_id
        );
        if hold_id is not null then
            perform wallet_internal.finish_hold(hold_id, 'captured', v_amount);
        end if;
        v_receipt := wallet_internal.receipt(
            kind, v_user, v_counterparty, v_asset, v_amount, v_posted,
            v_sides.debit_user, v_after.debit_after, v_after.credit_after
        );
        perform wallet_internal.store_key(v_namespace, idempotency_key, v_fingerprint, v_posted.transaction_id, v_receipt);
        if exact_total then
            perform wallet_internal.mark_near_limit(v_system_holder, v_asset);
        end if;
        return v_receipt;
    exception
        when sqlstate 'PW900' then
            -- Near the limit: everything of the first try is rolled back (its
            -- slot lock too); try again, checking the system wallet's total.
            return wallet_internal.post(
                kind, user_id, counterparty_user_id, asset, amount, reverses, idempotency_key, metadata,
                client_id, true, hold_id
            );
        when lock_not_available then
            perform wallet_internal.raise_lock_timeout(idempotency_key, v_key_claimed, v_waiting_for);
    end;
end;
$$;

create function wallet.topup(
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb default '{}',
    client_id uuid default null
)
returns wallet.receipt
language plpgsql
security definer
set search_path = ''
as $$
begin
    return pg_catalog.jsonb_populate_record(
        null::wallet.receipt,
        wallet_internal.post('topup', user_id, null, asset, amount, null, idempotency_key, metadata, client_id)
    );
end;
$$;

comment on function wallet.topup(uuid, text, bigint, text, jsonb, uuid) is
$$Credit a user who bought credits: treasury -> user. Returns the receipt.

amount: 1 .. 9223372036854775807 of the asset's smallest unit. metadata: a JSON object kept with
the transaction. idempotency_key: 1-255 printable ASCII characters; the same key with the same
request returns the stored receipt (replayed = true), with a different request raises PW030.
client_id: the HTTP caller (the facade passes it; null for a direct SQL call): it needs the
kind's scope, the asset and the amount, and its keys are its own (two clients' equal keys are two
keys). The transaction records the client, or the session_user of a direct SQL call.
Errors: PW001 amount, PW003 key, PW010 user, PW011 asset, PW021 out of range, PW030/PW031 key,
PW032 busy, PW040 frozen, PW041 suspended, PW070 revoked client, PW071 forbidden.$$;

create function wallet.bonus(
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb default '{}',
    client_id uuid default null
)
returns wallet.receipt
language plpgsql
security definer
set search_path = ''
as $$
begin
    return pg_catalog.jsonb_populate_record(
        null::wallet.receipt,
        wallet_internal.post('bonus', user_id, null, asset, amount, null, idempotency_key, metadata, client_id)
    );
end;
$$;

comment on function wallet.bonus(uuid, text, bigint, text, jsonb, uuid) is
$$Give a user credits for free: treasury -> user. Returns the receipt.

Same arguments, idempotency and errors as wallet.topup.$$;

create function wallet.spend(
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb default '{}',
    client_id uuid default null
)
returns wallet.receipt
language plpgsql
security definer
set search_path = ''
as $$
begin
    return pg_catalog.jsonb_populate_record(
        null::wallet.receipt,
        wallet_internal.post('spend', user_id, null, asset, amount, null, idempotency_key, metadata, client_id)
    );
end;
$$;

comment on function wallet.spend(uuid, text, bigint, text, jsonb, uuid) is
$$Take credits from a user who bought something: user -> revenue. Returns the receipt.

Takes only what is available: the balance less what the user's active holds reserve
(wallet.balances shows both), else PW020 insufficient funds; so never leaves the user below 0.
Otherwise the same arguments, idempotency and errors as wallet.topup.$$;
