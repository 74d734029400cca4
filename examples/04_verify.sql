-- wallet.verify(): the ledger's invariants, checked over the whole database; the published
-- hash chain head and its later proof; and the errors.
-- In `make psql`, run it with \i examples/04_verify.sql; its output is the .out file beside
-- it. It runs in one transaction and rolls it back, so it leaves nothing behind.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
\set VERBOSITY default
begin;

\set frank f0eebc99-9c0b-4ef8-bb6d-6bb9bd380a16
select wallet.create_user('Frank', 'frank@example.org', :'frank');
select kind, amount, balance from wallet.topup(:'frank', 'gold_coins', 40, 'ex04-1');
select kind, amount, balance from wallet.spend(:'frank', 'gold_coins', 15, 'ex04-2');

-- One row per check; every one holds. `make verify` (pgwallet verify) runs the same and exits
-- 1 when one fails.
select * from wallet.verify();

-- The hash chains, published: keep this row anywhere outside the database (three values)...
select * from wallet.chain_head() \gset head_
\echo covers :head_entries entries
-- ... and later prove that the ledger still holds, unchanged, everything it covered.
select * from wallet.verify_against((:'head_digest', :head_entries, :'head_taken_at')::wallet.chain_head);

-- The catalogue of the errors the functions raise: stable SQLSTATEs of class PW.
select sqlstate, name from wallet.error_codes();

rollback;
