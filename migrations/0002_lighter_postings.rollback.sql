-- Rollback of 0002_lighter_postings.
alter table ledger.idempotency_keys
alter column transaction_id drop not null,
alter column receipt drop not null;

alter table ledger.idempotency_keys
add constraint idempotency_keys_receipt_with_transaction
check ((transaction_id is null) = (receipt is null));

create index entries_transaction_id_idx on ledger.entries (transaction_id);

alter table ledger.entries drop constraint entries_one_debit_one_credit;

alter table ledger.entries drop column is_credit;
