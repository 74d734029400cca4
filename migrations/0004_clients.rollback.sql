-- Rollback of 0004_clients. Keys of different clients that share a key
-- cannot go back into one namespace: all but the SQL callers' are dropped.
alter table ledger.transactions drop constraint transactions_accountable;

alter table ledger.transactions drop column sql_user, drop column client_id;

delete from ledger.idempotency_keys
where namespace <> '00000000-0000-0000-0000-000000000000';

alter table ledger.idempotency_keys drop constraint idempotency_keys_pkey, add primary key (key);

alter table ledger.idempotency_keys drop column namespace;

drop table ledger.clients;
