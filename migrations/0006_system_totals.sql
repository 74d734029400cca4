-- 0006_system_totals: keep each system wallet's total inside bigint.
--
-- A system wallet is 64 slot rows, each within bigint, but their sum could
-- leave it (the treasury summed to -18446744073709551689 after large topups
-- from several sessions). While every slot stays within a 64th of the range,
-- the sum cannot; a posting that would take its slot beyond that, or that
-- finds the flag below set, locks all 64 slots and checks the exact total.
-- The flag lives on the slot rows themselves, so no posting reads a hot row:
-- it is set on all 64 (under all 64 locks) while some slot is beyond its
-- 64th, and cleared when none is. See wallet_internal.post.
-- depends: 0005_hash_chain

alter table ledger.wallets add column near_limit boolean not null default false;

-- System wallets whose slots already stray beyond a 64th start flagged.
update ledger.wallets as w
set near_limit = true
where
    w.user_id is null
    and exists (
        select
        from ledger.wallets as s
        where
            s.user_id is null
            and s.asset = w.asset
            and s.holder = w.holder
            and (s.balance < -144115188075855872 or s.balance > 144115188075855871)
    );
