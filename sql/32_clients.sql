-- Clients: the callers of the HTTP API and what each may do. Operators
-- create, list, revoke and rotate them in psql (owner only); the facade
-- authenticates each request's bearer token (wallet.authenticate) and passes
-- the client's id to every posting, whose SQL refuses what the client may not
-- do (wallet_internal.authorize). So each rule lives once, here.

-- Every scope there is; 'all' at creation stands for each of them.
create function wallet_internal.scopes()
returns text[]
language sql
immutable
parallel safe
as $$
    select array['read', 'users', 'topup', 'bonus', 'spend', 'reverse', 'transfer', 'hold', 'batch'];
$$;

-- A new token: 'pgw_' (so that secret scanners can find a leaked one) and 43
-- base64url characters, the sha256 of three random uuids. gen_random_uuid()
-- draws from pg_strong_random(), the server's CSPRNG, and a v4 uuid carries
-- 122 random bits: the 366 drawn are folded into 256, with no extension needed.
create function wallet_internal.new_token()
returns text
language sql
volatile
as $$
    select 'pgw_' || rtrim(pg_catalog.translate(pg_catalog.encode(pg_catalog.sha256(
        pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
        || pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
        || pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
    ), 'base64'), '+/', '-_'), '=');
$$;

-- What is kept of a token: its sha256. A slow hash (bcrypt, scrypt, argon2)
-- protects secrets a person chose, which an attacker who stole the hashes can
-- guess offline; 256 random bits cannot be guessed whatever the hash, so a
-- fast one costs no safety and lets each request be authenticated with one
-- index lookup.
create function wallet_internal.token_hash(token text)
returns bytea
language sql
stable
parallel safe
as $$
    select pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'));
$$;

create function wallet_internal.get_client(client_id uuid)
returns ledger.clients
language plpgsql
stable
as $$
declare
    v_client ledger.clients;
begin
    select * into v_client from ledger.clients as c where c.id = get_client.client_id;
    if not found then
        raise exception using
            errcode = 'PW072',
            message = format('client %s not found', coalesce(client_id::text, 'null')),
            hint = 'wallet.list_clients() lists the clients.';
    end if;
    return v_client;
end;
$$;

-- A client as operators see it: everything but its token's hash.
create function wallet_internal.shown(client ledger.clients)
returns wallet.client
language sql
immutable
as $$
    select row(
        client.id, client.name, client.scopes, client.assets, client.max_amount, client.created_at, client.revoked_at
    )::wallet.client;
$$;

-- A client with its new token: what create_client and rotate_client_token show, once.
create function wallet_internal.with_token(client ledger.clients, token text)
returns wallet.new_client
language sql
immutable
as $$
    select row(
        client.id, client.name, client.scopes, client.assets, client.max_amount, token, client.created_at
    )::wallet.new_client;
$$;

-- Refuse a posting the client may not make: a revoked or unknown client
-- (PW070), a scope, an asset or an amount it lacks (PW071). A direct SQL
-- call (client_id null) may do anything its role may.
create function wallet_internal.client_refusal(
    client ledger.clients, client_id uuid, scope text, asset text, amount bigint
)
returns wallet_internal.refusal
language sql
stable
as $$
    select case
        when client_id is null then null
        when client.id is null or client.revoked_at is not null then row(
            'PW070', format('client %s is unknown or revoked', client_id), null, null
        )::wallet_internal.refusal
        when not scope = any (client.scopes) then row(
            'PW071', format('client %L lacks the scope %L', client.name, scope),
            format('Its scopes: %s.', array_to_string(client.scopes, ', ')), null
        )::wallet_internal.refusal
        when client.assets is not null and not asset = any (client.assets) then row(
            'PW071', format('client %L may not post in asset %L', client.name, asset),
            format('Its assets: %s.', array_to_string(client.assets, ', ')), null
        )::wallet_internal.refusal
        when client.max_amount is not null and amount > client.max_amount then row(
            'PW071',
            format('client %L may post at most %s at a time, not %s', client.name, client.max_amount, amount),
            null, null
        )::wallet_internal.refusal
    end;
$$;

create function wallet_internal.authorize(client_id uuid, scope text, asset text, amount bigint)
returns void
language plpgsql
stable
as $$
declare
    v_client ledger.clients;
begin
    if client_id is null then
        return;
    end if;
    select * into v_client from ledger.clients as c where c.id = authorize.client_id;
    perform wallet_internal.refuse(wallet_internal.client_refusal(v_client, client_id, scope, asset, amount));
end;
$$;

create function wallet.create_client(
    name text,
    scopes text[],
    assets text[] default null,
    max_amount bigint default null
)
returns wallet.new_client
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_unknown text;
    v_token constant text := wallet_internal.new_token();
    v_client ledger.clients;
    v_constraint text;
