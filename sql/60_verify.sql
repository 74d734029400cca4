-- wallet.verify(): the proof that the balances are a cache of the ledger, that
-- the ledger is what the postings wrote (each transaction against its
-- entries, each stored receipt against its transaction, each wallet's hash
-- chain), and that its guards stand as sql/ installed them. Nothing inside
-- PostgreSQL stops the owner or a superuser; this makes what they did show.

-- The guard triggers, as pg_get_triggerdef shows them when sql/ made them.
create function wallet_internal.guard_triggers()
returns table (table_name text, trigger_name text, definition text)
language sql
immutable
as $$
    select g.table_name, g.trigger_name, format('CREATE %sTRIGGER %s %s ON ledger.%s %sFOR EACH %s EXECUTE FUNCTION wallet_internal.%s()',
        case when g.trigger_name = '_300_balanced' then 'CONSTRAINT ' else '' end,
        g.trigger_name, g.events, g.table_name,
        case when g.trigger_name = '_300_balanced' then 'DEFERRABLE INITIALLY DEFERRED ' else '' end,
        g.level, g.function_name)
    from (
        values
            ('transactions', '_100_append_only', 'BEFORE DELETE OR UPDATE', 'ROW', 'tg_ledger__append_only'),
            ('transactions', '_110_append_only_truncate', 'BEFORE TRUNCATE', 'STATEMENT', 'tg_ledger__append_only'),
            ('transactions', '_300_balanced', 'AFTER INSERT', 'ROW', 'tg_transactions__balanced'),
            ('entries', '_100_append_only', 'BEFORE DELETE OR UPDATE', 'ROW', 'tg_ledger__append_only'),
            ('entries', '_110_append_only_truncate', 'BEFORE TRUNCATE', 'STATEMENT', 'tg_ledger__append_only'),
            ('wallets', '_100_append_only', 'BEFORE DELETE', 'ROW', 'tg_ledger__append_only'),
            ('wallets', '_110_append_only_truncate', 'BEFORE TRUNCATE', 'STATEMENT', 'tg_ledger__append_only'),
            ('events', '_100_append_only', 'BEFORE DELETE OR UPDATE', 'ROW', 'tg_ledger__append_only'),
            ('events', '_110_append_only_truncate', 'BEFORE TRUNCATE', 'STATEMENT', 'tg_ledger__append_only'),
            ('wallets', '_200_balance_from_entries', 'BEFORE UPDATE', 'ROW', 'tg_wallets__balance_from_entries'),
            ('idempotency_keys', '_100_expired_only', 'BEFORE DELETE OR UPDATE', 'ROW',
                'tg_idempotency_keys__expired_only'),
            ('idempotency_keys', '_110_append_only_truncate', 'BEFORE TRUNCATE', 'STATEMENT',
                'tg_ledger__append_only')
    ) as g (table_name, trigger_name, events, level, function_name);
$$;

-- The digest of each function of pgwallet's schemas as it is now; sql/99_seal.sql
-- stores the same at install time in ledger.installed_functions.
create function wallet_internal.function_digests()
returns table (signature text, digest bytea)
language sql
stable
as $$
    select p.oid::pg_catalog.regprocedure::text,
        pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.pg_get_functiondef(p.oid), 'UTF8'))
    from pg_catalog.pg_proc as p
    where p.pronamespace in (
        'wallet'::pg_catalog.regnamespace, 'wallet_internal'::pg_catalog.regnamespace,
        'ledger'::pg_catalog.regnamespace
    )
        and p.prokind = 'f';
$$;

-- Each entry's hash chains it to the previous entry of its wallet over its
-- own and its transaction's content: a changed entry or transaction breaks its
-- own link, a changed hash the next one, and each wallet's head (checked by
-- verify's balances_match_entries) anchors the last. Shared by verify() and
-- verify_against().
create function wallet_internal.check_hash_chains()
returns wallet.check_result
language sql
stable
as $$
    select
        'hash_chains_intact',
        count(*) = 0,
        case when count(*) = 0 then 'every entry''s hash chains it to its wallet''s previous entry'
        else format('%s entries break their wallet''s hash chain, e.g. %s', count(*),
            string_agg(r.id::text, ', ' order by r.id) filter (where r.n <= 5)) end
    from (
        select c.id, row_number() over (order by c.id) as n
        from (
            select
                e.id,
                e.hash,
                ledger.entry_hash(
                    lag(e.hash) over (partition by e.wallet_id order by e.id),
                    e.wallet_id, e.amount, e.balance_after, ledger.transaction_content(t)
                ) as expected
            from ledger.entries as e
            join ledger.transactions as t on t.id = e.transaction_id
        ) as c
        where c.hash is distinct from c.expected
    ) as r;
$$;

create function wallet.verify()
returns setof wallet.check_result
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_bad bigint;
    v_sample text;
