-- THE LOCK ORDER. Every posting takes its locks in this order, through the
-- functions of this file and nowhere else, so no two postings can wait on
-- each other in a cycle:
--
--   1. its idempotency key: an advisory lock on the key's hash
--      (wallet_internal.claim_key, 25_idempotency.sql);
--   2. the user's row in ledger.users, FOR NO KEY UPDATE (lock_user):
--      postings of one user run one after the other (so the user's entries
--      are numbered in commit order, which keeps history pages stable, and a
--      suspension cannot race a posting);
--   3. one slot row of the system wallet (treasury or revenue of the asset),
--      FOR UPDATE SKIP LOCKED (take_slot): it takes whichever slot no one
--      holds, so it waits only when all 64 are busy, and whoever holds a slot
--      has already passed steps 1-2 and waits for nothing more.
--
-- The user's wallet row needs no lock of its own: only a posting for that user
-- changes it, and step 2 serializes those (user_wallet).
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
-- or PW032 (steps 2-3) by wallet_internal.raise_lock_timeout.

-- Step 2: lock a user who may post (exists, not suspended).
create function wallet_internal.lock_user(user_id uuid)
returns ledger.users
language plpgsql
set search_path = ''
as $$
declare
    v_user ledger.users;
begin
    select * into v_user
    from ledger.users as u
    where u.id = lock_user.user_id
    for no key update;
    if not found then
        perform wallet_internal.raise_user_not_found(user_id);
    end if;
    if v_user.status = 'suspended' then
        raise exception using
            errcode = 'PW041',
            message = format('user %s is suspended', user_id),
            hint = 'An operator lifts it with wallet.set_user_status(user_id, ''active'').';
    end if;
    return v_user;
end;
$$;

-- The user's wallet in an asset, created on first use; call it with the user
-- locked (lock_user). A wallet created for a posting that is then refused is
-- rolled back with it, so a wallet that stays has had a credit.
create function wallet_internal.user_wallet(user_id uuid, asset text)
returns ledger.wallets
language plpgsql
set search_path = ''
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

-- Step 3: lock one slot of a system wallet ('treasury' or 'revenue').
create function wallet_internal.take_slot(asset text, holder text)
returns ledger.wallets
language plpgsql
set search_path = ''
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
