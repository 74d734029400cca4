-- Holds: reserve a user's credits now, capture (spend) or release them later.
--
-- A hold is a row of ledger.holds, not a posting: it moves no credit, so the
-- ledger stays the truth of every balance, and what a user may still take is
--
--     available = balance - held
--
-- where held sums the user's holds in that asset whose status is 'held' and
-- whose expires_at is still ahead. Expiry needs no job: a hold past
-- expires_at simply stops counting, and reads as 'expired' (the stored status
-- stays 'held'; nothing ever rewrites it, and a hold once expired is final).
-- A capture is a spend of at most the hold (wallet_internal.post with the
-- hold), the rest released; a release frees it all.
--
-- Every change to a hold is made under its user's row lock (step 3 of THE
-- LOCK ORDER, 27_locking.sql), like every posting that takes credits from
-- that user, so that spends, transfers, clawbacks and holds all check what is
-- available (check_available) against every hold that counts, and no two of
-- them can both take the same credits.

-- A user's active holds are those that reserve credits now: status 'held'
-- and expires_at still ahead,
--
--     h.user_id = <user> and h.status = 'held' and h.expires_at > now()
--
-- which is exactly a range of holds_active_idx (migration 0008): one index
-- range scan, whatever the user's finished or expired holds. The reads below
-- (and wallet.balances) write this condition in their own query rather than
-- call a function that returns the holds: such a call costs more than the
-- scan (it doubled the cost of wallet.balances, bench/README.md).

-- What a user's active holds reserve in one asset. (Their sum never exceeds
-- the balance, invariant 7, so it is a bigint.)
create function wallet_internal.held(user_id uuid, asset text)
returns bigint
language sql
stable
as $$
    select coalesce(sum(h.amount), 0)::bigint
    from ledger.holds as h
    where h.user_id = held.user_id and h.status = 'held' and h.expires_at > now()
        and h.asset = held.asset;
$$;

-- Whether `amount` may leave a user's wallet: not beyond what is available
-- there, its balance less what the user's active holds reserve, `held`
-- (PW020). For every way credits leave a user (a spend, a transfer, a
-- clawback) and for a new hold; read with the user locked (step 3 of the
-- lock order). On plain values, as funds_refusal (30_postings.sql): a batch
-- judges its spends on balances it keeps itself (38_batches.sql), a single
-- posting raises the refusal (check_available).
create function wallet_internal.available_refusal(
    kind text, asset text, amount bigint, user_id uuid, balance bigint, held bigint
)
returns wallet_internal.refusal
language sql
stable
as $$
    select case
        when balance - held >= amount then null
        when held = 0 then row(
            'PW020',
            format('insufficient funds: user %s has %s %s, the %s needs %s', user_id, balance, asset, kind, amount),
            null, null
        )::wallet_internal.refusal
        else row(
            'PW020',
            format('insufficient funds: user %s has %s %s available (balance %s, held %s), the %s needs %s',
                user_id, balance - held, asset, balance, held, kind, amount),
            null,
            'Holds reserve credits until captured, released or expired (wallet.balances shows them).'
        )::wallet_internal.refusal
    end;
$$;

create function wallet_internal.check_available(wallet ledger.wallets, amount bigint, kind text)
returns void
language sql
stable
as $$
    select wallet_internal.refuse(wallet_internal.available_refusal(
        kind, wallet.asset, amount, wallet.user_id, wallet.balance,
        wallet_internal.held(wallet.user_id, wallet.asset)
    ));
$$;

-- A hold as the API shows it: 'expired' once past expires_at while held.
create function wallet_internal.shown_hold(hold ledger.holds, replayed boolean default false)
returns wallet.hold
language sql
stable
as $$
    select row(
        hold.id,
        hold.user_id,
        hold.asset,
        hold.amount,
        hold.captured_amount,
        case when hold.status = 'held' and hold.expires_at <= now() then 'expired' else hold.status end,
        hold.expires_at,
        hold.created_at,
        replayed
    )::wallet.hold;
$$;

create function wallet_internal.get_hold(hold_id uuid)
returns ledger.holds
language plpgsql
stable
as $$
declare
    v_hold ledger.holds;