begin
    perform wallet_internal.check_client_name(name);
    v_unknown := (select s from unnest(scopes) as s where s is null or not s = any (wallet_internal.scopes() || 'all'::text) limit 1);
    if scopes is null or cardinality(scopes) = 0 or v_unknown is not null then
        raise exception using
            errcode = 'PW002',
            message = format('invalid scopes %L: each is one of %s, or all', scopes,
                array_to_string(wallet_internal.scopes(), ', '));
    end if;
    if assets is not null then
        if cardinality(assets) = 0 then
            raise exception using
                errcode = 'PW002',
                message = 'invalid assets: name at least one, or null for every asset';
        end if;
        perform wallet_internal.get_asset(a) from unnest(assets) as a;
    end if;
    if max_amount is not null then
        perform wallet_internal.check_amount(max_amount);
    end if;

    insert into ledger.clients (name, scopes, assets, max_amount, token_hash)
    values (
        name,
        -- In the order of wallet_internal.scopes(), each once; 'all' is each.
        array(
            select s from unnest(wallet_internal.scopes()) with ordinality as x (s, n)
            where s = any (create_client.scopes) or 'all' = any (create_client.scopes)
            order by n
        ),
        case when assets is not null then array(select distinct a from unnest(assets) as a order by a) end,
        max_amount,
        wallet_internal.token_hash(v_token)
    )
    returning * into v_client;
    return wallet_internal.with_token(v_client, v_token);
exception
    when unique_violation then
        get stacked diagnostics v_constraint = constraint_name;
        if v_constraint = 'clients_name_key' then
            raise exception using
                errcode = 'PW073',
                message = format('client name %L is already taken', name);
        end if;
        raise;
end;
$$;

comment on function wallet.create_client(text, text[], text[], bigint) is
$$Create a client of the HTTP API; returns it with its token, shown this once.

scopes: any of read, users, topup, bonus, spend, reverse, transfer, hold, batch, or all (each
of them). assets: the assets it may post in (null: every one). max_amount: the largest amount of
one posting (null: no limit). Only the token's sha256 is stored: a lost token is replaced by
wallet.rotate_client_token. An operator's tool, not granted to wallet_api.
Errors: PW002 bad name, scopes or assets, PW001 bad max_amount, PW011 unknown asset,
PW073 name taken.$$;

create function wallet.list_clients()
returns setof wallet.client
language sql
stable
security definer
set search_path = ''
as $$
    select (wallet_internal.shown(c)).* from ledger.clients as c order by c.name;
$$;

comment on function wallet.list_clients() is
$$Every client, revoked ones too, by name; never a token or its hash. An operator's tool.$$;

create function wallet.revoke_client(client_id uuid)
returns wallet.client
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_client ledger.clients := wallet_internal.get_client(client_id);
begin
    update ledger.clients as c
    set revoked_at = coalesce(c.revoked_at, now())
    where c.id = v_client.id
    returning * into v_client;
    return wallet_internal.shown(v_client);
end;
$$;

comment on function wallet.revoke_client(uuid) is
$$Revoke a client: its postings are refused from the next one on, its reads within seconds.

For good: a revoked client is not restored (create a new one). Revoking twice keeps the first
time. An operator's tool. Errors: PW072 unknown client.$$;

create function wallet.rotate_client_token(client_id uuid)
returns wallet.new_client
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_token constant text := wallet_internal.new_token();
    v_client ledger.clients := wallet_internal.get_client(client_id);
begin
    if v_client.revoked_at is not null then
        raise exception using
            errcode = 'PW070',
            message = format('client %L is revoked', v_client.name),
            hint = 'Create a new client.';
    end if;
    update ledger.clients as c
    set token_hash = wallet_internal.token_hash(v_token)
    where c.id = v_client.id;
    return wallet_internal.with_token(v_client, v_token);
end;
$$;

comment on function wallet.rotate_client_token(uuid) is
$$Give a client a new token, shown this once; the old one stops working at once.

An operator's tool. Errors: PW072 unknown client, PW070 revoked client.$$;

create function wallet.authenticate(token text)
returns wallet.client
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_client ledger.clients;
begin
    select * into v_client
    from ledger.clients as c
    where c.token_hash = wallet_internal.token_hash(authenticate.token);
    if not found or v_client.revoked_at is not null then
        raise exception using
            errcode = 'PW070',
            message = 'unknown or revoked token';
    end if;
    return wallet_internal.shown(v_client);
end;
$$;

comment on function wallet.authenticate(text) is
$$The client whose bearer token this is. Granted to wallet_api: the facade calls it per request.

Errors: PW070 unknown or revoked token (the message never repeats the token).$$;
