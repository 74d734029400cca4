-- 0010_inlined_hash_chain: the hash chain's two functions are inlined where
-- they are called.
--
-- A SQL-language function of one expression is expanded in place of its call
-- unless it has a SET clause or is declared IMMUTABLE while its body calls a
-- STABLE function (convert_to and jsonb_build_object are STABLE). These two
-- were both, so every posting set up and ran three separate function calls;
-- now they cost what their expressions cost. Their search_path is their
-- caller's: every caller is a SECURITY DEFINER function that pins it to ''
-- (sql/00_schema.sql). Their results do not change: the same expressions, and
-- no setting changes their output (the timestamp enters as an epoch number).
-- depends: 0009_events

alter function ledger.transaction_content(ledger.transactions) stable reset search_path;

alter function ledger.entry_hash(bytea, bigint, bigint, bigint, bytea) stable reset search_path;
