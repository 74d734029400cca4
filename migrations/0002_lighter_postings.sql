-- 0002_lighter_postings: fewer writes and checks per posting, same guarantees.
--
-- * At most one debit and one credit per transaction, by a unique constraint
--   on (transaction_id, is_credit): no entry can ever be added to a committed
--   transaction, so the deferred balance check runs once per transaction (on
--   ledger.transactions) instead of once per row. It replaces the plain index
--   on transaction_id.
-- * An idempotency key is now stored once, with its transaction and receipt,
--   at the end of the posting (the claim is an advisory lock, see
--   wallet._claim_key), so both columns are always set.
-- depends: 0001_ledger

alter table ledger.entries
add column is_credit boolean generated always as (amount > 0) stored;

alter table ledger.entries
add constraint entries_one_debit_one_credit unique (transaction_id, is_credit);

drop index ledger.entries_transaction_id_idx;

alter table ledger.idempotency_keys
drop constraint idempotency_keys_receipt_with_transaction;

alter table ledger.idempotency_keys
alter column transaction_id set not null,
alter column receipt set not null;
