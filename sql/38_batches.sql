-- Batches: up to 1 000 topups, bonuses and spends in one call and one commit
-- (wallet.post_batch). Each posting has the outcome it would have had alone,
-- in array order (a later one sees an earlier one's effect; a key repeated
-- inside the batch replays its first posting), and one posting's refusal
-- never touches another's. How, without giving up any guarantee:
--
-- * No subtransaction per posting. A posting is refused by recording the
--   refusal its rule returns (the *_refusal functions: the same rules, written
--   once, that a single posting raises), never by raising. (A subtransaction
--   per posting would overflow PostgreSQL's per-backend cache of 64
--   subtransaction ids and slow every other session's snapshots.) The batch
--   as a whole runs in one block, like a single posting: a lock wait longer
--   than lock_timeout, or a system wallet that needs its exact total
--   (PW900, then one retry), undoes all of it, and every posting may be
--   retried with its key.
-- * The one lock order, across the batch (27_locking.sql): first every key's
--   advisory lock, in ascending lock id; then every user, in ascending id;
--   then one slot per system wallet it touches, in order of (asset, holder),
--   or all 64 slots of each, in the same order, near the bigint limit. So
--   batches and single postings never wait on each other in a cycle.
-- * As little work per posting as the guarantees allow: the checks run on
--   balances kept in arrays, then the transactions, the entries and the
--   idempotency keys are written with one multi-row INSERT each, and each
--   wallet, a system slot or a user's, is updated once for the whole batch
--   (the balance guard accepts a wallet moved over several new entries, each
--   recording its balance). Each transaction is still checked at commit by
--   the deferred balance check, and chained into its wallets' hash chains in
--   order.
-- * Every statement is a lookup by key (a wallet by its user and asset, a
--   user by id, a key by its namespace and text) or an insert: no plan to
--   go wrong on a never-analyzed database.

-- The batch, in one block: parse, lock, judge each posting in order on
-- balances kept in arrays, write what posted, and return one row per posting.
-- With exact_total (the retry after PW900), every system wallet it touches
-- has all its slots locked and its total checked, as a single posting does
-- near the limit (wallet_internal.system_slot).
create function wallet_internal.post_batch(postings jsonb, client_id uuid, exact_total boolean default false)
returns setof wallet.batch_result
language plpgsql
as $$
declare
    v_namespace constant uuid := wallet_internal.key_namespace(client_id);
    v_client ledger.clients;
    v_items wallet_internal.batch_item[];
    v_item wallet_internal.batch_item;
    v_count integer;
    v_waiting_for text := 'keys';
    -- Per posting: its refusal, its receipt (posted or replayed), its
    -- fingerprint, its user wallet and system slot (indexes into the arrays
    -- below) and, when it posts, the balances it leaves.
    r_refusal wallet_internal.refusal[];
    r_receipt jsonb[];
    r_replays integer[];  -- the earlier posting of the batch whose receipt it replays
    r_fingerprint bytea[];
    r_wallet integer[];
    r_slot integer[];
    r_debit_after bigint[];
    r_credit_after bigint[];
    -- The assets of the batch, each with the refusal it gives (unknown, frozen).
    a_code text[];
    a_refusal wallet_internal.refusal[];
    -- The user wallets of the batch (user, asset), as they stand.
    w_user uuid[];
    w_asset text[];
    w_id bigint[];
    w_balance bigint[];
    w_held bigint[];  -- what the user's active holds reserve there (37_holds.sql)
    w_head bytea[];
    w_refusal wallet_internal.refusal[];  -- the asset's or the user's
    -- The system slots of the batch (asset, holder), as they stand.
    s_asset text[];
    s_holder text[];
    s_id bigint[];
    s_balance bigint[];
    s_head bytea[];
    s_total numeric[];
    -- Keys: the stored ones (key -> {fingerprint, transaction_id, receipt});
    -- for each posting, the one before it in the batch with the same key, and
    -- the earlier posting whose key it sent with another request (PW030).
    v_stored jsonb := '{}';
    r_previous integer[];
    r_reused integer[];
    v_key record;
    v_lock bigint;
    v_row record;
    v_slot record;
    v_debit_holder text;
    v_refusal wallet_internal.refusal;
    v_posting integer;
    v_posted integer[] := '{}';
    v_transactions ledger.transactions[];
    v_transaction ledger.transactions;
    v_content bytea;
    v_debit_hash bytea;
    v_credit_hash bytea;
    v_wallet integer;
    v_new_wallet bigint;
    -- The entries to write, then the last one of each wallet.
    e_transaction uuid[];
    e_wallet bigint[];
    e_amount bigint[];
    e_after bigint[];
    e_hash bytea[];
    e_last bigint[];
    v_receipt wallet.receipt;
    i integer;
begin
    perform wallet_internal.check_read_committed();
    perform wallet_internal.refuse(wallet_internal.batch_refusal(postings));
    -- As in a single posting: the balance check runs at commit.
    set constraints ledger._300_balanced deferred;
    if client_id is not null then
        select * into v_client from ledger.clients as c where c.id = post_batch.client_id;
    end if;
    select array_agg(b order by b.item) into v_items
    from wallet_internal.batch_items(postings, v_client, client_id) as b;
    v_count := cardinality(v_items);
    r_refusal := array_fill(null::wallet_internal.refusal, array[v_count]);
    r_receipt := array_fill(null::jsonb, array[v_count]);
    r_replays := array_fill(null::integer, array[v_count]);
    r_reused := array_fill(null::integer, array[v_count]);
    select array_agg(p.previous order by p.item) into r_previous
    from (
        select b.item, lag(b.item) over (partition by b.idempotency_key order by b.item) as previous
        from unnest(v_items) as b
    ) as p;
    r_debit_after := array_fill(null::bigint, array[v_count]);
    r_credit_after := array_fill(null::bigint, array[v_count]);
    for i in 1 .. v_count loop
        v_item := v_items[i];
        r_refusal[i] := v_item.refusal;
        r_fingerprint[i] := wallet_internal.fingerprint(wallet_internal.request(
            v_item.kind, v_item.user_id, null, v_item.asset, v_item.amount, null, v_item.metadata
        ));
    end loop;

    begin
        -- Step 1: every key's advisory lock, in ascending lock id; then the
        -- stored keys, one lookup each (an expired one is forgotten, as a
        -- single claim does).
        for v_lock in
            select distinct wallet_internal.key_lock(v_namespace, b.idempotency_key) as lock_id
            from unnest(v_items) as b
            where (b.refusal).sqlstate is null
            order by lock_id
        loop
            perform pg_catalog.pg_advisory_xact_lock(v_lock);
        end loop;
        for v_key in
            select k.*
            from (select distinct b.idempotency_key from unnest(v_items) as b where (b.refusal).sqlstate is null) as b
            cross join lateral (
                select * from ledger.idempotency_keys as k
                where k.namespace = v_namespace and k.key = b.idempotency_key
            ) as k
        loop
            if v_key.expires_at <= now() then
                delete from ledger.idempotency_keys as k where k.namespace = v_key.namespace and k.key = v_key.key;
            else
                v_stored := v_stored || pg_catalog.jsonb_build_object(v_key.key, pg_catalog.jsonb_build_object(
                    'fingerprint', pg_catalog.encode(v_key.fingerprint, 'hex'),
                    'transaction_id', v_key.transaction_id,
                    'receipt', v_key.receipt
                ));
            end if;
        end loop;

        -- Step 3: the users, in ascending id, and the user wallets as they
        -- stand, each with the refusal its asset or user gives (asset first,
        -- as a single posting checks it). Postings judged by their key alone
        -- lock nothing more.
        v_waiting_for := 'the users of the batch';
        perform
        from (
            select distinct b.user_id from unnest(v_items) as b where (b.refusal).sqlstate is null order by b.user_id
        ) as x
        cross join lateral (
            select u.id from ledger.users as u where u.id = x.user_id for no key update
        ) as locked;
        select array_agg(x.code order by x.code), array_agg(wallet_internal.asset_refusal(a, x.code) order by x.code)
        into a_code, a_refusal
        from (select distinct b.asset as code from unnest(v_items) as b where (b.refusal).sqlstate is null) as x
        left join lateral (select * from ledger.assets as a where a.code = x.code) as a on true;
        select
            array_agg(p.user_id order by p.user_id, p.asset),
            array_agg(p.asset order by p.user_id, p.asset),
            array_agg(w.id order by p.user_id, p.asset),
            array_agg(coalesce(w.balance, 0) order by p.user_id, p.asset),
            array_agg(wallet_internal.held(p.user_id, p.asset) order by p.user_id, p.asset),
            array_agg(w.head order by p.user_id, p.asset),
            array_agg(coalesce(
                a_refusal[array_position(a_code, p.asset)], wallet_internal.user_refusal(u, p.user_id)
            ) order by p.user_id, p.asset)
        into w_user, w_asset, w_id, w_balance, w_held, w_head, w_refusal
        from (
            select distinct b.user_id, b.asset from unnest(v_items) as b where (b.refusal).sqlstate is null
        ) as p
        left join lateral (select * from ledger.users as u where u.id = p.user_id) as u on true
        left join lateral (
            select * from ledger.wallets as w
            where w.user_id = p.user_id and w.asset = p.asset and w.holder = 'user' and w.slot = 0
        ) as w on true;

        -- Step 4: one slot of each system wallet the batch may move credits
        -- through, in order of (asset, holder); sized for all its postings at
        -- once, so that none of them needs the exact total unless the batch
        -- together does (then PW900, and the retry locks all slots).
        v_waiting_for := 'the system slots of the batch';
        for v_row in
            select b.asset, case when b.kind = 'spend' then 'revenue' else 'treasury' end as holder,
                least(sum(b.amount::numeric), wallet_internal.bigint_max())::bigint as bound
            from unnest(v_items) as b
            where (b.refusal).sqlstate is null and (a_refusal[array_position(a_code, b.asset)]).sqlstate is null
            group by 1, 2
            order by 1, 2
        loop
            if exact_total then
                v_slot := wallet_internal.take_all_slots(v_row.asset, v_row.holder, v_row.holder = 'treasury');
            else
                v_slot := wallet_internal.system_slot(
                    v_row.holder, v_row.asset, v_row.bound, v_row.holder = 'treasury', false
                );
            end if;
            s_asset := s_asset || v_row.asset;
            s_holder := s_holder || v_row.holder;
            s_id := s_id || (v_slot.slot).id;
            s_balance := s_balance || (v_slot.slot).balance;
            s_head := s_head || (v_slot.slot).head;
            s_total := s_total || v_slot.total;
        end loop;

        -- Each posting's user wallet and system slot, found once.
        select
            array_agg(w.position order by b.item),
            array_agg(s.position order by b.item)
        into r_wallet, r_slot
        from unnest(v_items) as b
        left join unnest(w_user, w_asset) with ordinality as w (user_id, asset, position)
            on w.user_id = b.user_id and w.asset = b.asset
        left join unnest(s_asset, s_holder) with ordinality as s (asset, holder, position)
            on s.asset = b.asset and s.holder = case when b.kind = 'spend' then 'revenue' else 'treasury' end;

        -- Judge each posting in order, on the balances as the postings before
        -- it left them.
        for i in 1 .. v_count loop
            v_item := v_items[i];
            continue when (r_refusal[i]).sqlstate is not null;
            -- The key of a posting earlier in this batch that posted ('{}'
            -- marks those until their receipts are written)?
            v_posting := r_previous[i];
            while v_posting is not null and r_receipt[v_posting] is distinct from '{}' loop
                v_posting := r_previous[v_posting];
            end loop;
            if v_posting is not null then
                if r_fingerprint[v_posting] = r_fingerprint[i] then
                    r_replays[i] := v_posting;  -- its receipt, once written
                else
                    r_reused[i] := v_posting;  -- refused, naming its transaction once written
                end if;
                continue;
            end if;
            if v_stored ? v_item.idempotency_key then
                if v_stored -> v_item.idempotency_key ->> 'fingerprint' = pg_catalog.encode(r_fingerprint[i], 'hex') then
                    r_receipt[i] := (v_stored -> v_item.idempotency_key -> 'receipt') || '{"replayed": true}';
                else
                    r_refusal[i] := wallet_internal.key_reused_refusal(
                        v_item.idempotency_key, (v_stored -> v_item.idempotency_key ->> 'transaction_id')::uuid
                    );
                end if;
                continue;
            end if;
            v_wallet := r_wallet[i];
            if (w_refusal[v_wallet]).sqlstate is not null then
                r_refusal[i] := w_refusal[v_wallet];
                continue;
            end if;
            if v_item.kind = 'spend' then
                v_debit_holder := 'user';
                -- A spend takes only what is available beside the user's holds
                -- (a batch places, captures and releases none: held stays).
                v_refusal := coalesce(
                    wallet_internal.available_refusal(
                        v_item.kind, v_item.asset, v_item.amount, v_item.user_id, w_balance[v_wallet],
                        w_held[v_wallet]
                    ),
                    wallet_internal.funds_refusal(
                        v_item.kind, v_item.asset, v_item.amount,
                        'user', v_item.user_id, w_balance[v_wallet],
                        'revenue', null, s_balance[r_slot[i]]
                    )
                );
            else
                v_debit_holder := 'treasury';
                v_refusal := wallet_internal.funds_refusal(
                    v_item.kind, v_item.asset, v_item.amount,
                    'treasury', null, s_balance[r_slot[i]],
                    'user', v_item.user_id, w_balance[v_wallet]
                );
            end if;
            v_refusal := coalesce(v_refusal, wallet_internal.system_total_refusal(
                s_holder[r_slot[i]], v_item.asset, s_total[r_slot[i]], v_item.amount, v_debit_holder = 'treasury'
            ));
            if v_refusal.sqlstate is not null then
                r_refusal[i] := v_refusal;
                continue;
            end if;
            -- It posts: move the balances for the postings after it.
            if v_debit_holder = 'user' then
                w_balance[v_wallet] := w_balance[v_wallet] - v_item.amount;
                s_balance[r_slot[i]] := s_balance[r_slot[i]] + v_item.amount;
                s_total[r_slot[i]] := s_total[r_slot[i]] + v_item.amount;
                r_debit_after[i] := w_balance[v_wallet];
                r_credit_after[i] := s_balance[r_slot[i]];
            else
                s_balance[r_slot[i]] := s_balance[r_slot[i]] - v_item.amount;
                s_total[r_slot[i]] := s_total[r_slot[i]] - v_item.amount;
                w_balance[v_wallet] := w_balance[v_wallet] + v_item.amount;
                r_debit_after[i] := s_balance[r_slot[i]];
                r_credit_after[i] := w_balance[v_wallet];
            end if;
            v_posted[cardinality(v_posted) + 1] := i;  -- in place: || would copy the array
            r_receipt[i] := '{}';  -- written below, once the transaction exists
        end loop;

        if cardinality(v_posted) > 0 then
            -- The mark the balance check looks for at commit (50_triggers.sql).
            perform pg_catalog.set_config('pgwallet.posting', 'on', true);
            -- A user's wallet appears on its first credit.
            for v_wallet in 1 .. cardinality(w_id) loop
                if w_id[v_wallet] is null and exists (
                    select from unnest(v_posted) as p (i)
                    where r_wallet[p.i] = v_wallet and v_items[p.i].kind <> 'spend'
                ) then
                    insert into ledger.wallets (asset, holder, user_id)
                    values (w_asset[v_wallet], 'user', w_user[v_wallet])
                    returning id into v_new_wallet;
                    w_id[v_wallet] := v_new_wallet;
                end if;
            end loop;
            -- The transactions, in order (their seq follows the insert's order).
            with inserted as (
                insert into ledger.transactions (kind, asset, user_id, amount, metadata, idempotency_key, client_id, sql_user)
                select b.kind, b.asset, b.user_id, b.amount, b.metadata, b.idempotency_key, client_id,
                    case when client_id is null then session_user end
                from unnest(v_posted) with ordinality as p (i, position)
                cross join lateral (select (v_items[p.i]).*) as b
                order by p.position
                returning *
            )
            select array_agg(t order by t.seq) into v_transactions from inserted as t;
            -- Each entry chained to its wallet's previous one, in order; then
            -- the entries with one insert, and each wallet updated once, to
            -- its last entry.
            for v_posting in 1 .. cardinality(v_posted) loop
                i := v_posted[v_posting];
                v_item := v_items[i];
                v_transaction := v_transactions[v_posting];
                v_content := ledger.transaction_content(v_transaction);
                v_wallet := r_wallet[i];
                if v_item.kind = 'spend' then
                    v_debit_hash := ledger.entry_hash(
                        w_head[v_wallet], w_id[v_wallet], -v_item.amount, r_debit_after[i], v_content
                    );
                    v_credit_hash := ledger.entry_hash(
                        s_head[r_slot[i]], s_id[r_slot[i]], v_item.amount, r_credit_after[i], v_content
                    );
                    w_head[v_wallet] := v_debit_hash;
                    s_head[r_slot[i]] := v_credit_hash;
                    e_wallet[2 * v_posting - 1] := w_id[v_wallet];
                    e_wallet[2 * v_posting] := s_id[r_slot[i]];
                else
                    v_debit_hash := ledger.entry_hash(
                        s_head[r_slot[i]], s_id[r_slot[i]], -v_item.amount, r_debit_after[i], v_content
                    );
                    v_credit_hash := ledger.entry_hash(
                        w_head[v_wallet], w_id[v_wallet], v_item.amount, r_credit_after[i], v_content
                    );
                    s_head[r_slot[i]] := v_debit_hash;
                    w_head[v_wallet] := v_credit_hash;
                    e_wallet[2 * v_posting - 1] := s_id[r_slot[i]];
                    e_wallet[2 * v_posting] := w_id[v_wallet];
                end if;
                -- Element by element, in place (|| would copy each array each time).
                e_transaction[2 * v_posting - 1] := v_transaction.id;
                e_transaction[2 * v_posting] := v_transaction.id;
                e_amount[2 * v_posting - 1] := -v_item.amount;
                e_amount[2 * v_posting] := v_item.amount;
                e_after[2 * v_posting - 1] := r_debit_after[i];
                e_after[2 * v_posting] := r_credit_after[i];
                e_hash[2 * v_posting - 1] := v_debit_hash;
                e_hash[2 * v_posting] := v_credit_hash;
                r_receipt[i] := wallet_internal.receipt(
                    v_item.kind, v_item.user_id, null, v_item.asset, v_item.amount,
                    (v_transaction.id, v_transaction.created_at, v_debit_hash, v_credit_hash),
                    case when v_item.kind = 'spend' then v_item.user_id end, r_debit_after[i], r_credit_after[i]
                );
            end loop;
            with inserted as (
                insert into ledger.entries (transaction_id, wallet_id, amount, balance_after, hash)
                select e.transaction_id, e.wallet_id, e.amount, e.balance_after, e.hash
                from unnest(e_transaction, e_wallet, e_amount, e_after, e_hash)
                    with ordinality as e (transaction_id, wallet_id, amount, balance_after, hash, position)
                order by e.position
                returning id, wallet_id, balance_after, hash
            )
            select
                array_agg(l.wallet_id), array_agg(l.id), array_agg(l.balance_after), array_agg(l.hash)
            into e_wallet, e_last, e_after, e_hash
            from (select distinct on (n.wallet_id) n.* from inserted as n order by n.wallet_id, n.id desc) as l;
            -- One statement, each wallet found by its primary key (= any: no join
            -- for a planner to turn into a scan).
            update ledger.wallets as w
            set balance = e_after[pg_catalog.array_position(e_wallet, w.id)],
                last_entry_id = e_last[pg_catalog.array_position(e_wallet, w.id)],
                head = e_hash[pg_catalog.array_position(e_wallet, w.id)]
            where w.id = any(e_wallet);
            insert into ledger.idempotency_keys (namespace, key, fingerprint, transaction_id, receipt, expires_at)
            select
                v_namespace,
                v_items[p.i].idempotency_key,
                r_fingerprint[p.i],
                (r_receipt[p.i] ->> 'transaction_id')::uuid,
                r_receipt[p.i],
                now() + c.idempotency_retention
            from unnest(v_posted) as p (i)
            cross join ledger.config as c;
            for i in 1 .. v_count loop
                if r_replays[i] is not null then
                    r_receipt[i] := r_receipt[r_replays[i]] || '{"replayed": true}';
                elsif r_reused[i] is not null then
                    r_refusal[i] := wallet_internal.key_reused_refusal(
                        v_items[i].idempotency_key, (r_receipt[r_reused[i]] ->> 'transaction_id')::uuid
                    );
                end if;
            end loop;
            if exact_total then
                for v_wallet in 1 .. cardinality(s_asset) loop
                    perform wallet_internal.mark_near_limit(s_holder[v_wallet], s_asset[v_wallet]);
                end loop;
            end if;
        end if;
    exception
        when sqlstate 'PW900' then
            -- Near the limit: all of it is rolled back; again, with exact totals.
            return query select * from wallet_internal.post_batch(postings, client_id, true);
            return;
        when lock_not_available then
            perform wallet_internal.refuse(row(
                case when v_waiting_for = 'keys' then 'PW031' else 'PW032' end,
                case when v_waiting_for = 'keys'
                    then 'a request with a key of this batch is still being processed by another request'
                    else format('%s are busy', v_waiting_for)
                end,
                'A lock wait exceeded lock_timeout; nothing of the batch was posted.',
                'Retry the batch in a moment with the same keys.'
            )::wallet_internal.refusal);
    end;

    for i in 1 .. v_count loop
        if (r_refusal[i]).sqlstate is not null then
            v_item := v_items[i];
            return next (
                i, false, null, v_item.kind, v_item.user_id, v_item.asset, v_item.amount, null, null, null,
                (r_refusal[i]).sqlstate, (r_refusal[i]).message, null, (r_refusal[i]).detail, (r_refusal[i]).hint
            )::wallet.batch_result;
        else
            v_receipt := pg_catalog.jsonb_populate_record(null::wallet.receipt, r_receipt[i]);
            return next (
                i, true, v_receipt.transaction_id, v_receipt.kind, v_receipt.user_id, v_receipt.asset,
                v_receipt.amount, v_receipt.balance, v_receipt.created_at, v_receipt.replayed,
                null, null, v_receipt.hash, null, null
            )::wallet.batch_result;
        end if;
    end loop;
end;
$$;

create function wallet.post_batch(postings jsonb, client_id uuid default null)
returns setof wallet.batch_result
language sql
security definer
set search_path = ''
as $$
    select * from wallet_internal.post_batch(postings, client_id);
$$;

comment on function wallet.post_batch(jsonb, uuid) is
$$Post up to 1000 topups, bonuses and spends in one call and one commit; one row per posting, in order.

postings: a JSON array of 1..1000 objects {"kind": topup|bonus|spend, "user_id", "asset", "amount"
(a JSON integer or a string of digits), "idempotency_key", "metadata"?}. Each posting has the
outcome it would have had alone, in array order: a later one sees an earlier one's effect, a key
repeated in the batch replays its first posting, a refusal (error_code: PW001, PW020...) leaves
the others untouched. Keys, client_id and rights as wallet.topup (the client needs each kind's
scope). Should the call fail as a whole (a lock wait past lock_timeout: PW031 or PW032), nothing
of it remains and every posting may be retried with its key. A malformed batch: PW002.$$;
