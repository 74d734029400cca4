-- The event feed: wallet.events(after, "limit") returns every transaction
-- once, numbered by event_id, so that a reader who pages with `after` = the
-- last event_id it saw never misses one.
--
-- WHY NOT THE SEQUENCE. ledger.transactions.seq is taken when a posting
-- inserts its row, but the row becomes visible when the posting commits, and
-- postings commit in any order: T1 takes seq 10, T2 takes seq 11 and commits,
-- a reader reads up to 11, then T1 commits. A reader paging by seq has passed
-- 10 and never sees T1.
--
-- THE DESIGN. A posting only records its database transaction's id in
-- ledger.transactions.xid (the column's default, pg_current_xact_id(): one
-- more column and index entry, no lock, no extra statement, so postings do
-- not wait on each other or on readers). Event ids are given later, by
-- readers: each call of wallet.events first numbers what its snapshot shows
-- committed and not yet numbered (wallet_internal.number_events), then reads
-- the numbered events after `after`. ledger.event_horizon keeps the snapshot
-- of the last complete numbering, H.
--
-- WHY IT CANNOT SKIP.
--   (I) Every transaction visible in H has an event. True after migration
--       0009 (it numbered every earlier row, and H is its snapshot). A
--       numbering, holding the numbering lock, reads H, takes a snapshot S,
--       then in a later statement (whose snapshot shows everything S shows)
--       inserts an event for every visible transaction that H did not show
--       (its xid is at or past H's xmax, or in H's list of running xids: the
--       two index lookups below) and that has none yet. So afterwards every
--       transaction visible in S has an event, and it stores H := S. A
--       numbering cut short by its batch size keeps the old H, which (I)
--       still holds for. An aborted numbering changes nothing.
--  (II) Numberings run one at a time (a transaction-level advisory lock,
--       released only once the numbering's commit is visible), and the
--       identity of ledger.events caches no values, so a numbering's ids are
--       all greater than every id an earlier numbering committed, and all of
--       one numbering become visible at once.
-- So the committed event ids grow in the order they become visible: once a
-- reader has seen event N, any event it has not seen yet is numbered later
-- than N and has a greater id. A transaction that took its seq early and
-- commits late is simply numbered late, after whatever was numbered first:
-- the reader receives it, once (transaction_id is unique in ledger.events).
-- Rows written before migration 0009 have no xid; H shows them all.
--
-- Costs and limits. A reader waits for a numbering under way (a few
-- milliseconds), so a call returns everything committed before it began;
-- should the lock stay held longer than 2 s (a psql session that called
-- wallet.events in a transaction it keeps open), the call returns what is
-- numbered, and numbering resumes when that session ends. A posting that
-- runs for long is in H's list of running xids until it ends: that costs
-- each numbering one index lookup, not a wait. Numbering writes, so it runs
-- only in a READ COMMITTED read-write transaction (not on a replica, nor in a
-- REPEATABLE READ report, where wallet.events returns what is already
-- numbered).

create type wallet.event as (
    event_id bigint,
    transaction_id uuid,
    kind text,
    user_id uuid,
    counterparty_user_id uuid, -- a transfer's receiver; for its reversal, the original sender
    asset text,
    amount bigint,
    reverses uuid,             -- the transaction a reversal undoes
    client_id uuid,            -- the client that posted it; null for a direct SQL call
    created_at timestamptz,
    metadata jsonb
);

comment on type wallet.event is 'One transaction in the event feed (wallet.events).';

-- Number the transactions committed since the last numbering (see above).
-- Returns how many it numbered (0 also when the lock stayed held for 2 s).
create function wallet_internal.number_events()
returns integer
language plpgsql
set lock_timeout = '2s'
as $$
declare
    -- A bound on one numbering's work and lock time; the rest is numbered by
    -- the next call.
    c_batch constant integer := 10000;
    v_horizon pg_snapshot;
    v_now pg_snapshot;
    v_numbered integer;
begin
    if pg_catalog.current_setting('transaction_isolation') <> 'read committed'
        or pg_catalog.current_setting('transaction_read_only')::boolean then
        return 0;
    end if;
    -- The two-key form of the advisory lock is a space apart from the
    -- one-key locks of idempotency keys (25_idempotency.sql); 0x70677765 is
    -- "pgwe". No posting takes it, so it is outside THE LOCK ORDER.
    begin
        perform pg_catalog.pg_advisory_xact_lock(1885828965, 0);
    exception
        when lock_not_available then
            return 0;
    end;
    -- A new statement, so a snapshot taken after the previous numbering's commit.
    select h.snapshot into strict v_horizon from ledger.event_horizon as h;
    v_now := pg_catalog.pg_current_snapshot();

    insert into ledger.events (transaction_id)
    select c.id
    from (
        select t.id, t.xid, t.seq
        from ledger.transactions as t
        where t.xid >= pg_catalog.pg_snapshot_xmax(v_horizon)
        union all
        select t.id, t.xid, t.seq
        from pg_catalog.pg_snapshot_xip(v_horizon) as running (xid)
        inner join ledger.transactions as t on running.xid = t.xid
    ) as c
    where not exists (select from ledger.events as e where e.transaction_id = c.id)
    order by c.xid, c.seq
    limit c_batch;
    get diagnostics v_numbered = row_count;

    -- Rewritten only when it moved, so idle readers write nothing.
    if v_numbered < c_batch and v_now::text <> v_horizon::text then
        update ledger.event_horizon set snapshot = v_now;
    end if;
    return v_numbered;
end;
$$;

create function wallet.events(after bigint default 0, "limit" integer default 100)
returns setof wallet.event
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.check_limit("limit");
    if events.after is null or events.after < 0 then
        raise exception using
            errcode = 'PW002',
            message = format('invalid after: %s (an event_id, 0 for the beginning)',
                coalesce(events.after::text, 'null'));
    end if;
    perform wallet_internal.number_events();
    -- A new statement, so it sees the numbering's events (which commit with
    -- the caller's transaction).
    return query
        select
            e.event_id,
            t.id,
            t.kind,
            t.user_id,
            t.counterparty_user_id,
            t.asset,
            t.amount,
            t.reverses,
            t.client_id,
            t.created_at,
            t.metadata
        from ledger.events as e
        inner join ledger.transactions as t on e.transaction_id = t.id
        where e.event_id > events.after
        order by e.event_id
        limit "limit";
end;
$$;

comment on function wallet.events(bigint, integer) is
$$The event feed: every transaction once, in the order it became visible, after event_id "after".

Page with "after" = the last event_id you saw (0 for the beginning); "limit" 1-500 (default 100).
A transaction that took its place early but committed late is numbered when it commits, after
what you have already seen, so a reader paging this way never skips one (sql/70_events.sql says
why). In a READ COMMITTED read-write transaction the call first numbers what has committed since
the last call; elsewhere (a replica, REPEATABLE READ) it returns what is already numbered.
Errors: PW002 bad "after" or "limit".$$;

create function wallet.last_event_id()
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.number_events();
    return coalesce((select max(e.event_id) from ledger.events as e), 0);
end;
$$;

comment on function wallet.last_event_id() is
$$The newest event_id (0 when there is none), after numbering what has committed.

A consumer that wants only what happens from now on starts with "after" = this. The facade's
waker polls it to learn, with one cheap call, that something new has arrived.$$;
