-- Roles and rights. wallet_api (the facade) may only EXECUTE the API
-- functions; wallet_reader may read everything for reporting; nobody but the
-- owner may use the helpers of wallet_internal; the owner, who runs
-- `pgwallet migrate`, is the only one that changes the schema. Both roles are
-- NOLOGIN: grant them to login roles.

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'wallet_api') then
        create role wallet_api nologin;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'wallet_reader') then
        create role wallet_reader nologin;
    end if;
exception
    when insufficient_privilege then
        raise notice 'cannot create roles wallet_api and wallet_reader: ask a DBA to create them (NOLOGIN)';
    when unique_violation or duplicate_object then
        null;  -- created concurrently by another migration of the same cluster
end;
$$;

revoke all on schema ledger from public;
revoke all on all tables in schema ledger from public;
revoke all on all functions in schema wallet from public;
revoke all on schema wallet_internal from public;
revoke all on all functions in schema wallet_internal from public;

do $$
begin
    if exists (select from pg_catalog.pg_roles where rolname = 'wallet_api') then
        grant usage on schema wallet to wallet_api;
        grant execute on function
            wallet.topup(uuid, text, bigint, text, jsonb, uuid),
            wallet.bonus(uuid, text, bigint, text, jsonb, uuid),
            wallet.spend(uuid, text, bigint, text, jsonb, uuid),
            wallet.transfer(uuid, uuid, text, bigint, text, jsonb, uuid),
            wallet.reverse(uuid, text, bigint, jsonb, uuid),
            wallet.post_batch(jsonb, uuid),
            wallet.hold(uuid, text, bigint, text, interval, jsonb, uuid),
            wallet.capture(uuid, text, bigint, jsonb, uuid),
            wallet.release(uuid, text, uuid),
            wallet.get_hold(uuid),
            wallet.active_holds(uuid, text),
            wallet.authenticate(text),
            wallet.balance(uuid, text),
            wallet.balances(uuid, text),
            wallet.history(uuid, text, integer, bigint),
            wallet.get_transaction(uuid),
            wallet.list_transactions(uuid, text, text, integer, bigint),
            wallet.create_user(text, text, uuid),
            wallet.get_user(uuid),
            wallet.list_users(text, integer, uuid),
            wallet.list_assets(),
            wallet.get_asset(text),
            wallet.purge_idempotency_keys(),
            wallet.events(bigint, integer),
            wallet.last_event_id(),
            wallet.asset_summary(text),
            wallet.error_codes(),
            wallet.schema_version()
        to wallet_api;
    end if;
    if exists (select from pg_catalog.pg_roles where rolname = 'wallet_reader') then
        grant usage on schema wallet, ledger to wallet_reader;
        grant select on all tables in schema ledger to wallet_reader;
        -- Everything of a client but its token's hash.
        revoke select on ledger.clients from wallet_reader;
        grant select (id, name, scopes, assets, max_amount, created_at, revoked_at) on ledger.clients to wallet_reader;
        grant execute on function
            wallet.balance(uuid, text),
            wallet.balances(uuid, text),
            wallet.get_hold(uuid),
            wallet.active_holds(uuid, text),
            wallet.history(uuid, text, integer, bigint),
            wallet.get_transaction(uuid),
            wallet.list_transactions(uuid, text, text, integer, bigint),
            wallet.get_user(uuid),
            wallet.list_users(text, integer, uuid),
            wallet.list_assets(),
            wallet.get_asset(text),
            wallet.verify(),
            wallet.chain_head(),
            wallet.verify_against(wallet.chain_head),
            wallet.events(bigint, integer),
            wallet.last_event_id(),
            wallet.asset_summary(text),
            wallet.error_codes(),
            wallet.schema_version()
        to wallet_reader;
    end if;
end;
$$;
