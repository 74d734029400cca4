-- Rollback of 0003_config_without_updated_at.
alter table ledger.config add column updated_at timestamptz not null default now();
