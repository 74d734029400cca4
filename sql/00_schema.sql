-- The public interface lives in schema `wallet`: types, functions and the
-- triggers' functions, all re-creatable. `pgwallet migrate` runs these files in
-- name order, in one transaction, whenever their checksum changes; it starts
-- from an empty schema so a function removed from sql/ is removed from the
-- database too. Dropping the schema also drops the triggers on ledger tables;
-- 50_triggers.sql re-creates them in the same transaction.

drop schema if exists wallet cascade;

create schema wallet;

comment on schema wallet is
    'pgwallet: a double-entry ledger of virtual credits. Call the functions; the tables are private.';
