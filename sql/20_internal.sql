-- Internal helpers of the postings: validation, idempotency keys and locking.
-- Not granted to anyone; called by the SECURITY DEFINER functions of
-- 30_postings.sql, so they run with the owner's rights.

create function wallet._check_limit("limit" integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if "limit" is null or "limit" not between 1 and 500 then
        raise exception using
            errcode = 'PW002',
            message = format('invalid limit %s: a page holds 1 to 500 rows', coalesce("limit"::text, 'null'));
    end if;
end;
$$;

-- The asset, or the error that says why it cannot be used.
create function wallet._get_asset(asset text)
returns ledger.assets
language plpgsql
stable
set search_path = ''
as $$
declare
    v_asset ledger.assets;
begin
    select * into v_asset from ledger.assets as a where a.code = _get_asset.asset;
    if not found then
        raise exception using
            errcode = 'PW011',
            message = format('asset %L not found', asset),
            hint = 'wallet.list_assets() lists the assets.';
    end if;
    return v_asset;
end;
$$;

create function wallet._get_user(user_id uuid)
returns ledger.users
language plpgsql
stable
set search_path = ''
as $$
declare
    v_user ledger.users;
begin
    select * into v_user from ledger.users as u where u.id = _get_user.user_id;
    if not found then
        raise exception using
            errcode = 'PW010',
            message = format('user %s not found', coalesce(user_id::text, 'null'));
    end if;
    return v_user;
end;
$$;

-- The fingerprint of a posting request: everything that makes it this request.
create function wallet._fingerprint(
    kind text, user_id uuid, asset text, amount bigint, metadata jsonb
)
returns bytea
language sql
immutable
set search_path = ''
as $$
    -- jsonb's text form is canonical (sorted keys, no insignificant spaces), so
    -- equal requests give equal fingerprints whatever their JSON layout.
    select pg_catalog.sha256(
        pg_catalog.convert_to(pg_catalog.jsonb_build_array(kind, user_id, asset, amount, metadata)::text, 'UTF8')
    );
$$;

-- Claim an idempotency key for the calling transaction: step 1 of the lock
-- order (see wallet._lock_for_posting). Returns the stored receipt, marked
-- replayed, when the same request already committed; null when the caller
-- is to post, and then stores the key with its receipt (wallet._post) in the
-- same transaction, so a crash or a refusal leaves no key behind.
--
-- The claim is a transaction-scoped advisory lock on the key's hash, not a
-- row: a duplicate that arrives while the first call runs waits on it, then
-- sees the first's committed key and replays (or, if the first rolled back,
-- posts itself). No row is written until the receipt is known, so the key is
-- stored by one insert. Two different keys whose hashes collide merely wait
-- on each other. The wait is bounded by the caller's lock_timeout (PW031).
create function wallet._claim_key(idempotency_key text, fingerprint bytea)
returns wallet.receipt
language plpgsql
set search_path = ''
as $$
declare
    v_key ledger.idempotency_keys;
    v_receipt wallet.receipt;
begin
    if idempotency_key is null or idempotency_key !~ '^[\x20-\x7e]{1,255}$' then
        raise exception using
            errcode = 'PW003',
            message = 'invalid idempotency key: it must be 1 to 255 printable ASCII characters',
            detail = format('The key has %s characters.', coalesce(length(idempotency_key), 0));
    end if;

    -- 0x70677769 ("pgwi") keeps these locks apart from other advisory locks.
    perform pg_catalog.pg_advisory_xact_lock(1885828969, pg_catalog.hashtext(idempotency_key));

    select * into v_key from ledger.idempotency_keys as k where k.key = _claim_key.idempotency_key;
    if not found then
        return null;
    end if;
    if v_key.expires_at <= now() then
        -- Expired keys may be reused: forget the old request.
        delete from ledger.idempotency_keys as k where k.key = v_key.key;
        return null;
    end if;
    if v_key.fingerprint <> fingerprint then
        raise exception using
            errcode = 'PW030',
            message = format('idempotency key %L was already used with a different request', idempotency_key),
            detail = format('It produced transaction %s.', v_key.transaction_id),
            hint = 'Use a new key for a new request; repeat a request only with its exact body.';
    end if;

    v_receipt := pg_catalog.jsonb_populate_record(null::wallet.receipt, v_key.receipt);
    v_receipt.replayed := true;
    return v_receipt;
