-- Reads. SECURITY DEFINER because the API role may not read the tables; each
-- checks its arguments and raises the catalogue's errors for unknown ids.

create function wallet.balance(user_id uuid, asset text)
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.get_user(user_id);
    perform wallet_internal.get_asset(asset);
    return coalesce((
        select w.balance
        from ledger.wallets as w
        where w.user_id = balance.user_id and w.asset = balance.asset and w.holder = 'user'
    ), 0);
end;
$$;

comment on function wallet.balance(uuid, text) is
$$A user's balance in one asset (0 when the user has no wallet there).

Errors: PW010 unknown user, PW011 unknown asset.$$;

create function wallet.balances(user_id uuid, asset text default null)
returns setof wallet.balance_line
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
    -- What the user's active holds reserve, per asset: one range scan of
    -- holds_active_idx (see 37_holds.sql), however many finished or expired
    -- holds the user has.
    return query
        select a.code, coalesce(w.balance, 0), a.status, coalesce(h.held, 0)::bigint,
            coalesce(w.balance, 0) - coalesce(h.held, 0)::bigint
        from ledger.assets as a
        left join ledger.wallets as w
            on w.asset = a.code and w.user_id = balances.user_id and w.holder = 'user'
        left join (
            select x.asset, sum(x.amount) as held
            from ledger.holds as x
            where x.user_id = balances.user_id and x.status = 'held' and x.expires_at > now()
            group by x.asset
        ) as h on h.asset = a.code
        where case when balances.asset is null then a.status = 'active' or w.id is not null
            else a.code = balances.asset end
        order by a.code;
end;
$$;

comment on function wallet.balances(uuid, text) is
$$A user's balances, with what their active holds reserve (held) and what is left (available = balance - held).

Every active asset (0 where the user has no wallet) and every other asset the user holds; or,
with asset, that one asset whatever its status.
Errors: PW010 unknown user, PW011 unknown asset.$$;

create function wallet.history(
    user_id uuid,
    asset text default null,
    "limit" integer default 50,
    before bigint default null
)
returns setof wallet.history_entry
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
    perform wallet_internal.check_limit("limit");
    -- Per wallet, an index range scan of its newest entries below "before",
    -- then the newest of those: a page costs the same at any depth.
    return query
        select
            e.id,
            t.id,
            t.kind,
            t.asset,
            case when e.amount > 0 then 'credit' else 'debit' end,
            abs(e.amount),
            e.balance_after,
            t.created_at,
            t.metadata,
            case when t.user_id = history.user_id then t.counterparty_user_id else t.user_id end,
            t.reverses,
            wallet_internal.reversed_amount(t.id)
        from (
            select page.*
            from ledger.wallets as w
            cross join lateral (
                select x.id, x.transaction_id, x.amount, x.balance_after
                from ledger.entries as x
                where x.wallet_id = w.id
                    and x.id < coalesce(history.before, wallet_internal.bigint_max())
                order by x.id desc
                limit "limit"
            ) as page
            where w.user_id = history.user_id
                and w.holder = 'user'
                and (history.asset is null or w.asset = history.asset)
            order by page.id desc
            limit "limit"
        ) as e
        join ledger.transactions as t on t.id = e.transaction_id
        order by e.id desc;
end;
$$;

comment on function wallet.history(uuid, text, integer, bigint) is
$$A user's entries, newest first, optionally in one asset: a page of at most "limit" (1-500).

