-- Operators' tools: freeze an asset, suspend a user, and lift it again. They are for the
-- schema owner in psql (not granted to the API role, no HTTP route).
-- In `make psql`, run it with \i examples/05_operator_tools.sql; its output is the .out file
-- beside it. Expected errors don't stop it and show without CONTEXT lines. It runs in one
-- transaction and rolls it back, so it leaves nothing behind and can be run again.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

-- An asset and a user of this example's own.
select * from wallet.create_asset('example_stars', 'Stars', 'an asset of examples/05');
\set grace f1eebc99-9c0b-4ef8-bb6d-6bb9bd380a17
select wallet.create_user('Grace', 'grace@example.org', :'grace');
select kind, asset, amount, balance from wallet.topup(:'grace', 'example_stars', 100, 'ex05-1');

-- Freeze the asset: every posting in it is refused (PW040)...
select code, status from wallet.set_asset_status('example_stars', 'frozen');
select * from wallet.spend(:'grace', 'example_stars', 10, 'ex05-2');
\echo :LAST_ERROR_SQLSTATE

-- ...while its balances and history stay readable.
select * from wallet.balances(:'grace');
select kind, direction, amount, balance_after from wallet.history(:'grace', 'example_stars');

-- Set it active again: the same posting goes through.
select code, status from wallet.set_asset_status('example_stars', 'active');
select kind, asset, amount, balance from wallet.spend(:'grace', 'example_stars', 10, 'ex05-2');

-- Suspend the user: every posting for them is refused (PW041), in any asset...
select id, name, status from wallet.set_user_status(:'grace', 'suspended');
select * from wallet.topup(:'grace', 'gold_coins', 10, 'ex05-3');
\echo :LAST_ERROR_SQLSTATE

-- ...while what they hold stays readable.
select wallet.balance(:'grace', 'example_stars');

-- Reinstate them: postings go through again.
select id, name, status from wallet.set_user_status(:'grace', 'active');
select kind, asset, amount, balance from wallet.topup(:'grace', 'gold_coins', 10, 'ex05-3');

rollback;
