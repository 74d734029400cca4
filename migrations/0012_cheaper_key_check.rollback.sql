-- Rollback of 0012_cheaper_key_check.
alter table ledger.idempotency_keys
drop constraint idempotency_keys_key_check,
add constraint idempotency_keys_key_check check (key ~ '^[\x20-\x7e]{1,255}$');
