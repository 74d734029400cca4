-- Idempotency keys: the fingerprint of a request, the claim of its key, and
-- the stored receipt that a replay returns. Keys are per client: each client's
-- keys live in a namespace of their own, its id, and direct SQL callers share
-- the nil uuid's, so the same key from two callers is two keys, and no caller
-- can replay, be refused by, or learn of another's request.

-- The namespace of a caller's keys.
create function wallet_internal.key_namespace(client_id uuid)
returns uuid
language sql
immutable
parallel safe
as $$
    select coalesce(client_id, '00000000-0000-0000-0000-000000000000'::uuid);
$$;

-- The fingerprint of a posting request, given as a JSON array of everything
-- that makes it this request (wallet_internal.request).
create function wallet_internal.fingerprint(request jsonb)
returns bytea
language sql
stable
as $$
    -- jsonb's text form is canonical (sorted keys, no insignificant spaces), so
    -- equal requests give equal fingerprints whatever their JSON layout.
    select pg_catalog.sha256(pg_catalog.convert_to(request::text, 'UTF8'));
$$;

-- The advisory lock that claims a key: a 64-bit hash, so that two different
-- keys wait on each other (and the second is told "still being processed")
-- about once in 2^64 pairs, not once in a few hundred thousand keys as with a
-- 32-bit hash. The seed 0x70677769 ("pgwi") keeps these apart from
-- pgwallet's other advisory locks.
create function wallet_internal.key_lock(namespace uuid, idempotency_key text)
returns bigint
language sql
immutable
parallel safe
as $$
    select pg_catalog.hashtextextended(namespace::text || idempotency_key, 1885828969);
$$;

-- A key sent again with another request than the one that produced
-- `transaction_id` (or, for a hold or a release, that answered `hold_id`): PW030.
create function wallet_internal.key_reused_refusal(idempotency_key text, transaction_id uuid, hold_id uuid default null)
returns wallet_internal.refusal
language sql
stable
as $$
    select row(
        'PW030',
        format('idempotency key %L was already used with a different request', idempotency_key),
        case when transaction_id is not null then format('It produced transaction %s.', transaction_id)
            else format('It was used for hold %s.', hold_id) end,
        'Use a new key for a new request; repeat a request only with its exact body.'
    )::wallet_internal.refusal;
$$;

-- Claim an idempotency key for the calling transaction: step 1 of the lock
-- order (see 27_locking.sql). Returns the stored receipt (as JSON, whatever
-- its type: for a hold or a release, the hold), marked replayed, when the
-- same request already committed; null when the caller is to post, and then
-- stores the key with its receipt (wallet_internal.store_key, store_hold_key)
-- in the same transaction, so a crash or a refusal leaves no key behind.
--
-- The claim is a transaction-scoped advisory lock on the key's hash, not a
-- row: a duplicate that arrives while the first call runs waits on it, then
-- sees the first's committed key and replays (or, if the first rolled back,
-- posts itself). No row is written until the receipt is known, so the key is
-- stored by one insert. Two different keys whose hashes collide merely wait
-- on each other. The wait is bounded by the caller's lock_timeout (PW031).
create function wallet_internal.claim_key(namespace uuid, idempotency_key text, fingerprint bytea)
returns jsonb
language plpgsql
as $$
declare
    v_key ledger.idempotency_keys;
begin
    perform wallet_internal.check_idempotency_key(idempotency_key);

    perform pg_catalog.pg_advisory_xact_lock(wallet_internal.key_lock(namespace, idempotency_key));

    select * into v_key
    from ledger.idempotency_keys as k
    where k.namespace = claim_key.namespace and k.key = claim_key.idempotency_key;
    if not found then
        return null;
    end if;
    if v_key.expires_at <= now() then
        -- Expired keys may be reused: forget the old request.
        delete from ledger.idempotency_keys as k where k.namespace = v_key.namespace and k.key = v_key.key;
        return null;
    end if;
    if v_key.fingerprint <> fingerprint then
        perform wallet_internal.refuse(
            wallet_internal.key_reused_refusal(idempotency_key, v_key.transaction_id, v_key.hold_id)
        );
    end if;

    return v_key.receipt || '{"replayed": true}';
end;
$$;

-- Store a claimed key with the receipt of the posting it produced, for the
-- retention set in ledger.config. Called last, in the posting's transaction.
create function wallet_internal.store_key(
    namespace uuid, idempotency_key text, fingerprint bytea, transaction_id uuid, receipt jsonb
)
returns void
language plpgsql
as $$
begin
    insert into ledger.idempotency_keys (namespace, key, fingerprint, transaction_id, receipt, expires_at)
    select
        namespace,
        idempotency_key,
        fingerprint,
        transaction_id,
        receipt,
        now() + c.idempotency_retention
    from ledger.config as c;
end;
$$;

-- Store a claimed key of a hold or a release (which produce no transaction)
-- with the hold it answered, for the same retention.
create function wallet_internal.store_hold_key(
    namespace uuid, idempotency_key text, fingerprint bytea, hold wallet.hold
)
returns void
language sql
as $$
    insert into ledger.idempotency_keys (namespace, key, fingerprint, hold_id, receipt, expires_at)
    select
        namespace,
        idempotency_key,
        fingerprint,
        hold.hold_id,
        pg_catalog.to_jsonb(hold),
        now() + c.idempotency_retention
    from ledger.config as c;
$$;

-- Turn a lock wait that exceeded lock_timeout into the error that says which
-- wait it was: for the key, a duplicate still runs (PW031); after the key, a
-- wallet stayed busy (PW032). `busy` names what was locked: the user, or,
-- once the user is locked, the asset's system slots (all 64 held by others).
create function wallet_internal.raise_lock_timeout(
    idempotency_key text, key_claimed boolean, busy text
)
returns void
language plpgsql
as $$
begin
    if not key_claimed then
        raise exception using
            errcode = 'PW031',
            message = format('idempotency key %L is still being processed by another request', idempotency_key),
            hint = 'Retry in a moment: you will then get that request''s receipt.';
    end if;
    raise exception using
        errcode = 'PW032',
        message = format('%s is busy', busy),
        detail = 'A lock wait exceeded lock_timeout.',
        hint = 'Retry in a moment with the same idempotency key.';
end;
$$;
