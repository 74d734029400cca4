-- The rules an argument must follow, each checked in one place. The API
-- functions call these before they touch anything; the CHECK constraints of
-- migrations/ hold the same rules as a backstop, and the facade mirrors them
-- in pgwallet/rules.py (a test compares the three).

-- The posting functions lock, check and write assuming READ COMMITTED, where
-- each statement sees what committed before it: under REPEATABLE READ a
-- snapshot taken before an asset was frozen would still post into it, and a
-- duplicate's key would surface as a raw unique violation. Refuse the others.
create function wallet_internal.check_read_committed()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
        raise exception using
            errcode = 'PW004',
            message = format('postings need READ COMMITTED, not %s',
                upper(pg_catalog.current_setting('transaction_isolation'))),
            hint = 'Post in a READ COMMITTED transaction (PostgreSQL''s default).';
    end if;
end;
$$;

-- The largest amount and balance: bigint's maximum, 2^63 - 1.
create function wallet_internal.bigint_max()
returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$
    select 9223372036854775807::bigint;
$$;

create function wallet_internal.check_amount(amount bigint)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if amount is null or amount < 1 then
        raise exception using
            errcode = 'PW001',
            message = format('invalid amount %s: an amount must be at least 1', coalesce(amount::text, 'null')),
            hint = format('Amounts are whole numbers of the asset''s smallest unit, 1 to %s.',
                wallet_internal.bigint_max());
    end if;
end;
$$;

-- Metadata as it is stored: a JSON object, '{}' when none was given.
create function wallet_internal.checked_metadata(metadata jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_metadata constant jsonb := coalesce(metadata, '{}');
begin
    if pg_catalog.jsonb_typeof(v_metadata) <> 'object' then
        raise exception using
            errcode = 'PW002',
            message = format('invalid metadata: it must be a JSON object, not %s', pg_catalog.jsonb_typeof(v_metadata));
    end if;
    return v_metadata;
end;
$$;

create function wallet_internal.check_idempotency_key(idempotency_key text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if idempotency_key is null or idempotency_key !~ '^[\x20-\x7e]{1,255}$' then
        raise exception using
            errcode = 'PW003',
            message = 'invalid idempotency key: it must be 1 to 255 printable ASCII characters',
            detail = format('The key has %s characters.', coalesce(length(idempotency_key), 0));
    end if;
end;
$$;

-- A person's or an asset's name.
create function wallet_internal.check_name(name text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if name is null or name <> btrim(name) or length(name) not between 1 and 200 then
        raise exception using
            errcode = 'PW002',
            message = 'invalid name: it must be 1 to 200 characters without leading or trailing spaces';
    end if;
end;
$$;

create function wallet_internal.check_email(email text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if email is null or email !~ '^[^@\s]+@[^@\s]+$' or length(email) > 320 then
        raise exception using
            errcode = 'PW002',
            message = format('invalid email %L: it must look like name@domain', email);
    end if;
end;
$$;

create function wallet_internal.check_asset_code(code text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if code is null or code !~ '^[a-z][a-z0-9_]{1,62}$' then
        raise exception using
            errcode = 'PW002',
            message = format('invalid asset code %L', code),
            hint = 'A code is a lowercase slug: [a-z][a-z0-9_]{1,62}, e.g. gold_coins.';
    end if;
end;
$$;

create function wallet_internal.check_client_name(name text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if name is null or name !~ '^[a-z][a-z0-9_-]{0,62}$' then
        raise exception using
            errcode = 'PW002',
            message = format('invalid client name %L', name),
            hint = 'A client name is a lowercase slug: [a-z][a-z0-9_-]{0,62}, e.g. shop or billing-eu.';
    end if;
end;
$$;

create function wallet_internal.check_limit("limit" integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if "limit" is null or "limit" not between 1 and 500 then
        raise exception using
            errcode = 'PW002',
            message = format('invalid limit %s: a page holds 1 to 500 rows', coalesce("limit"::text, 'null'));
    end if;
end;
$$;

-- Refuse a value outside its list (a status, a kind) with PW002.
create function wallet_internal.check_choice(value text, choices text[], what text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if value is null or not value = any (choices) then
        raise exception using
            errcode = 'PW002',
            message = format('invalid %s %L: it is one of %s', what, value, array_to_string(choices, ', '));
    end if;
end;
$$;