begin
    select * into v_hold from ledger.holds as h where h.id = get_hold.hold_id;
    if not found then
        perform wallet_internal.refuse(row(
            'PW013', format('hold %s not found', coalesce(hold_id::text, 'null')), null, null
        )::wallet_internal.refusal);
    end if;
    return v_hold;
end;
$$;

-- Whether a hold may still be captured (of `amount`) or released (amount
-- null): PW025 when it is captured, released or expired, PW024 when a
-- capture exceeds it. Read the hold under its user's lock, so that it cannot
-- change until the caller commits.
create function wallet_internal.hold_refusal(hold ledger.holds, amount bigint)
returns wallet_internal.refusal
language sql
stable
as $$
    select case
        when s.status <> 'held' then row(
            'PW025',
            format('hold %s is %s', hold.id, s.status),
            case when s.status = 'expired' then format('It expired at %s.', hold.expires_at)
                else format('It was %s at %s.', s.status, hold.finished_at) end,
            'A hold is final once captured, released or expired; place a new hold.'
        )::wallet_internal.refusal
        when hold_refusal.amount > hold.amount then row(
            'PW024',
            format('capture of %s exceeds hold %s of %s', hold_refusal.amount, hold.id, hold.amount),
            null,
            'Capture at most the held amount; what is not captured is released.'
        )::wallet_internal.refusal
    end
    from wallet_internal.shown_hold(hold) as s;
$$;

-- The hold, read again under its user's lock, or its refusal raised.
create function wallet_internal.capturable_hold(hold_id uuid, amount bigint default null)
returns ledger.holds
language plpgsql
as $$
declare
    v_hold constant ledger.holds := wallet_internal.get_hold(hold_id);
begin
    perform wallet_internal.refuse(wallet_internal.hold_refusal(v_hold, amount));
    return v_hold;
end;
$$;

-- Finish a hold (checked by capturable_hold, under the same lock): captured
-- for `captured_amount`, or released.
create function wallet_internal.finish_hold(hold_id uuid, status text, captured_amount bigint default null)
returns ledger.holds
language sql
as $$
    update ledger.holds as h
    set status = finish_hold.status, captured_amount = finish_hold.captured_amount, finished_at = now()
    where h.id = finish_hold.hold_id
    returning *;
$$;

-- How long a hold may last: 1 second to 30 days.
create function wallet_internal.check_hold_duration(expires_in interval)
returns void
language plpgsql
immutable
as $$
begin
    if expires_in is null or expires_in < interval '1 second' or expires_in > interval '30 days' then
        raise exception using
            errcode = 'PW002',
            message = format('invalid expires_in %s: a hold lasts 1 second to 30 days',
                coalesce(expires_in::text, 'null'));
    end if;
end;
$$;

-- Invariant 7, for wallet.verify(): no user's active holds exceed their
-- balance in any asset; every captured hold has its spend, of at most what it
-- held; and a transaction that names a hold is that hold's capture.
create function wallet_internal.check_holds()
returns setof wallet.check_result
language plpgsql
stable
as $$
declare
    v_bad bigint;
    v_sample text;
begin
    -- Invariant 7a: no user's active holds (held, not expired) reserve more
    -- than their balance, in any asset.
    select count(*), string_agg(format('user %s in %s: held %s, balance %s', r.user_id, r.asset, r.held, r.balance), '; ')
        filter (where r.n <= 5)
    into v_bad, v_sample
    from (
        select h.user_id, h.asset, sum(h.amount) as held, coalesce(w.balance, 0) as balance,
            row_number() over (order by h.user_id, h.asset) as n
        from ledger.holds as h
        left join ledger.wallets as w on w.user_id = h.user_id and w.asset = h.asset and w.holder = 'user'
        where h.status = 'held' and h.expires_at > now()
        group by h.user_id, h.asset, w.balance
        having sum(h.amount) > coalesce(w.balance, 0)
    ) as r;
    return next ('holds_within_balances'::text, v_bad = 0,
        case when v_bad = 0 then 'no user''s active holds exceed their balance'
        else format('%s wallets hold more than their balance: %s', v_bad, v_sample) end);

    -- Invariant 7b: every captured hold has its spend, of its user and asset,
    -- of what it captured, at most what it held; and a transaction that names
    -- a hold is that hold's capture.
    select count(*), string_agg(r.hold_id::text, ', ') filter (where r.n <= 5)
    into v_bad, v_sample
    from (
        select h.id as hold_id, row_number() over (order by h.id) as n
        from ledger.holds as h
        left join ledger.transactions as t on t.hold_id = h.id
        where (h.status = 'captured' or t.id is not null)
            and not coalesce(
                h.status = 'captured'
                and h.captured_amount <= h.amount
                and t.kind = 'spend'
                and t.user_id = h.user_id
                and t.asset = h.asset
                and t.amount = h.captured_amount,
                false
            )
    ) as r;
    return next ('captures_match_holds'::text, v_bad = 0,
        case when v_bad = 0 then 'every captured hold has its spend, of at most what it held'
        else format('%s holds differ from their captures, e.g. %s', v_bad, v_sample) end);
