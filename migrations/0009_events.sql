-- 0009_events: the event feed (wallet.events, sql/70_events.sql) and the
-- relay's position.
--
-- The feed numbers transactions in the order they become visible, not in the
-- order they took their `seq` (a posting that took a smaller seq may commit
-- later). A posting records only the id of its database transaction, `xid`
-- (by the column's default: no statement of the posting changes); readers
-- number what their snapshot shows, one numbering at a time. Why that cannot
-- skip a transaction is explained in sql/70_events.sql.
-- depends: 0007_reversals_transfers

-- The top-level transaction that wrote the row. Null for rows written before
-- this migration, all of which it numbers below. Added without a default
-- first: a volatile default would rewrite the table.
alter table ledger.transactions add column xid xid8;

alter table ledger.transactions alter column xid set default pg_current_xact_id();

-- The numbering finds the transactions its last snapshot did not show by xid.
create index transactions_xid_idx on ledger.transactions (xid);

comment on column ledger.transactions.xid is
'The database transaction that wrote the row (pg_current_xact_id()), for the event feed.';

-- One row per transaction, numbered in the order readers first saw it
-- committed. No foreign key: checking it would lock each transaction row.
-- The identity caches no values, so ids are taken in the order the (serialized)
-- numberings run.
create table ledger.events (
    event_id bigint generated always as identity (cache 1) primary key,
    transaction_id uuid not null unique
);

comment on table ledger.events is
'The event feed: each transaction numbered in the order it became visible (sql/70_events.sql).';

-- The snapshot of the last complete numbering, one row: transactions it
-- showed are numbered, any other is not yet.
create table ledger.event_horizon (
    id boolean primary key default true check (id),
    snapshot pg_snapshot not null
);

comment on table ledger.event_horizon is
'The snapshot of the last complete numbering of the event feed: what it shows has an event.';

-- Every transaction before this migration committed before its ALTER TABLE
-- could take its lock, so this snapshot shows them all.
insert into ledger.events (transaction_id)
select t.id
from ledger.transactions as t
order by t.seq;

insert into ledger.event_horizon (snapshot) values (pg_current_snapshot());

-- Where each relay (`pgwallet relay`) is: the last event its broker acknowledged.
create table ledger.relay_positions (
    name text primary key check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    event_id bigint not null check (event_id >= 0),
    updated_at timestamptz not null default now()
);

comment on table ledger.relay_positions is
'Per relay, the last event its broker acknowledged: a restarted relay resumes after it.';
