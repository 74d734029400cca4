-- Postings: topup, bonus, spend, and what an idempotency key guarantees.
-- In `make psql`, run it with \i examples/02_postings_and_idempotency.sql; its output is the
-- .out file beside it. Expected errors don't stop it and show without CONTEXT lines. It runs in
-- one transaction and rolls it back, so it leaves nothing behind and can be run again.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

\set dave d0eebc99-9c0b-4ef8-bb6d-6bb9bd380a14
select wallet.create_user('Dave', 'dave@example.org', :'dave');

-- A topup (treasury -> user: credits bought). The receipt has the balance right after it.
select * from wallet.topup(user_id => :'dave', asset => 'diamonds', amount => 100,
                           idempotency_key => 'ex02-order-1', metadata => '{"order": 1}');

-- A bonus (treasury -> user: credits given away).
select * from wallet.bonus(:'dave', 'diamonds', 5, 'ex02-welcome-bonus');

-- A spend (user -> revenue: credits used).
select * from wallet.spend(user_id => :'dave', asset => 'diamonds', amount => 30,
                           idempotency_key => 'ex02-order-2', metadata => '{"item": "sword"}');

-- The same call again, as a retry after a lost answer: the stored receipt (the same
-- transaction and balance) with replayed = t. Nothing is posted twice.
select * from wallet.spend(user_id => :'dave', asset => 'diamonds', amount => 30,
                           idempotency_key => 'ex02-order-2', metadata => '{"item": "sword"}');
select wallet.balance(:'dave', 'diamonds');

-- The same key with a different request (here the amount) is refused: PW030.
select * from wallet.spend(user_id => :'dave', asset => 'diamonds', amount => 40,
                           idempotency_key => 'ex02-order-2', metadata => '{"item": "sword"}');
\echo :LAST_ERROR_SQLSTATE

-- A spend never takes a user below 0: PW020.
select * from wallet.spend(:'dave', 'diamonds', 1000, 'ex02-order-3');
\echo :LAST_ERROR_SQLSTATE

-- A refused posting stores nothing, its key included, so the key may be used again.
select * from wallet.spend(:'dave', 'diamonds', 75, 'ex02-order-3');

-- Amounts are whole numbers from 1 up (PW001).
select * from wallet.topup(:'dave', 'diamonds', 0, 'ex02-order-4');
\echo :LAST_ERROR_SQLSTATE

rollback;
