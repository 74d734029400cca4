-- Rollback of 0006_system_totals.
alter table ledger.wallets drop column near_limit;
