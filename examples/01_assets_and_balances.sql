-- Assets and balances: what can be held, and what a user holds.
-- In `make psql`, run it with \i examples/01_assets_and_balances.sql; its output is the .out
-- file beside it. Expected errors don't stop it and show without CONTEXT lines. It runs in one
-- transaction and rolls it back, so it leaves nothing behind and can be run again.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

-- Every asset, active or frozen, by code (the seed made these three).
select code, name, status from wallet.list_assets();
select * from wallet.get_asset('diamonds');

-- A user of this example, with a fixed id so that it reads the same every time.
\set carol c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13
select wallet.create_user('Carol', 'carol@example.org', :'carol');
select * from wallet.get_user(:'carol');

-- Without a wallet in an asset the balance is 0; balances() lists every active asset.
select wallet.balance(:'carol', 'gold_coins');
select * from wallet.balances(:'carol');

-- The first credit creates the wallet.
select * from wallet.topup(:'carol', 'gold_coins', 250, 'ex01-order-1');
select * from wallet.balances(:'carol');

-- An unknown asset or user is an error (PW011, PW010), not a balance of 0.
select wallet.balance(:'carol', 'rubies');
\echo :LAST_ERROR_SQLSTATE
select * from wallet.balances('00000000-0000-0000-0000-000000000000');
\echo :LAST_ERROR_SQLSTATE

rollback;
