-- THE LOCK ORDER. Every posting takes its locks in this order, through the
-- functions of this file and nowhere else, so no two postings can wait on
-- each other in a cycle:
--
--   1. its idempotency key: an advisory lock on the key's hash
--      (wallet_internal.claim_key, 25_idempotency.sql);
--   2. for a reversal, the row of the transaction it reverses in
--      ledger.transactions, FOR NO KEY UPDATE (lock_reversed): the reversals
--      of one transaction run one after the other, so each reads the sum of
--      those before it under this lock and the sum can never exceed the
--      original (the row itself never changes: the lock writes nothing);
--   3. the rows of the users it changes in ledger.users, FOR NO KEY UPDATE,
--      in ascending id order (lock_users): one user for a topup, bonus, spend
--      or the reversal of one, both for a transfer or a transfer's reversal.
--      Postings of one user run one after the other (so the user's entries
--      are numbered in commit order, which keeps history pages stable, and a
--      suspension cannot race a posting); two transfers crossing between the
--      same two users lock them in the same order, so one waits for the other;
--   4. one slot row of the system wallet (treasury or revenue of the asset),
--      FOR UPDATE SKIP LOCKED (take_slot): it takes whichever slot no one
--      holds, so it waits only when all 64 are busy, and whoever holds a slot
--      has already passed steps 1-3 and waits for nothing more;
--      or, for a posting that checks the system wallet's exact total (near
--      the bigint limit, see take_all_slots), all 64 slots in slot order.
--      Such a posting has released any slot it held before (its first try
--      rolled back), so it waits only for slot holders, which wait for
--      nothing, and for others taking all slots in the same order.
--      A transfer touches no system wallet and stops at step 3.
--
-- A batch (wallet.post_batch, 38_batches.sql) takes the same steps for all
-- its postings at once: every key (ascending lock id), every user (ascending
-- id), then one slot of each system wallet it touches, or all 64, in order
-- of (asset, holder). It holds a slot while it waits for the next only in
-- that order, so a wait always points to a later system wallet: no cycle,
-- with single postings (which hold at most one slot) or other batches.
--
-- The user's wallet row needs no lock of its own: only a posting for that user
-- changes it, and step 3 serializes those (user_wallet).
--
-- Nor do the user's holds (ledger.holds, 37_holds.sql): step 3 guards them
-- too. A hold is created, captured or released only by a call that holds its
-- user's row lock; wallet.capture and wallet.release first read the hold
-- without a lock to learn its user (a hold's user and asset never change),
-- take step 1 and then step 3 for that user, and read the hold again. So a
-- spend's, a transfer's, a clawback's or a new hold's check of what is
-- available (wallet_internal.check_available), made under the same lock,
-- sees every hold that counts, and no hold changes under it; a capture
-- racing a release of one hold finds it still held in exactly one of them.
-- Expiry writes nothing: a hold past expires_at stops counting by itself.
--
-- Why slots: every topup and bonus debits the treasury and every spend credits
-- revenue. Were each system wallet one row, every posting of an asset would
-- hold that row's lock until its commit is flushed, and all traffic would
-- queue behind it. Spread over 64 rows, postings for different users do not
-- wait on each other, while the ledger stays exact: each slot is an ordinary
-- wallet row whose balance is the sum of its entries, and the system wallet's
-- balance is the sum of its slots.
--
-- A wait longer than the caller's lock_timeout is reported as PW031 (step 1)
-- or PW032 (steps 2-4) by wallet_internal.raise_lock_timeout.

-- Step 2: lock the transaction a reversal undoes; it must exist (PW012) and
-- not be a reversal itself (PW023).
create function wallet_internal.lock_reversed(transaction_id uuid)
returns ledger.transactions
language plpgsql
as $$
declare
    v_original ledger.transactions;
begin
    select * into v_original
    from ledger.transactions as t
    where t.id = lock_reversed.transaction_id
    for no key update;
    if not found then
        raise exception using
            errcode = 'PW012',
            message = format('transaction %s not found', coalesce(transaction_id::text, 'null'));
    end if;
    if v_original.kind = 'reversal' then
        raise exception using
            errcode = 'PW023',
            message = format('transaction %s is a reversal: a reversal cannot be reversed', transaction_id),
            detail = format('It reverses transaction %s.', v_original.reverses),
            hint = 'To undo it, post a new transaction of the kind it undid.';
    end if;
    return v_original;
end;
$$;

-- Step 3: lock a user who may post.
create function wallet_internal.lock_user(user_id uuid)
returns ledger.users
language plpgsql
as $$
declare
    v_user ledger.users;
begin
    select * into v_user
    from ledger.users as u
    where u.id = lock_user.user_id
    for no key update;
    perform wallet_internal.refuse(wallet_internal.user_refusal(v_user, user_id));
    return v_user;
end;
$$;

-- Step 3: lock the users a posting changes, in ascending id order; `second`
-- is null for a posting of one user.
create function wallet_internal.lock_users(first uuid, second uuid)
returns void
language plpgsql
as $$
begin
    if second is null then
        perform wallet_internal.lock_user(first);
    else
        perform wallet_internal.lock_user(least(first, second));
        perform wallet_internal.lock_user(greatest(first, second));
    end if;
end;
$$;

-- The user's wallet in an asset, created on first use; call it with the user
-- locked (lock_users). A wallet created for a posting that is then refused is
-- rolled back with it, so a wallet that stays has had a credit.
create function wallet_internal.user_wallet(user_id uuid, asset text)
returns ledger.wallets
language plpgsql
as $$
declare
    v_wallet ledger.wallets;
begin
    select * into v_wallet
    from ledger.wallets as w
    where w.user_id = user_wallet.user_id
        and w.asset = user_wallet.asset
        and w.holder = 'user'
        and w.slot = 0;
    if not found then
        insert into ledger.wallets (asset, holder, user_id)
        values (asset, 'user', user_id)
        returning * into v_wallet;
    end if;
    return v_wallet;
end;
$$;

-- Step 4: lock one slot of a system wallet ('treasury' or 'revenue').
create function wallet_internal.take_slot(asset text, holder text)
returns ledger.wallets
language plpgsql
as $$
declare
    -- Each session has a slot of its own (its backend pid modulo 64) and
    -- takes it with one index lookup; only when another session holds it
    -- does it look for a free one, starting next to its own. (Starting
    -- every search at slot 0 made each posting step over the locked slots
    -- before it: at 16 clients that took half a posting's time.)
    v_own constant integer := pg_catalog.pg_backend_pid() % 64;
    v_queue_on smallint;
    v_slot ledger.wallets;
begin
    select * into v_slot
    from ledger.wallets as w
    where w.user_id is null
        and w.asset = take_slot.asset
        and w.holder = take_slot.holder
        and w.slot = v_own
    for update skip locked;
    if not found then
        select * into v_slot
        from ledger.wallets as w
        where w.user_id is null and w.asset = take_slot.asset and w.holder = take_slot.holder
        order by (w.slot - v_own + 64) % 64
        limit 1
        for update skip locked;
    end if;
    if not found then
        -- All 64 slots are busy: queue on one of them at random. (The slot
        -- is drawn once, before the query: random() in the WHERE clause would
        -- draw anew for each row and could match none.)
        v_queue_on := floor(random() * 64)::smallint;
        select * into strict v_slot
        from ledger.wallets as w
        where w.user_id is null
            and w.asset = take_slot.asset
            and w.holder = take_slot.holder
            and w.slot = v_queue_on
        for update;
    end if;
    return v_slot;
end;
$$;

-- Step 4, near the limit: lock all 64 slots of a system wallet in slot order
-- and return the one with the most room for the posting (the slot with the
-- highest balance when debited, the lowest when credited) and the wallet's exact total, for a posting that must check
-- the total itself (see wallet_internal.post).
create function wallet_internal.take_all_slots(
    asset text, holder text, debited boolean, out slot ledger.wallets, out total numeric
)
language plpgsql
as $$
begin
    perform
    from ledger.wallets as w
    where w.user_id is null and w.asset = take_all_slots.asset and w.holder = take_all_slots.holder
    order by w.slot
    for update;
    select sum(w.balance) into total
    from ledger.wallets as w
    where w.user_id is null and w.asset = take_all_slots.asset and w.holder = take_all_slots.holder;
    select * into slot
    from ledger.wallets as w
    where w.user_id is null and w.asset = take_all_slots.asset and w.holder = take_all_slots.holder
    order by case when debited then -w.balance else w.balance end, w.slot
    limit 1;
end;
$$;

-- Whether a slot balance stays within its 64th of the bigint range, where
-- 64 such slots cannot sum beyond bigint whatever the others hold.
create function wallet_internal.within_a_64th(balance numeric)
returns boolean
language sql
immutable
parallel safe
as $$
    select balance >= -(wallet_internal.bigint_max() / 64 + 1) and balance <= wallet_internal.bigint_max() / 64;
$$;

-- The system slot a posting moves `amount` through (debited: out of the
-- system wallet, as a topup from the treasury or a refund from revenue;
-- else into it), locked. While the slot is not flagged near_limit and
-- stays within its 64th, any slot will do (take_slot): no 64 such slots can
-- sum beyond bigint, and `total` is null. Otherwise, without exact_total, it
-- raises PW900 (never seen by a caller: wallet_internal.post rolls back and
-- retries with exact_total); with it, it locks all 64 slots and returns the
-- wallet's total too, for check_system_total once the user's side is checked.
create function wallet_internal.system_slot(
    holder text, asset text, amount bigint, debited boolean, exact_total boolean,
    out slot ledger.wallets, out total numeric
)
language plpgsql
as $$
declare
    v_all record;
begin
    if not exact_total then
        slot := wallet_internal.take_slot(asset, holder);
        if not slot.near_limit
            and wallet_internal.within_a_64th(slot.balance::numeric + case when debited then -amount else amount end) then
            return;
        end if;
        raise exception using
            errcode = 'PW900',
            message = format('the %s of %L needs its exact total checked', holder, asset);
    end if;
    v_all := wallet_internal.take_all_slots(asset, holder, debited);
    slot := v_all.slot;
    total := v_all.total;
end;
$$;

-- A posting that would take a system wallet's total (known when
-- system_slot locked all its slots) out of bigint: PW021.
create function wallet_internal.system_total_refusal(
    holder text, asset text, total numeric, amount bigint, debited boolean
)
returns wallet_internal.refusal
language sql
stable
as $$
    select case
        when total is not null
            and (total + case when debited then -amount else amount end)
            not between (-wallet_internal.bigint_max() - 1) and wallet_internal.bigint_max() then row(
            'PW021',
            format('balance out of range: the %s of %L holds %s in all, %s more would leave bigint',
                holder, asset, total, amount),
            null, null
        )::wallet_internal.refusal
    end;
$$;

create function wallet_internal.check_system_total(
    holder text, asset text, total numeric, amount bigint, debited boolean
)
returns void
language sql
stable
as $$
    select wallet_internal.refuse(wallet_internal.system_total_refusal(holder, asset, total, amount, debited));
$$;

-- After a posting with the exact total: flag all 64 slots near_limit while
-- any of them is beyond its 64th, clear the flag when none is. Called with
-- all 64 locked.
create function wallet_internal.mark_near_limit(holder text, asset text)
returns void
language sql
as $$
    update ledger.wallets as w
    set near_limit = f.near
    from (
        select bool_or(not wallet_internal.within_a_64th(s.balance)) as near
        from ledger.wallets as s
        where s.user_id is null and s.asset = mark_near_limit.asset and s.holder = mark_near_limit.holder
    ) as f
    where w.user_id is null and w.asset = mark_near_limit.asset and w.holder = mark_near_limit.holder
        and w.near_limit <> f.near;
$$;