For the next page pass the last entry_id as "before" (keyset pagination: pages stay complete and
in order while new postings arrive, since a user's entries are numbered in commit order).
counterparty_user_id: the other user of a transfer (or its reversal); reversed_amount: how much of
the transaction has been reversed so far.
Errors: PW010 unknown user, PW011 unknown asset, PW002 bad limit.$$;

-- Shared by get_transaction and list_transactions: the lines of some transactions.
create function wallet_internal.transaction_lines(transaction_ids uuid[])
returns setof wallet.transaction_line
language sql
stable
as $$
    select
        t.id,
        t.seq,
        t.kind,
        t.asset,
        t.amount,
        t.user_id,
        t.created_at,
        t.metadata,
        e.id,
        w.holder,
        case when e.amount > 0 then 'credit' else 'debit' end,
        abs(e.amount),
        case when w.holder = 'user' then e.balance_after end,
        t.client_id,
        c.name,
        t.sql_user,
        t.reverses,
        wallet_internal.reversed_amount(t.id),
        t.counterparty_user_id
    from ledger.transactions as t
    join ledger.entries as e on e.transaction_id = t.id
    join ledger.wallets as w on w.id = e.wallet_id
    left join ledger.clients as c on c.id = t.client_id
    where t.id = any (transaction_ids)
    order by t.seq desc, e.amount;  -- the debit first
$$;

create function wallet.get_transaction(transaction_id uuid)
returns setof wallet.transaction_line
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return query select * from wallet_internal.transaction_lines(array[transaction_id]);
    if not found then
        raise exception using
            errcode = 'PW012',
            message = format('transaction %s not found', coalesce(transaction_id::text, 'null'));
    end if;
end;
$$;

comment on function wallet.get_transaction(uuid) is
$$One transaction: a row per entry (debit first), the transaction's own fields repeated on each.

Errors: PW012 unknown transaction.$$;

create function wallet.list_transactions(
    user_id uuid default null,
    asset text default null,
    kind text default null,
    "limit" integer default 50,
    before bigint default null
)
returns setof wallet.transaction_line
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    if user_id is not null then
        perform wallet_internal.get_user(user_id);
    end if;
    if asset is not null then
        perform wallet_internal.get_asset(asset);
    end if;
    if kind is not null then
        perform wallet_internal.check_choice(kind, array['topup', 'bonus', 'spend', 'reversal', 'transfer'], 'kind');
    end if;
    perform wallet_internal.check_limit("limit");
    -- A user's transactions are those they post and those they are the
    -- counterparty of (a transfer received): each an index range scan by
    -- (user, seq), merged.
    return query
        select * from wallet_internal.transaction_lines(array(
            select t.id
            from (
                (
                    select t.id, t.seq, t.asset, t.kind
                    from ledger.transactions as t
                    where (list_transactions.user_id is null or t.user_id = list_transactions.user_id)
                        and (list_transactions.asset is null or t.asset = list_transactions.asset)
                        and (list_transactions.kind is null or t.kind = list_transactions.kind)
                        and (list_transactions.before is null or t.seq < list_transactions.before)
                    order by t.seq desc
                    limit "limit"
                )
                union all
                (
                    select t.id, t.seq, t.asset, t.kind
                    from ledger.transactions as t
                    where list_transactions.user_id is not null
                        and t.counterparty_user_id = list_transactions.user_id
                        and (list_transactions.asset is null or t.asset = list_transactions.asset)
                        and (list_transactions.kind is null or t.kind = list_transactions.kind)
                        and (list_transactions.before is null or t.seq < list_transactions.before)
                    order by t.seq desc
                    limit "limit"
                )
            ) as t
            order by t.seq desc
            limit "limit"
        ));
end;
$$;

comment on function wallet.list_transactions(uuid, text, text, integer, bigint) is
$$Transactions, newest first, optionally of one user (as its user or counterparty), asset and kind:
"limit" (1-500) transactions, two lines each.

For the next page pass the last seq as "before".
Errors: PW010 unknown user, PW011 unknown asset, PW002 bad kind or limit.$$;

create function wallet.get_user(user_id uuid)
returns wallet.user_account
language sql
stable
security definer
set search_path = ''
as $$
    select u.id, u.name, u.email, u.status, u.created_at from wallet_internal.get_user(user_id) as u;
$$;

comment on function wallet.get_user(uuid) is
$$One user. Errors: PW010 unknown user.$$;

create function wallet.list_users(
    q text default null,
    "limit" integer default 50,
    after uuid default null
)
returns setof wallet.user_account
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_pattern constant text := '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    v_after ledger.users;
begin
    perform wallet_internal.check_limit("limit");
    if after is not null then
        v_after := wallet_internal.get_user(after);
    end if;
    return query
        select u.id, u.name, u.email, u.status, u.created_at
        from ledger.users as u
        where (q is null or u.name ilike v_pattern or u.email ilike v_pattern)
            and (after is null or (u.created_at, u.id) > (v_after.created_at, v_after.id))
        order by u.created_at, u.id
        limit "limit";
end;
$$;

comment on function wallet.list_users(text, integer, uuid) is
$$Users in order of creation, optionally those whose name or email contains q (any case).

A page holds "limit" (1-500) users; for the next pass the last id as "after".
Errors: PW002 bad limit, PW010 unknown "after".$$;

create function wallet.list_assets()
returns setof wallet.asset
language sql
stable
security definer
set search_path = ''
as $$
    select a.code, a.name, a.description, a.status, a.created_at
    from ledger.assets as a
    order by a.code;
$$;

comment on function wallet.list_assets() is
$$Every asset, active and frozen, by code.$$;

create function wallet.get_asset(code text)
returns wallet.asset
language sql
stable
security definer
set search_path = ''
as $$
    select a.code, a.name, a.description, a.status, a.created_at from wallet_internal.get_asset(code) as a;
$$;

comment on function wallet.get_asset(text) is
$$One asset. Errors: PW011 unknown asset.$$;
