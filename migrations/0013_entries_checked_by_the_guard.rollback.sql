-- Rollback of 0013_entries_checked_by_the_guard.
alter table ledger.entries
add constraint entries_transaction_id_fkey foreign key (transaction_id) references ledger.transactions (id);
