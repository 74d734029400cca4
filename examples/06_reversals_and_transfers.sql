-- Reversals (refunds, clawbacks, transfers sent back) and transfers between users.
-- In `make psql`, run it with \i examples/06_reversals_and_transfers.sql; its output is the
-- .out file beside it. Expected errors don't stop it and show without CONTEXT lines. It runs in
-- one transaction and rolls it back, so it leaves nothing behind and can be run again.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

\set gina 90eebc99-9c0b-4ef8-bb6d-6bb9bd380a16
\set hugo 91eebc99-9c0b-4ef8-bb6d-6bb9bd380a17
select wallet.create_user('Gina', 'gina@example.org', :'gina');
select wallet.create_user('Hugo', 'hugo@example.org', :'hugo');
select kind, amount, balance from wallet.topup(:'gina', 'gold_coins', 100, 'ex06-order-1');

-- A spend, then a refund of part of it: the reversal names what it undoes.
select transaction_id as spend from wallet.spend(:'gina', 'gold_coins', 40, 'ex06-sword') \gset
select kind, user_id, amount, balance
from wallet.reverse(transaction_id => :'spend', idempotency_key => 'ex06-refund-1', amount => 15);

-- How much is reversed shows wherever the transaction does.
select distinct kind, amount, reversed_amount from wallet.get_transaction(:'spend');

-- More than is left is refused (PW022); without an amount, all that is left is reversed.
select * from wallet.reverse(:'spend', 'ex06-refund-2', 30);
\echo :LAST_ERROR_SQLSTATE
select kind, amount, balance from wallet.reverse(:'spend', 'ex06-refund-2');

-- A reversal is final (PW023).
select transaction_id as refund from wallet.history(:'gina', 'gold_coins', 1) \gset
select * from wallet.reverse(:'refund', 'ex06-refund-3');
\echo :LAST_ERROR_SQLSTATE

-- A transfer between users: both balances on the receipt.
select kind, from_balance, to_balance
from wallet.transfer(from_user_id => :'gina', to_user_id => :'hugo', asset => 'gold_coins',
                     amount => 60, idempotency_key => 'ex06-gift', metadata => '{"note": "thanks"}');

-- Each sees the other in their history.
select kind, direction, amount, balance_after, counterparty_user_id = :'gina' as from_gina
from wallet.history(:'hugo', 'gold_coins', 1);
select transaction_id as gift from wallet.history(:'hugo', 'gold_coins', 1) \gset

-- Hugo spends some; sending the whole gift back would take him below 0 (PW020).
select kind, balance from wallet.spend(:'hugo', 'gold_coins', 50, 'ex06-shield');
select * from wallet.reverse(:'gift', 'ex06-gift-back');
\echo :LAST_ERROR_SQLSTATE
select kind, user_id = :'hugo' as from_hugo, amount, balance
from wallet.reverse(:'gift', 'ex06-gift-back', 10);

-- A transfer to oneself is no transfer (PW002).
select * from wallet.transfer(:'gina', :'gina', 'gold_coins', 1, 'ex06-self');
\echo :LAST_ERROR_SQLSTATE

select check_name, ok
from wallet.verify()
where check_name in ('reversals_within_originals', 'system_wallets_signed');
rollback;
