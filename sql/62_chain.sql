-- Publishing the hash chains: wallet.chain_head() digests every wallet's head,
-- to be kept outside the database (the event relay publishes it, a DBA may
-- store it anywhere); wallet.verify_against(head) proves later that the ledger
-- still holds, unchanged, everything that head covered.
--
-- Which entries a head covers: entries are numbered when written, not when
-- committed, so an entry with a smaller id may commit after a larger one is
-- visible. chain_head therefore takes the largest visible id, then waits until
-- every transaction running at that moment has ended: after that no entry
-- below it can appear, and "the first N entries by id" names the same set
-- forever (the ledger is append-only). Within one wallet, ids follow commit
-- order (a posting holds its wallets until it ends).

-- The digest of the wallets' chains over the entries with id <= up_to: each
-- wallet's last such entry's hash, in wallet order.
create function wallet_internal.chain_digest(up_to bigint)
returns bytea
language sql
stable
as $$
    select pg_catalog.sha256(pg_catalog.convert_to(coalesce(
        string_agg(w.id::text || ':' || pg_catalog.encode(h.hash, 'hex'), ',' order by w.id), ''
    ), 'UTF8'))
    from ledger.wallets as w
    cross join lateral (
        select e.hash
        from ledger.entries as e
        where e.wallet_id = w.id and e.id <= up_to
        order by e.id desc
        limit 1
    ) as h;
$$;

create function wallet.chain_head()
returns wallet.chain_head
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_up_to constant bigint := coalesce((select max(e.id) from ledger.entries as e), 0);
    v_running constant pg_catalog.pg_snapshot := pg_catalog.pg_current_snapshot();
    v_deadline constant timestamptz := pg_catalog.clock_timestamp() + interval '10 seconds';
begin
    while exists (
        select
        from pg_catalog.pg_snapshot_xip(v_running) as x (xid)
        where pg_catalog.pg_xact_status(x.xid) = 'in progress'
    ) loop
        if pg_catalog.clock_timestamp() > v_deadline then
            raise exception using
                errcode = 'PW032',
                message = 'a transaction that was running when the head was taken is still running',
                hint = 'Retry in a moment; a session idle in a transaction holds it up.';
        end if;
        perform pg_catalog.pg_sleep(0.01);
    end loop;
    return (
        wallet_internal.chain_digest(v_up_to),
        (select count(*) from ledger.entries as e where e.id <= v_up_to),
        now()
    );
end;
$$;

comment on function wallet.chain_head() is
$$The digest of every wallet's hash chain now, and how many entries it covers: publish it.

Keep the row anywhere outside the database; wallet.verify_against(head) proves later that the
ledger still holds, unchanged, every entry it covered. Waits (up to 10 s, then PW032) for the
transactions running when it is taken, so that it covers a set of entries that cannot grow.$$;

create function wallet.verify_against(head wallet.chain_head)
returns setof wallet.check_result
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_up_to bigint;
    v_held bigint;
begin
    -- The id of the head's last entry: the entries-th by id, since none can
    -- appear below it after the head was taken.
    select e.id into v_up_to
    from ledger.entries as e
    order by e.id
    offset greatest(head.entries - 1, 0)
    limit 1;
    select count(*) into v_held from ledger.entries as e where e.id <= v_up_to;
    return next ('entries_still_held'::text, head.entries = 0 or v_held = head.entries,
        format('the head of %s covered %s entries; the ledger holds %s of them',
            head.taken_at, head.entries, coalesce(v_held, 0)));
    return next ('head_digest_matches'::text,
        head.entries = 0 or wallet_internal.chain_digest(v_up_to) = head.digest,
        case when head.entries = 0 or wallet_internal.chain_digest(v_up_to) = head.digest
            then 'every wallet''s chain still ends where the head saw it'
        else 'the wallets'' chains differ from the head: entries it covered were changed, removed or added'
        end);
    return next wallet_internal.check_hash_chains();
end;
$$;

comment on function wallet.verify_against(wallet.chain_head) is
$$Prove that the ledger still holds, unchanged, everything a published chain head covered.

One row per check: entries_still_held, head_digest_matches (the chains end where the head saw
them), hash_chains_intact (every link, as in wallet.verify()).$$;
