-- History: a user's entries, newest first, a page at a time; one transaction in full.
-- In `make psql`, run it with \i examples/03_history_and_transactions.sql; its output is the
-- .out file beside it (entry ids and seq renumbered from 1, generated ids and times shown as
-- placeholders). Expected errors don't stop it and show without CONTEXT lines. It runs in one
-- transaction and rolls it back, so it leaves nothing behind and can be run again.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

\set erin e0eebc99-9c0b-4ef8-bb6d-6bb9bd380a15
select wallet.create_user('Erin', 'erin@example.org', :'erin');

-- Five postings to page through.
select kind, asset, amount, balance from wallet.topup(:'erin', 'gold_coins', 100, 'ex03-1');
select kind, asset, amount, balance from wallet.bonus(:'erin', 'gold_coins', 10, 'ex03-2');
select kind, asset, amount, balance from wallet.topup(:'erin', 'loyalty_points', 50, 'ex03-3');
select kind, asset, amount, balance
from wallet.spend(:'erin', 'gold_coins', 30, 'ex03-4', '{"item": "shield"}');
select kind, asset, amount, balance from wallet.spend(:'erin', 'loyalty_points', 20, 'ex03-5');

-- The first page: the newest two entries, in any asset.
select * from wallet.history(user_id => :'erin', "limit" => 2);

-- The next page: pass the last entry_id of a page as "before" (keyset paging: a page stays
-- complete and in order while new postings arrive). psql's \gset keeps it in :before.
select min(entry_id) as before from wallet.history(user_id => :'erin', "limit" => 2) \gset
select * from wallet.history(user_id => :'erin', "limit" => 2, before => :before);
select min(entry_id) as before
from wallet.history(user_id => :'erin', "limit" => 2, before => :before) \gset
select * from wallet.history(user_id => :'erin', "limit" => 2, before => :before);

-- One asset only.
select entry_id, kind, direction, amount, balance_after
from wallet.history(:'erin', 'gold_coins');

-- One transaction in full: a row per entry (the debit first), the transaction's fields repeated
-- on each. The spend of gold coins: the user's wallet debited, the asset's revenue credited
-- (balance_after is shown for the user's wallet only).
select transaction_id as spend from wallet.history(:'erin', 'gold_coins', 1) \gset
select transaction_id, kind, asset, amount, metadata, holder, direction, entry_amount,
       balance_after
from wallet.get_transaction(:'spend');

-- Transactions rather than entries, filtered by user, asset or kind, newest first (two lines
-- each; the next page is before => the last seq).
select seq, kind, asset, amount, holder, direction
from wallet.list_transactions(user_id => :'erin', kind => 'spend');

-- An unknown transaction is an error: PW012.
select * from wallet.get_transaction('00000000-0000-0000-0000-000000000000');
\echo :LAST_ERROR_SQLSTATE

rollback;
