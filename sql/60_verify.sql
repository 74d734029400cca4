-- wallet.verify(): the proof that the balances are a cache of the ledger.

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
    -- Invariant 2a: every transaction is two entries that balance.
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
            or not bool_and(abs(e.amount) = t.amount and w.asset = t.asset)
    ) as t;
    return next ('transactions_balance'::text, v_bad = 0,
        case when v_bad = 0 then 'every transaction has one debit and one credit of its amount'
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

    -- Invariant 3a: each balance equals the sum of its entries.
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

    -- Invariant 1: no user wallet is negative (also a CHECK; verified anyway).
    select count(*) into v_bad from ledger.wallets as w where w.holder = 'user' and w.balance < 0;
    return next ('user_balances_not_negative'::text, v_bad = 0,
        format('%s negative user wallets', v_bad));

    -- Invariant 4: the guard triggers are installed and enabled.
    select count(*), string_agg(format('%s on ledger.%s', g.trigger_name, g.table_name), ', ')
    into v_bad, v_sample
    from (
        values
            ('transactions', '_100_append_only'),
            ('transactions', '_110_append_only_truncate'),
            ('entries', '_100_append_only'),
            ('entries', '_110_append_only_truncate'),
            ('wallets', '_100_append_only'),
            ('wallets', '_110_append_only_truncate'),
            ('wallets', '_200_balance_from_entries')
    ) as g (table_name, trigger_name)
    where not exists (
        select
        from pg_catalog.pg_trigger as tg
        where tg.tgrelid = pg_catalog.to_regclass('ledger.' || g.table_name)
            and tg.tgname = g.trigger_name
            and tg.tgenabled <> 'D'
    );
    return next ('append_only_enforced'::text, v_bad = 0,
        case when v_bad = 0 then 'the append-only and balance guards are enabled on the ledger tables'
        else format('missing or disabled: %s', v_sample) end);
end;
$$;

comment on function wallet.verify() is
$$Check the ledger's invariants over the whole database; one row per check.

transactions_balance and assets_sum_to_zero (invariant 2), balances_match_entries and
entries_record_balance_after (3), user_balances_not_negative (1), append_only_enforced (4).
Reads every entry: run it off-peak on a large ledger.$$;
