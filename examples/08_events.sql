-- wallet.events: the feed of every transaction, for whatever must react to postings.
-- In `make psql`, run it with \i examples/08_events.sql; its output is the .out file beside
-- it. It runs in one transaction and rolls it back, so it leaves nothing behind.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

\set alice a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11
-- A consumer keeps the last event_id it handled; here, where the feed stands now.
select coalesce(max(event_id), 0) as seen from wallet.events(after => 0, "limit" => 500) \gset

select kind, amount, balance from wallet.topup(:'alice', 'gold_coins', 40, 'ex06-1');
select kind, amount, balance from wallet.spend(:'alice', 'gold_coins', 15, 'ex06-2', '{"item": "shield"}');

-- Everything after it, in order: one event per transaction. The next page starts after the
-- last event_id of this one.
select event_id > :seen as new, transaction_id, kind, user_id, asset, amount, metadata
from wallet.events(after => :seen);

-- A replay posts nothing, so it adds no event: still two.
select kind, amount, replayed from wallet.topup(:'alice', 'gold_coins', 40, 'ex06-1');
select count(*) as new_events from wallet.events(after => :seen);

-- "after" is an event_id (0: from the beginning), "limit" 1 to 500.
select * from wallet.events(after => -1);

rollback;