end;
$$;

-- THE LOCK ORDER. Every posting takes its row locks in this order, here and
-- nowhere else, so no two postings can wait on each other in a cycle:
--
--   1. its idempotency key: an advisory lock on the key's hash (wallet._claim_key,
--      called before this function);
--   2. the user's row in ledger.users, FOR NO KEY UPDATE: postings of one user
--      run one after the other (so the user's entries are numbered in commit
--      order, which keeps history pages stable, and a suspension cannot race
--      a posting);
--   3. one slot row of the system wallet (treasury or revenue of the asset),
--      FOR UPDATE SKIP LOCKED: it takes whichever slot no one holds, so it
--      waits only when all 64 are busy, and whoever holds a slot has already
--      passed steps 1-2 and waits for nothing more.
--
-- The user's wallet row needs no lock of its own: only a posting for that user
-- changes it, and step 2 serializes those.
--
-- Why slots: every topup and bonus debits the treasury and every spend credits
-- revenue. Were each system wallet one row, every posting of an asset would
-- hold that row's lock until its commit is flushed, and all traffic would
-- queue behind it. Spread over 64 rows, postings for different users do not
-- wait on each other, while the ledger stays exact: each slot is an ordinary
-- wallet row whose balance is the sum of its entries, and the system wallet's
-- balance is the sum of its slots.
--
-- A wait here longer than the caller's lock_timeout is reported as PW032 (busy)
-- by wallet._post.
create function wallet._lock_for_posting(
    user_id uuid,
    asset text,
    system_holder text,
    create_wallet boolean,
    out user_wallet ledger.wallets,
    out system_slot ledger.wallets
)
language plpgsql
set search_path = ''
as $$
declare
    v_user ledger.users;
    v_own integer;
begin
    select * into v_user
    from ledger.users as u
    where u.id = _lock_for_posting.user_id
    for no key update;
    if not found then
        raise exception using
            errcode = 'PW010',
            message = format('user %s not found', coalesce(user_id::text, 'null'));
    end if;
    if v_user.status = 'suspended' then
        raise exception using
            errcode = 'PW041',
            message = format('user %s is suspended', user_id),
            hint = 'An operator lifts it with wallet.set_user_status(user_id, ''active'').';
    end if;

    select * into user_wallet
    from ledger.wallets as w
    where w.user_id = _lock_for_posting.user_id
        and w.asset = _lock_for_posting.asset
        and w.holder = 'user'
        and w.slot = 0;
    if not found and create_wallet then
        -- A user's wallet appears on first credit.
        insert into ledger.wallets (asset, holder, user_id)
        values (asset, 'user', user_id)
        returning * into user_wallet;
    end if;

    -- Each session has a slot of its own (its backend pid modulo 64) and
    -- takes it with one index lookup; only when another session holds it
    -- does it look for a free one, starting next to its own. (Starting
    -- every search at slot 0 made each posting step over the locked slots
    -- before it: at 16 clients that took half a posting's time.)
    v_own := pg_catalog.pg_backend_pid() % 64;
    select * into system_slot
    from ledger.wallets as w
    where w.user_id is null
        and w.asset = _lock_for_posting.asset
        and w.holder = system_holder
        and w.slot = v_own
    for update skip locked;
    if not found then
        select * into system_slot
        from ledger.wallets as w
        where w.user_id is null and w.asset = _lock_for_posting.asset and w.holder = system_holder
        order by (w.slot - v_own + 64) % 64
        limit 1
        for update skip locked;
    end if;
    if not found then
        -- All 64 slots are busy: queue on one of them at random.
        select * into system_slot
        from ledger.wallets as w
        where w.user_id is null
            and w.asset = _lock_for_posting.asset
            and w.holder = system_holder
            and w.slot = floor(random() * 64)::smallint
        for update;
    end if;
end;
$$;
