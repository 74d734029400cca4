-- Rollback of 0010_inlined_hash_chain.
alter function ledger.transaction_content(ledger.transactions) immutable set search_path = '';

alter function ledger.entry_hash(bytea, bigint, bigint, bigint, bytea) immutable set search_path = '';