end;
$$;

create function wallet.hold(
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    expires_in interval default '15 minutes',
    metadata jsonb default '{}',
    client_id uuid default null
)
returns wallet.hold
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_namespace constant uuid := wallet_internal.key_namespace(client_id);
    v_metadata jsonb;
    v_fingerprint bytea;
    v_key_claimed boolean := false;
    v_stored jsonb;
    v_hold ledger.holds;
    v_shown wallet.hold;
begin
    -- The steps of a posting (30_postings.sql), without a transaction.
    perform wallet_internal.check_read_committed();
    perform wallet_internal.check_amount(amount);
    v_metadata := wallet_internal.checked_metadata(metadata);
    perform wallet_internal.check_hold_duration(expires_in);
    perform wallet_internal.authorize(client_id, 'hold', asset, amount);
    v_fingerprint := wallet_internal.fingerprint(pg_catalog.jsonb_build_array(
        'hold', user_id, asset, amount, extract(epoch from expires_in), v_metadata
    ));
    begin
        v_stored := wallet_internal.claim_key(v_namespace, idempotency_key, v_fingerprint);
        if v_stored is not null then
            return pg_catalog.jsonb_populate_record(null::wallet.hold, v_stored);
        end if;
        v_key_claimed := true;
        perform wallet_internal.postable_asset(asset);
        perform wallet_internal.lock_user(user_id);
        perform wallet_internal.check_available(wallet_internal.user_wallet(user_id, asset), amount, 'hold');
        insert into ledger.holds (user_id, asset, amount, expires_at, metadata, idempotency_key, client_id, sql_user)
        values (
            user_id, asset, amount, now() + expires_in, v_metadata, idempotency_key, client_id,
            case when client_id is null then session_user end
        )
        returning * into v_hold;
        v_shown := wallet_internal.shown_hold(v_hold);
        perform wallet_internal.store_hold_key(v_namespace, idempotency_key, v_fingerprint, v_shown);
        return v_shown;
    exception
        when lock_not_available then
            perform wallet_internal.raise_lock_timeout(
                idempotency_key, v_key_claimed, format('the wallet of user %s in %L', user_id, asset)
            );
    end;
end;
$$;

comment on function wallet.hold(uuid, text, bigint, text, interval, jsonb, uuid) is
$$Reserve credits of a user: they stay in the balance but are no longer available. Returns the hold.

Needs available >= amount (available = balance - held; wallet.balances shows both), else PW020.
expires_in: 1 second to 30 days; once past it the hold reserves nothing and reads as 'expired'
(no job needed). Capture it with wallet.capture (a spend of at most the hold) or free it with
wallet.release. idempotency_key, metadata and client_id (scope 'hold') as for wallet.topup: the
same key and request return the stored hold (replayed = true).
Errors: PW001 amount, PW002 expires_in or metadata, PW003 key, PW010 user, PW011 asset,
PW020 not available, PW030/PW031 key, PW032 busy, PW040 frozen, PW041 suspended,
PW070 revoked client, PW071 forbidden.$$;

create function wallet.capture(
    hold_id uuid,
    idempotency_key text,
    amount bigint default null,
    metadata jsonb default '{}',
    client_id uuid default null
)
returns wallet.receipt
language plpgsql
security definer
set search_path = ''
as $$
declare
    -- Read without a lock, for its user and asset, which never change; the
    -- posting locks the user and reads it again (wallet_internal.capturable_hold).
    v_hold constant ledger.holds := wallet_internal.get_hold(hold_id);
