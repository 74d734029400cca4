-- Rollback of 0001_ledger: drops the ledger and everything in it.
drop schema ledger cascade;
