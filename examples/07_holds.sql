-- Holds: reserve credits now, capture (spend) or release them later.
-- In `make psql`, run it with \i examples/07_holds.sql; its output is the .out file beside
-- it. Expected errors don't stop it and show without CONTEXT lines. It runs in one
-- transaction and rolls it back, so it leaves nothing behind and can be run again.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

\set erin e0eebc99-9c0b-4ef8-bb6d-6bb9bd380a15
select wallet.create_user('Erin', 'erin@example.org', :'erin');
select balance from wallet.topup(:'erin', 'gold_coins', 100, 'ex07-funds');

-- The shop reserves the price of an order: the credits stay in the balance but are no
-- longer available. A hold lasts 15 minutes unless told otherwise (1 second to 30 days).
select * from wallet.hold(user_id => :'erin', asset => 'gold_coins', amount => 60,
                          idempotency_key => 'ex07-order-1', expires_in => '1 hour')
\gset order1_
select * from wallet.get_hold(:'order1_hold_id');
select asset, balance, held, available from wallet.balances(:'erin', 'gold_coins');

-- A spend, a transfer or another hold may take only what is available (PW020).
select * from wallet.spend(:'erin', 'gold_coins', 50, 'ex07-order-2');
select * from wallet.hold(:'erin', 'gold_coins', 50, 'ex07-order-3');

-- The item is delivered for 45: the capture is a spend of at most the hold (PW024 beyond),
-- linked to it; the remaining 15 are released with it.
select * from wallet.capture(hold_id => :'order1_hold_id', idempotency_key => 'ex07-capture-1',
                             amount => 61);
select * from wallet.capture(hold_id => :'order1_hold_id', idempotency_key => 'ex07-capture-1',
                             amount => 45);
select status, amount, captured_amount from wallet.get_hold(:'order1_hold_id');
select asset, balance, held, available from wallet.balances(:'erin', 'gold_coins');

-- A hold is final once captured, released or expired (PW025); an unknown one is PW013.
select * from wallet.release(:'order1_hold_id', 'ex07-release-1');
select * from wallet.get_hold('00000000-0000-0000-0000-000000000000');

-- Another order is given up: release frees the whole hold. Like every posting it is
-- idempotent: the same key again returns the stored answer (replayed = t).
select hold_id as order4 from wallet.hold(:'erin', 'gold_coins', 30, 'ex07-order-4') \gset
select status, replayed from wallet.release(:'order4', 'ex07-release-4');
select status, replayed from wallet.release(:'order4', 'ex07-release-4');

-- Expiry needs no job: once past expires_at a hold reserves nothing and reads 'expired'.
-- (Inside one transaction now() stands still, so this session cannot show it; see
-- tests/sql/test_holds.py.) The user's holds that reserve now:
select amount, status from wallet.hold(:'erin', 'gold_coins', 20, 'ex07-order-5');
select asset, amount, status from wallet.active_holds(:'erin');

rollback;