begin
    return pg_catalog.jsonb_populate_record(
        null::wallet.receipt,
        wallet_internal.post(
            'spend', v_hold.user_id, null, v_hold.asset, coalesce(amount, v_hold.amount), null, idempotency_key,
            metadata, client_id, false, v_hold.id
        )
    );
end;
$$;

comment on function wallet.capture(uuid, text, bigint, jsonb, uuid) is
$$Capture a hold: spend (user -> revenue) `amount` of it, by default all; the rest is released.

Returns the spend's receipt (kind spend; the transaction records its hold). The hold becomes
'captured' with captured_amount. idempotency_key, metadata and client_id (scope 'hold') as for
wallet.topup. Errors: PW013 unknown hold, PW024 amount above the hold, PW025 hold already
captured, released or expired, PW001 amount, PW003 key, PW030/PW031 key, PW032 busy,
PW040 frozen, PW041 suspended, PW070 revoked client, PW071 forbidden.$$;

create function wallet.release(hold_id uuid, idempotency_key text, client_id uuid default null)
returns wallet.hold
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_namespace constant uuid := wallet_internal.key_namespace(client_id);
    v_hold ledger.holds := wallet_internal.get_hold(hold_id);
    v_fingerprint constant bytea := wallet_internal.fingerprint(pg_catalog.jsonb_build_array('release', hold_id));
    v_key_claimed boolean := false;
    v_stored jsonb;
    v_shown wallet.hold;
begin
    perform wallet_internal.check_read_committed();
    perform wallet_internal.authorize(client_id, 'hold', v_hold.asset, null);
    begin
        v_stored := wallet_internal.claim_key(v_namespace, idempotency_key, v_fingerprint);
        if v_stored is not null then
            return pg_catalog.jsonb_populate_record(null::wallet.hold, v_stored);
        end if;
        v_key_claimed := true;
        perform wallet_internal.postable_asset(v_hold.asset);
        perform wallet_internal.lock_user(v_hold.user_id);
        perform wallet_internal.capturable_hold(hold_id);
        v_hold := wallet_internal.finish_hold(hold_id, 'released');
        v_shown := wallet_internal.shown_hold(v_hold);
        perform wallet_internal.store_hold_key(v_namespace, idempotency_key, v_fingerprint, v_shown);
        return v_shown;
    exception
        when lock_not_available then
            perform wallet_internal.raise_lock_timeout(
                idempotency_key, v_key_claimed, format('the wallet of user %s in %L', v_hold.user_id, v_hold.asset)
            );
    end;
end;
$$;

comment on function wallet.release(uuid, text, uuid) is
$$Release a hold: its credits are available again. Returns the hold, now 'released'.

idempotency_key and client_id (scope 'hold') as for wallet.topup: the same key for the same hold
returns the stored answer (replayed = true). Errors: PW013 unknown hold, PW025 hold already
captured, released or expired, PW003 key, PW030/PW031 key, PW032 busy, PW040 frozen,
PW041 suspended, PW070 revoked client, PW071 forbidden.$$;

create function wallet.get_hold(hold_id uuid)
returns wallet.hold
language sql
stable
security definer
set search_path = ''
as $$
    select * from wallet_internal.shown_hold(wallet_internal.get_hold(hold_id));
$$;

comment on function wallet.get_hold(uuid) is
$$One hold: held, captured (with captured_amount), released, or expired (past expires_at while held).

Errors: PW013 unknown hold.$$;

create function wallet.active_holds(user_id uuid, asset text default null)
returns setof wallet.hold
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.get_user(user_id);
    if asset is not null then
        perform wallet_internal.get_asset(asset);
    end if;
    return query
        select s.*
        from ledger.holds as h
        cross join lateral wallet_internal.shown_hold(h) as s
        where h.user_id = active_holds.user_id and h.status = 'held' and h.expires_at > now()
            and (active_holds.asset is null or h.asset = active_holds.asset)
        order by h.expires_at, h.id;
end;
$$;

comment on function wallet.active_holds(uuid, text) is
$$A user's holds that reserve credits now (held, not expired), optionally in one asset, soonest to expire first.

Errors: PW010 unknown user, PW011 unknown asset.$$;