begin
    -- Invariant 2a: every transaction is two entries that balance, in
    -- wallets that exist (no foreign key says so: migration 0011).
    select count(*), string_agg(t.id::text, ', ') filter (where t.n <= 5)
    into v_bad, v_sample
    from (
        select t.id, row_number() over (order by t.seq) as n
        from ledger.transactions as t
        left join ledger.entries as e on e.transaction_id = t.id
        left join ledger.wallets as w on w.id = e.wallet_id
        group by t.id
        having count(e.id) <> 2
            or coalesce(sum(e.amount), 0) <> 0
            or not bool_and(coalesce(abs(e.amount) = t.amount and w.asset = t.asset, false))
    ) as t;
    return next ('transactions_balance'::text, v_bad = 0,
        case when v_bad = 0 then 'every transaction has one debit and one credit of its amount, in wallets of its asset'
        else format('%s transactions do not balance, e.g. %s', v_bad, v_sample) end);

    -- Invariant 2b: per asset, all balances sum to zero.
    select count(*), string_agg(format('%s: %s', s.asset, s.total), ', ')
    into v_bad, v_sample
    from (
        select w.asset, sum(w.balance) as total
        from ledger.wallets as w
        group by w.asset
        having sum(w.balance) <> 0
    ) as s;
    return next ('assets_sum_to_zero'::text, v_bad = 0,
        case when v_bad = 0 then 'per asset, the balances of all wallets sum to 0'
        else format('sums are not 0: %s', v_sample) end);

    -- Invariant 2c: each transaction moved its amount between the wallets its
    -- kind names (wallet_internal.sides, the rule the postings follow): a
    -- rewritten kind, user, counterparty, asset or amount shows here.
    select count(*), string_agg(t.id::text, ', ') filter (where t.n <= 5)
    into v_bad, v_sample
    from (
        select t.id, row_number() over (order by t.seq) as n
        from ledger.transactions as t
        left join ledger.transactions as o on o.id = t.reverses
        left join lateral wallet_internal.sides(t.kind, o.kind, t.user_id, t.counterparty_user_id) as s on true
        join ledger.entries as e on e.transaction_id = t.id
        join ledger.wallets as w on w.id = e.wallet_id
        group by t.id
        having not bool_and(
            w.asset = t.asset
            and abs(e.amount) = t.amount
            and case
                when e.amount > 0 then (w.holder, w.user_id) is not distinct from (s.credit_holder, s.credit_user)
                else (w.holder, w.user_id) is not distinct from (s.debit_holder, s.debit_user)
            end
        )
    ) as t;
    return next ('transactions_match_entries'::text, v_bad = 0,
        case when v_bad = 0 then 'every transaction moved its amount between the wallets its kind names'
        else format('%s transactions differ from their entries, e.g. %s', v_bad, v_sample) end);

    -- Each reversal fits what it reverses: same asset and parties, and a
    -- transaction's reversals add up to no more than it.
    select count(*), string_agg(t.id::text, ', ') filter (where t.n <= 5)
    into v_bad, v_sample
    from (
        select t.id, row_number() over (order by t.seq) as n
        from ledger.transactions as t
        where t.reverses is not null and not wallet_internal.reversal_fits(t)
    ) as t;
    return next ('reversals_within_originals'::text, v_bad = 0,
        case when v_bad = 0 then 'every reversal fits what it reverses, and none exceeds it'
        else format('%s reversals do not fit what they reverse, e.g. %s', v_bad, v_sample) end);

    -- Invariant 3a: each balance equals the sum of its entries, and each
    -- wallet's head is its last entry's hash.
    select count(*), string_agg(format('wallet %s: balance %s, entries %s', b.id, b.balance, b.total), '; ')
        filter (where b.n <= 5)
    into v_bad, v_sample
    from (
        select w.id, w.balance, coalesce(sum(e.amount), 0) as total, row_number() over (order by w.id) as n
        from ledger.wallets as w
        left join ledger.entries as e on e.wallet_id = w.id
        group by w.id
        having w.balance <> coalesce(sum(e.amount), 0)
            or w.last_entry_id is distinct from max(e.id)
            or w.head is distinct from (select l.hash from ledger.entries as l where l.id = max(e.id))
    ) as b;
    return next ('balances_match_entries'::text, v_bad = 0,
        case when v_bad = 0 then 'every balance equals the sum of its entries'
        else format('%s wallets differ from their entries: %s', v_bad, v_sample) end);

    -- Invariant 3b: each entry records the balance it left behind.
    select count(*), string_agg(c.id::text, ', ') filter (where c.n <= 5)
    into v_bad, v_sample
    from (
        select r.id, row_number() over (order by r.id) as n
        from (
            select e.id, e.balance_after,
                sum(e.amount) over (partition by e.wallet_id order by e.id) as running
            from ledger.entries as e
        ) as r
        where r.balance_after <> r.running
    ) as c;
    return next ('entries_record_balance_after'::text, v_bad = 0,
        case when v_bad = 0 then 'every entry records the balance it left behind'
        else format('%s entries record a wrong balance_after, e.g. %s', v_bad, v_sample) end);

    -- Every entry belongs to a transaction (no foreign key says so: migration
    -- 0013; a wallet's guard refuses to move over one that does not).
    select count(*), string_agg(c.id::text, ', ') filter (where c.n <= 5)
    into v_bad, v_sample
    from (
        select e.id, row_number() over (order by e.id) as n
        from ledger.entries as e
        where not exists (select from ledger.transactions as t where t.id = e.transaction_id)
    ) as c;
    return next ('entries_belong_to_transactions'::text, v_bad = 0,
        case when v_bad = 0 then 'every entry belongs to a transaction'
        else format('%s entries belong to no transaction, e.g. %s', v_bad, v_sample) end);

    return next wallet_internal.check_hash_chains();

    -- Each stored receipt is its transaction's: a replay answers the truth,
    -- and each key names the transaction it produced (in its caller's namespace).
    -- The key of a hold or a release names its hold instead, and its stored
    -- hold is that hold (as it was then: its status may have moved on).
    select count(*), string_agg(format('%L', c.key), ', ') filter (where c.n <= 5)
    into v_bad, v_sample
    from (
        select k.key, row_number() over (order by k.key) as n
        from ledger.idempotency_keys as k
        left join ledger.transactions as t on t.id = k.transaction_id
        left join ledger.holds as h on h.id = k.hold_id
        -- The entries of the transaction's user and of its counterparty.
        left join lateral (
            select e.balance_after, e.hash
            from ledger.entries as e
            join ledger.wallets as w on w.id = e.wallet_id
            where e.transaction_id = t.id and w.user_id = t.user_id
        ) as u on true
        left join lateral (
            select e.balance_after, e.hash
            from ledger.entries as e
            join ledger.wallets as w on w.id = e.wallet_id
            where e.transaction_id = t.id and w.user_id = t.counterparty_user_id
        ) as c on true
        where not coalesce(
            case when k.transaction_id is null then
                (k.receipt ->> 'hold_id')::uuid = h.id
                and (k.receipt ->> 'user_id')::uuid = h.user_id
                and k.receipt ->> 'asset' = h.asset
                and (k.receipt ->> 'amount')::bigint = h.amount
                and (k.receipt ->> 'expires_at')::timestamptz = h.expires_at
                and (k.receipt ->> 'created_at')::timestamptz = h.created_at
            else
                t.idempotency_key = k.key
                and k.namespace = wallet_internal.key_namespace(t.client_id)
                and (k.receipt ->> 'transaction_id')::uuid = t.id
                and k.receipt ->> 'kind' = t.kind
                and k.receipt ->> 'asset' = t.asset
                and (k.receipt ->> 'amount')::bigint = t.amount
                and (k.receipt ->> 'created_at')::timestamptz = t.created_at
                and case when t.kind = 'transfer'
                    then (k.receipt ->> 'from_user_id')::uuid = t.user_id
                        and (k.receipt ->> 'to_user_id')::uuid = t.counterparty_user_id
                        and (k.receipt ->> 'from_balance')::bigint = u.balance_after
                        and (k.receipt ->> 'to_balance')::bigint = c.balance_after
                        and decode(substr(k.receipt ->> 'from_hash', 3), 'hex') = u.hash
                        and decode(substr(k.receipt ->> 'to_hash', 3), 'hex') = c.hash
                    else (k.receipt ->> 'user_id')::uuid = t.user_id
                        and (k.receipt ->> 'balance')::bigint = u.balance_after
                        and (k.receipt ->> 'hash' is null or decode(substr(k.receipt ->> 'hash', 3), 'hex') = u.hash)
                end
            end,
            false
        )
    ) as c;
    return next ('receipts_match_ledger'::text, v_bad = 0,
        case when v_bad = 0 then 'every stored receipt is its transaction''s or its hold''s'
        else format('%s idempotency keys differ from the ledger, e.g. %s', v_bad, v_sample) end);

    -- ... and no key was deleted before it expired (which would let its retry
    -- post twice): each transaction younger than the retention keeps its key.
    -- (Just after a DBA lengthens the retention, keys purged under the shorter
    -- one show here until they would have expired.)
    select count(*), string_agg(t.id::text, ', ') filter (where t.n <= 5)
    into v_bad, v_sample
    from (
        select t.id, row_number() over (order by t.seq) as n
        from ledger.transactions as t
        cross join ledger.config as c
        where t.created_at > now() - c.idempotency_retention
            and not exists (
                select
                from ledger.idempotency_keys as k
                where k.namespace = wallet_internal.key_namespace(t.client_id)
                    and k.key = t.idempotency_key
                    and k.transaction_id = t.id
            )
    ) as t;
    return next ('keys_kept'::text, v_bad = 0,
        case when v_bad = 0 then 'every transaction within the retention keeps its idempotency key'
        else format('%s transactions lost their idempotency key before it expired, e.g. %s', v_bad, v_sample)
        end);

    -- Every balance within bigint: a system wallet's total too, not only each slot.
    select count(*), string_agg(format('%s of %s: %s', t.holder, t.asset, t.total), ', ')
    into v_bad, v_sample
    from (
        select w.asset, w.holder, sum(w.balance) as total
        from ledger.wallets as w
        where w.user_id is null
        group by w.asset, w.holder
        having sum(w.balance) not between -wallet_internal.bigint_max() - 1 and wallet_internal.bigint_max()
    ) as t;
    return next ('system_totals_in_range'::text, v_bad = 0,
        case when v_bad = 0 then 'every system wallet''s total is within bigint'
        else format('system wallets beyond bigint: %s', v_sample) end);

    -- The system wallets on their side of 0: the treasury never above (it
    -- cannot take back more than it issued), revenue never below (it cannot
    -- refund more than was spent). Single slots may cross 0 (migration 0007).
    select count(*), string_agg(format('%s of %s: %s', t.holder, t.asset, t.total), ', ')
    into v_bad, v_sample
    from (
        select w.asset, w.holder, sum(w.balance) as total
        from ledger.wallets as w
        where w.user_id is null
        group by w.asset, w.holder
        having case w.holder when 'treasury' then sum(w.balance) > 0 else sum(w.balance) < 0 end
    ) as t;
    return next ('system_wallets_signed'::text, v_bad = 0,
        case when v_bad = 0 then 'every treasury is at most 0 and every revenue wallet at least 0'
        else format('system wallets on the wrong side of 0: %s', v_sample) end);

    -- Invariant 1: no user wallet is negative (also a CHECK; verified anyway).
    select count(*) into v_bad from ledger.wallets as w where w.holder = 'user' and w.balance < 0;
    return next ('user_balances_not_negative'::text, v_bad = 0,
        format('%s negative user wallets', v_bad));

    -- Invariant 7: holds (37_holds.sql).
    return query select * from wallet_internal.check_holds();

    -- Invariant 4: the guard triggers stand as sql/ made them: present,
    -- enabled in origin mode (not only for replicas, nor always, nor off),
    -- unconditional, on the same events, calling the same functions.
    select count(*), string_agg(format('%s on ledger.%s', g.trigger_name, g.table_name), ', ')
    into v_bad, v_sample
    from wallet_internal.guard_triggers() as g
    where not exists (
        select
        from pg_catalog.pg_trigger as tg
        where tg.tgrelid = pg_catalog.to_regclass('ledger.' || g.table_name)
            and tg.tgname = g.trigger_name
            and tg.tgenabled = 'O'
            and pg_catalog.pg_get_triggerdef(tg.oid) = g.definition
    );
    return next ('append_only_enforced'::text, v_bad = 0,
        case when v_bad = 0 then 'the append-only and balance guards stand on the ledger tables as installed'
        else format('missing, disabled, re-moded or changed: %s', v_sample) end);

    -- ... and every function (theirs and the API's) is the one `pgwallet
    -- migrate` installed: a replaced body is named here.
    select count(*), string_agg(f.signature, ', ') filter (where f.n <= 5)
    into v_bad, v_sample
    from (
        select coalesce(now_.signature, then_.signature) as signature,
            row_number() over (order by coalesce(now_.signature, then_.signature)) as n
        from wallet_internal.function_digests() as now_
        full join ledger.installed_functions as then_ on then_.signature = now_.signature
        where now_.digest is distinct from then_.digest
    ) as f;
    return next ('functions_as_installed'::text, v_bad = 0,
        case when v_bad = 0 then 'every function is the one pgwallet migrate installed'
        else format('%s functions differ from what pgwallet migrate installed: %s', v_bad, v_sample) end);
end;
$$;

comment on function wallet.verify() is
$$Check the ledger's invariants over the whole database; one row per check.

transactions_balance, assets_sum_to_zero, transactions_match_entries and
reversals_within_originals (invariant 2), balances_match_entries and entries_record_balance_after (3), hash_chains_intact,
receipts_match_ledger and keys_kept (what the postings wrote), system_totals_in_range,
system_wallets_signed and user_balances_not_negative (1, the range and the system wallets' sign),
holds_within_balances and captures_match_holds (7: holds),
append_only_enforced and functions_as_installed (4: the guards and functions as installed).
Reads every entry: run it off-peak on a large ledger.$$;
