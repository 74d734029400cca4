-- Rollback of 0011_guarantees_by_construction.
drop index ledger.idempotency_keys_expires_at_brin;

create index idempotency_keys_expires_at_idx on ledger.idempotency_keys (expires_at);

create index transactions_idempotency_key_idx on ledger.transactions (idempotency_key);

alter table ledger.idempotency_keys
add constraint idempotency_keys_transaction_id_fkey foreign key (transaction_id) references ledger.transactions (id);

alter table ledger.transactions
add constraint transactions_user_id_fkey foreign key (user_id) references ledger.users (id),
add constraint transactions_counterparty_user_id_fkey foreign key (counterparty_user_id) references ledger.users (id);

alter table ledger.entries
add constraint entries_wallet_id_fkey foreign key (wallet_id) references ledger.wallets (id);
