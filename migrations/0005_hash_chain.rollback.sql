-- Rollback of 0005_hash_chain.
drop table ledger.installed_functions;

alter table ledger.wallets drop column head;

alter table ledger.entries drop column hash;

drop function ledger.entry_hash(bytea, bigint, bigint, bigint, bytea);

drop function ledger.transaction_content(ledger.transactions);
