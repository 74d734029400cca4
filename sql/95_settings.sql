-- Database settings that protect the ledger from sessions that are not pgwallet's.
--
-- A session left idle in a transaction keeps its row locks: in this database
-- that can hold a user's row or every slot of a system wallet, and stall every
-- posting that needs them (they then answer PW032, busy). So sessions of this
-- database are ended after a minute idle in a transaction, unless a role or a
-- session sets its own value. The facade never idles in one (each statement is
-- its own pipelined transaction). Set only when the migrating role may (it owns
-- the database, or is a superuser); otherwise a notice says what to ask for.

do $$
begin
    execute format('alter database %I set idle_in_transaction_session_timeout = %L',
        pg_catalog.current_database(), '1min');
exception
    when insufficient_privilege then
        raise notice 'cannot set idle_in_transaction_session_timeout on database %: ask its owner to',
            pg_catalog.current_database();
end;
$$;
