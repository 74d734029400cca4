-- The naive posting of ../shared/design/baseline.md, for comparison only: the
-- same work as a wallet posting written as a seven-statement script over bare
-- tables (64 hot slots, users, idempotency keys, transaction headers,
-- entries), without fingerprints, receipts, balance_after or any trigger.

create schema naive;
create table naive.hot64 (id int primary key, bal bigint not null);
create table naive.users (id int primary key, bal bigint not null);
create table naive.idem (key text primary key, created_at timestamptz not null default now());
create table naive.txh (
    id bigserial primary key,
    kind text not null,
    amount bigint not null,
    created_at timestamptz not null default now()
);
create table naive.entries (
    id bigserial primary key,
    tx_id bigint not null references naive.txh,
    wallet_id int not null,
    amount bigint not null
);
insert into naive.hot64 (id, bal)
select
    g.id,
    0 as bal
from generate_series(1, 64) as g (id);
insert into naive.users (id, bal)
select
    g.id,
    0 as bal
from generate_series(1, 10000) as g (id);
