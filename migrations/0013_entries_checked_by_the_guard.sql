-- 0013_entries_checked_by_the_guard: an entry's transaction is checked where
-- an entry takes effect, not by a foreign key.
--
-- The foreign key's check ran a locking query on ledger.transactions for each
-- entry, and planning it took a lock on the table and each of its eight
-- indexes: a posting then touched more relations than the sixteen that
-- PostgreSQL before 18 locks on its fast path, so at high concurrency every
-- posting queued on the shared lock manager. An entry moves a balance only
-- when its wallet moves over it, and the wallet's guard trigger
-- (sql/50_triggers.sql) now requires each such entry's transaction to exist;
-- that transaction's deferred check then requires exactly its two entries.
-- An entry that no wallet moved over changes no balance, and wallet.verify()
-- names it (entries_belong_to_transactions).
-- depends: 0012_cheaper_key_check

alter table ledger.entries drop constraint entries_transaction_id_fkey;
