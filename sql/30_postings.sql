-- The postings. wallet.topup, wallet.bonus and wallet.spend are each one call
-- of wallet_internal.post, which does the work in one transaction as a row of
-- small steps: check the arguments and the client's rights (32_clients.sql),
-- claim the idempotency key in the client's namespace, lock (in the
-- order of 27_locking.sql), compute the balances after, write the transaction
-- with its entries, store the receipt. Any refusal raises, so nothing of it
-- remains.

-- The balances of a posting's two wallets after `amount` moves from `debit`
-- to `credit`, or the refusal: a user wallet never goes below 0 (PW020), no
-- balance leaves the bigint range (PW021). Only a user wallet or the treasury
-- is ever debited, and the treasury never goes above 0, so the debit side can
-- only underflow in the treasury.
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
set search_path = ''
as $$
declare
    c_max constant bigint := wallet_internal.bigint_max();
    c_min constant bigint := -c_max - 1;
begin
    if debit.holder = 'user' and debit.balance < amount then
        raise exception using
            errcode = 'PW020',
            message = format('insufficient funds: user %s has %s %s, the %s needs %s',
                debit.user_id, debit.balance, debit.asset, kind, amount);
    end if;
    if debit.balance < c_min + amount then
        raise exception using
            errcode = 'PW021',
            message = format('balance out of range: the %s of %L cannot issue %s more',
                debit.holder, debit.asset, amount);
    end if;
    if credit.balance > c_max - amount then
        raise exception using
            errcode = 'PW021',
            message = case credit.holder
                when 'user' then format('balance out of range: user %s has %s %s, %s more would exceed %s',
                    credit.user_id, credit.balance, credit.asset, amount, c_max)
                else format('balance out of range: %s of %L cannot take %s more', credit.holder, credit.asset, amount)
            end;
    end if;
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
-- (the role that logged in, whatever role the call then runs as).
create function wallet_internal.write_posting(
    kind text,
    user_id uuid,
    amount bigint,
    metadata jsonb,
    idempotency_key text,
    client_id uuid,
    debit ledger.wallets,
    debit_after bigint,
    credit ledger.wallets,
    credit_after bigint
)
returns wallet_internal.posted
language plpgsql
set search_path = ''
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
    insert into ledger.transactions (kind, asset, user_id, amount, metadata, idempotency_key, client_id, sql_user)
    values (
        kind, debit.asset, user_id, amount, metadata, idempotency_key, client_id,
        case when client_id is null then session_user end
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

-- One posting between a user and a system wallet: a topup or bonus
-- (treasury -> user) or a spend (user -> revenue). With exact_total (a retry,
-- near the bigint limit) it locks all of the system wallet's slots and checks
-- their total (wallet_internal.system_slot).
create function wallet_internal.post(
    kind text,
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb,
    client_id uuid,
    exact_total boolean default false
)
returns wallet.receipt
language plpgsql
set search_path = ''
as $$
declare
    v_namespace constant uuid := wallet_internal.key_namespace(client_id);
    v_metadata jsonb;
    v_fingerprint bytea;
    -- How far the posting got, so a lock_timeout names what it waited for.
    v_key_claimed boolean := false;
    v_user_locked boolean := false;
    v_receipt wallet.receipt;
    v_user_wallet ledger.wallets;
    v_debit ledger.wallets;
    v_credit ledger.wallets;
    v_after record;
    v_system_slot record;
    v_posted wallet_internal.posted;
    v_system constant text := case when kind = 'spend' then 'revenue' else 'treasury' end;
begin
    perform wallet_internal.check_read_committed();
    -- The balance check runs at commit, when both entries and balances are
    -- written: a caller's SET CONSTRAINTS ALL IMMEDIATE must not run it in
    -- between (it would see a transaction without its entries).
    set constraints ledger._300_balanced deferred;
    perform wallet_internal.check_amount(amount);
    v_metadata := wallet_internal.checked_metadata(metadata);
    -- Before the key: a revoked client gets no replay either.
    perform wallet_internal.authorize(client_id, kind, asset, amount);
    v_fingerprint := wallet_internal.fingerprint(kind, user_id, asset, amount, v_metadata);

    -- One block, so one subtransaction holds every lock and write of the
    -- posting (locks taken in a subtransaction and rows then written by its
    -- parent would cost a MultiXact each). Its handler tells apart the two
    -- waits that lock_timeout may cut short; the helpers have no handler of
    -- their own, so they add no subtransaction.
    begin
        v_receipt := wallet_internal.claim_key(v_namespace, idempotency_key, v_fingerprint);
        if v_receipt is not null then
            return v_receipt;
        end if;
        v_key_claimed := true;

        perform wallet_internal.postable_asset(asset);
        perform wallet_internal.lock_user(user_id);
        v_user_locked := true;
        v_user_wallet := wallet_internal.user_wallet(user_id, asset);
        v_system_slot := wallet_internal.system_slot(v_system, asset, amount, exact_total);
        if kind = 'spend' then
            v_debit := v_user_wallet;
            v_credit := v_system_slot.slot;
        else
            v_debit := v_system_slot.slot;
            v_credit := v_user_wallet;
        end if;
        v_after := wallet_internal.balances_after(kind, v_debit, v_credit, amount);
        perform wallet_internal.check_system_total(v_system, asset, v_system_slot.total, amount);
        v_posted := wallet_internal.write_posting(
            kind, user_id, amount, v_metadata, idempotency_key, client_id,
            v_debit, v_after.debit_after, v_credit, v_after.credit_after
        );

        v_receipt := (
            v_posted.transaction_id, kind, user_id, asset, amount,
            case when kind = 'spend' then v_after.debit_after else v_after.credit_after end,
            v_posted.created_at, false,
            case when kind = 'spend' then v_posted.debit_hash else v_posted.credit_hash end
        );
        perform wallet_internal.store_key(v_namespace, idempotency_key, v_fingerprint, v_posted.transaction_id, v_receipt);
        if exact_total then
            perform wallet_internal.mark_near_limit(v_system, asset);
        end if;
        return v_receipt;
    exception
        when sqlstate 'PW900' then
            -- Near the limit: everything of the first try is rolled back (its
            -- slot lock too); try again, checking the system wallet's total.
            return wallet_internal.post(
                kind, user_id, asset, amount, idempotency_key, metadata, client_id, true
            );
        when lock_not_available then
            perform wallet_internal.raise_lock_timeout(
                idempotency_key,
                v_key_claimed,
                case when v_user_locked
                    then format('every %s slot of %L', v_system, asset)
                    else format('the wallet of user %s in %L', user_id, asset)
                end
            );
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
language sql
security definer
set search_path = ''
as $$
    select * from wallet_internal.post('topup', user_id, asset, amount, idempotency_key, metadata, client_id);
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
language sql
security definer
set search_path = ''
as $$
    select * from wallet_internal.post('bonus', user_id, asset, amount, idempotency_key, metadata, client_id);
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
language sql
security definer
set search_path = ''
as $$
    select * from wallet_internal.post('spend', user_id, asset, amount, idempotency_key, metadata, client_id);
$$;

comment on function wallet.spend(uuid, text, bigint, text, jsonb, uuid) is
$$Take credits from a user who bought something: user -> revenue. Returns the receipt.

Never leaves the user below 0: PW020 insufficient funds. Otherwise the same arguments,
idempotency and errors as wallet.topup.$$;
