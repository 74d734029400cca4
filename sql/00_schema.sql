-- Two schemas, both re-creatable from these files. `pgwallet migrate` runs the
-- files of sql/ in name order, in one transaction, whenever their checksum
-- changes; it starts from empty schemas so that a function removed from sql/
-- is removed from the database too. The tables live in schema `ledger`
-- (migrations/), which these files never drop.
--
--   wallet            the API: the functions a DBA or the facade calls, their
--                     result types, nothing else (`\df wallet.*` is the manual);
--   wallet_internal   the helpers those functions are built from and the
--                     ledger's trigger functions; granted to no one.
--
-- search_path: every SECURITY DEFINER function, and every trigger function,
-- pins it to '' (pg_catalog only), so no caller's schema can put a lookalike
-- function or operator in its way; all other names are schema-qualified. The
-- helpers of wallet_internal take it from them and set none of their own: a
-- SET clause would keep PostgreSQL from inlining the one-expression SQL
-- helpers into the statements that call them, and make each call of any
-- helper save and restore the setting (tests/sql/test_inlining.py; the profile
-- in bench/README.md). Only the owner may call a helper directly.
--
-- Dropping wallet_internal also drops the triggers on the ledger tables;
-- 50_triggers.sql re-creates them in the same transaction.

drop schema if exists wallet cascade;

drop schema if exists wallet_internal cascade;

create schema wallet;

comment on schema wallet is
$$pgwallet: a double-entry ledger of virtual credits. Call the functions; the tables are private.$$;

create schema wallet_internal;

comment on schema wallet_internal is
$$Helpers of the wallet functions and the ledger's trigger functions. Not an interface.$$;
