-- wallet.balances as it was before holds (commit e7c52c8), for comparison
-- only: the "today" of issue #15's target, that wallet.balances with held and
-- available costs at most 1.5x this at a user with 1 000 expired and 10
-- active holds. Kept as it was on purpose: it is the yardstick, not code that
-- follows the API.

create schema before_holds;

create function before_holds.balances(user_id uuid)
returns table (asset text, balance bigint, asset_status text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.get_user(user_id);
    return query
        select a.code, coalesce(w.balance, 0), a.status
        from ledger.assets as a
        left join ledger.wallets as w
            on w.asset = a.code and w.user_id = balances.user_id and w.holder = 'user'
        where a.status = 'active' or w.id is not null
        order by a.code;
end;
$$;
