-- wallet.asset_summary: one asset at a glance, for the dashboard's overview
-- and for a DBA. A report, not a posting path: it reads every wallet of the
-- asset and, for the verdict, every entry of those wallets (the checks of
-- wallet.verify() that concern one asset), so it costs in proportion to the
-- asset's ledger. The database-wide checks (guard triggers, functions, hash
-- chains, idempotency keys) stay with wallet.verify().

create type wallet.asset_summary as (
    asset text,
    issued numeric,          -- minus the treasury: what has been issued and not taken back
    revenue numeric,         -- the revenue wallet: what users spent, less refunds
    in_circulation numeric,  -- the sum of user balances
    held numeric,            -- reserved by active holds (held, not expired)
    holders bigint,          -- users with a balance above 0
    verified boolean,        -- the asset's checks hold (see verify_detail)
    verify_detail text
);

comment on type wallet.asset_summary is 'One asset at a glance (wallet.asset_summary).';

create function wallet.asset_summary(code text)
returns wallet.asset_summary
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_summary wallet.asset_summary;
    v_total numeric;
    v_negative bigint;
    v_differ bigint;
    v_problems text[] := '{}';
begin
    perform wallet_internal.get_asset(code);
    v_summary.asset := code;
    -- The system wallets: 64 slot rows each, found by the wallets' key.
    select
        -coalesce(sum(w.balance) filter (where w.holder = 'treasury'), 0),
        coalesce(sum(w.balance) filter (where w.holder = 'revenue'), 0)
    into v_summary.issued, v_summary.revenue
    from ledger.wallets as w
    where w.user_id is null and w.asset = asset_summary.code;
    select coalesce(sum(w.balance), 0), count(*) filter (where w.balance > 0), count(*) filter (where w.balance < 0)
    into v_summary.in_circulation, v_summary.holders, v_negative
    from ledger.wallets as w
    where w.asset = asset_summary.code and w.holder = 'user';
    -- What active holds reserve: an expired hold reserves nothing (sql/37_holds.sql).
    select coalesce(sum(h.amount), 0)
    into v_summary.held
    from ledger.holds as h
    where h.asset = asset_summary.code and h.status = 'held' and h.expires_at > now();

    -- Invariant 2 for this asset: its wallets sum to 0.
    v_total := v_summary.in_circulation + v_summary.revenue - v_summary.issued;
    if v_total <> 0 then
        v_problems := v_problems || format('its balances sum to %s, not 0', v_total);
    end if;
    -- Invariant 1: no user wallet below 0.
    if v_negative > 0 then
        v_problems := v_problems || format('%s user wallets are below 0', v_negative);
    end if;
    -- Invariant 3: each of its wallets' balance is the sum of its entries.
    select count(*) into v_differ
    from ledger.wallets as w
    where
        w.asset = asset_summary.code
        and w.balance <> (select coalesce(sum(e.amount), 0) from ledger.entries as e where e.wallet_id = w.id);
    if v_differ > 0 then
        v_problems := v_problems || format('%s wallets differ from their entries', v_differ);
    end if;

    v_summary.verified := cardinality(v_problems) = 0;
    v_summary.verify_detail := case
        when v_summary.verified then 'its balances sum to 0, none is below 0, each equals its entries'
        else array_to_string(v_problems, '; ')
    end;
    return v_summary;
end;
$$;

comment on function wallet.asset_summary(text) is
$$One asset at a glance: issued (minus the treasury), revenue, in_circulation (the sum of user
balances), held, holders (users with a balance above 0), and the verdict of verify()'s checks
for this asset (its balances sum to 0, no user below 0, each wallet equals its entries).

Reads every wallet and entry of the asset: a report, not for every request.
Errors: PW011 unknown asset.$$;
