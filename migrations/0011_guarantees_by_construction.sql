-- 0011_guarantees_by_construction: a posting no longer pays for foreign keys
-- that its own checks already guarantee, nor for two indexes that only an
-- occasional audit or purge read.
--
-- Each foreign key check is a query with a row lock, run per row inserted
-- (four per topup). The ones dropped here are implied by the deferred balance
-- check of every new transaction (wallet_internal.check_transaction,
-- sql/50_triggers.sql), which reads both entries' wallets by primary key and
-- requires them to be the wallets its kind names:
--   entries.wallet_id -> wallets            the wallet must exist to match;
--   transactions.user_id, .counterparty_user_id -> users
--                                           the matching wallets belong to
--                                           those users, and wallets.user_id
--                                           keeps its key to ledger.users;
-- and by construction: a key is stored with the transaction the same call
-- wrote (idempotency_keys.transaction_id -> transactions). wallet.verify()
-- proves all three from the rows (transactions_balance, transactions_match_
-- entries, receipts_match_ledger). Kept: entries.transaction_id, without which
-- an entry could be written that no transaction's check ever sees, and the
-- keys of holds and reversals, which are not on the common path.
--
-- transactions_idempotency_key_idx served no query: replays look keys up in
-- ledger.idempotency_keys by (namespace, key). The purge of expired keys
-- reads them by expires_at; keys arrive roughly in expires_at order, so a
-- BRIN index (a few pages, updated only when a block range is summarized)
-- finds them, where a B-tree took an insertion per posting.
-- depends: 0010_inlined_hash_chain

alter table ledger.entries drop constraint entries_wallet_id_fkey;

alter table ledger.transactions
drop constraint transactions_user_id_fkey,
drop constraint transactions_counterparty_user_id_fkey;

alter table ledger.idempotency_keys drop constraint idempotency_keys_transaction_id_fkey;

drop index ledger.transactions_idempotency_key_idx;

drop index ledger.idempotency_keys_expires_at_idx;

create index idempotency_keys_expires_at_brin on ledger.idempotency_keys using brin (expires_at)
with (autosummarize = on);
