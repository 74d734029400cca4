-- 0003_config_without_updated_at: drop ledger.config.updated_at.
--
-- Nothing ever maintained it: it kept the time of the first migration however
-- often a DBA changed the retention, so it could only mislead. A change of
-- config is an ordinary UPDATE by the owner; PostgreSQL's own logs (or a
-- pgaudit setup) say when it happened.
-- depends: 0002_lighter_postings

alter table ledger.config drop column updated_at;
