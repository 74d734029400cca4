-- The rules an argument must follow, each checked in one place. The API
-- functions call these before they touch anything; the CHECK constraints of
-- migrations/ hold the same rules as a backstop, and the facade mirrors them
-- in pgwallet/rules.py (a test compares the three).
--
-- A rule a posting checks is written once, as a function that returns the
-- refusal (or null): a single posting raises it (wallet_internal.refuse), a
-- batch records it against its item and goes on with the next
-- (38_batches.sql), without a subtransaction per item.

-- Why an argument or a posting is refused: an error of the catalogue
-- (15_errors.sql) with its message, detail and hint.
create type wallet_internal.refusal as (
    sqlstate text,
    message text,
    detail text,
    hint text
);

-- Raise a refusal; nothing when there is none.
create function wallet_internal.refuse(refusal wallet_internal.refusal)
returns void
language plpgsql
immutable
as $$
begin
    -- RAISE cannot leave an option out conditionally, and an empty one still
    -- shows (an empty DETAIL: line in psql): one RAISE per shape.
    if refusal.sqlstate is null then
        return;
    elsif refusal.detail is null and refusal.hint is null then
        raise exception using errcode = refusal.sqlstate, message = refusal.message;
    elsif refusal.hint is null then
        raise exception using errcode = refusal.sqlstate, message = refusal.message, detail = refusal.detail;
    elsif refusal.detail is null then
        raise exception using errcode = refusal.sqlstate, message = refusal.message, hint = refusal.hint;
    end if;
    raise exception using
        errcode = refusal.sqlstate, message = refusal.message, detail = refusal.detail, hint = refusal.hint;
end;
$$;

-- The posting functions lock, check and write assuming READ COMMITTED, where
-- each statement sees what committed before it: under REPEATABLE READ a
-- snapshot taken before an asset was frozen would still post into it, and a
-- duplicate's key would surface as a raw unique violation. Refuse the others.
create function wallet_internal.check_read_committed()
returns void
language plpgsql
stable
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
as $$
    select 9223372036854775807::bigint;
$$;

create function wallet_internal.amount_refusal(amount bigint)
returns wallet_internal.refusal
language sql
stable
as $$
    select case when amount is null or amount < 1 then row(
        'PW001',
        format('invalid amount %s: an amount must be at least 1', coalesce(amount::text, 'null')),
        null,
        format('Amounts are whole numbers of the asset''s smallest unit, 1 to %s.', wallet_internal.bigint_max())
    )::wallet_internal.refusal end;
$$;

create function wallet_internal.check_amount(amount bigint)
returns void
language sql
stable
as $$
    select wallet_internal.refuse(wallet_internal.amount_refusal(amount));
$$;

-- A transfer moves credits between two users: the same user twice is no
-- transfer (PW002).
create function wallet_internal.check_transfer_users(from_user_id uuid, to_user_id uuid)
returns void
language plpgsql
immutable
as $$
begin
    if from_user_id = to_user_id then
        raise exception using
            errcode = 'PW002',
            message = format('invalid transfer: from_user_id and to_user_id are the same user %s', from_user_id),
            hint = 'A transfer moves credits between two different users.';
    end if;
end;
$$;

-- How deep a JSON value nests (a scalar is 0, {} or [] 1).
create function wallet_internal.json_depth(value jsonb)
returns integer
language sql
immutable
parallel safe
as $$
    select case pg_catalog.jsonb_typeof(value)
        when 'object' then 1 + coalesce((
            select max(wallet_internal.json_depth(v)) from pg_catalog.jsonb_each(value) as e (k, v)
        ), 0)
        when 'array' then 1 + coalesce((
            select max(wallet_internal.json_depth(v)) from pg_catalog.jsonb_array_elements(value) as e (v)
        ), 0)
        else 0
    end;
$$;

-- Metadata as it is stored: a JSON object, '{}' when none was given, of at
-- most 16 KiB and 32 levels. The bound keeps one page of history (500
-- entries) small, and a deep value from exhausting a reader's stack.
-- Metadata (null: none, '{}') must be a JSON object of at most 16 KiB that
-- nests at most 32 levels.
create function wallet_internal.metadata_refusal(metadata jsonb)
returns wallet_internal.refusal
language plpgsql
immutable
as $$
declare
    c_max_bytes constant integer := 16384;
    c_max_depth constant integer := 32;
    v_metadata constant jsonb := coalesce(metadata, '{}');
    v_text text;
begin
    if pg_catalog.jsonb_typeof(v_metadata) <> 'object' then
        return row('PW002', format('invalid metadata: it must be a JSON object, not %s',
            pg_catalog.jsonb_typeof(v_metadata)), null, null)::wallet_internal.refusal;
    end if;
    if v_metadata = '{}' then
        return null;
    end if;
    v_text := v_metadata::text;
    if octet_length(v_text) > c_max_bytes then
        return row('PW002', format('invalid metadata: %s bytes, at most %s', octet_length(v_text), c_max_bytes),
            null, null)::wallet_internal.refusal;
    end if;
    -- Fewer brackets than the bound (in strings too) cannot nest deeper;
    -- only then is the depth worth measuring.
    if octet_length(v_text) - octet_length(replace(replace(v_text, '{', ''), '[', '')) > c_max_depth
        and wallet_internal.json_depth(v_metadata) > c_max_depth then
        return row(
            'PW002', format('invalid metadata: it nests deeper than %s levels', c_max_depth), null, null
        )::wallet_internal.refusal;
    end if;
    return null;
end;
$$;

-- The metadata to store ('{}' for null), or the refusal raised.
create function wallet_internal.checked_metadata(metadata jsonb)
returns jsonb
language plpgsql
immutable
as $$
begin
    perform wallet_internal.refuse(wallet_internal.metadata_refusal(metadata));
    return coalesce(metadata, '{}');
end;
$$;

-- An idempotency key: 1 to 255 printable ASCII characters (PW003). The length
-- is measured apart: a bounded repetition such as {1,255} makes PostgreSQL's
-- regex engine some 25 times slower per match (11 µs against 0.4 µs), paid on
-- every posting (here and in the key table's CHECK, migration 0012).
create function wallet_internal.idempotency_key_refusal(idempotency_key text)
returns wallet_internal.refusal
language sql
stable
as $$
    select case when idempotency_key is null
        or idempotency_key !~ '^[\x20-\x7e]+$'
        or pg_catalog.length(idempotency_key) > 255 then row(
        'PW003',
        'invalid idempotency key: it must be 1 to 255 printable ASCII characters',
        format('The key has %s characters.', coalesce(length(idempotency_key), 0)),
        null
    )::wallet_internal.refusal end;
$$;

create function wallet_internal.check_idempotency_key(idempotency_key text)
returns void
language sql
stable
as $$
    select wallet_internal.refuse(wallet_internal.idempotency_key_refusal(idempotency_key));
$$;

-- Whether a text holds a control character (tab, newline...) or an invisible
-- format character (zero-width spaces and joiners, bidi marks, soft hyphen,
-- BOM), which would make two names or emails look alike and differ.
create function wallet_internal.has_hidden_characters(value text)
returns boolean
language sql
immutable
parallel safe
as $$
    select value ~ '[[:cntrl:]\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]';
$$;

-- A person's or an asset's name.
create function wallet_internal.check_name(name text)
returns void
language plpgsql
immutable
as $$
begin
    if name is null or name <> btrim(name) or length(name) not between 1 and 200
        or wallet_internal.has_hidden_characters(name) then
        raise exception using
            errcode = 'PW002',
            message = 'invalid name: it must be 1 to 200 characters without leading or trailing spaces,'
                ' control or invisible characters';
    end if;
end;
$$;

-- An email as it is stored: in Unicode normalization form NFKC (so that
-- look-alike spellings of one address are one address), without control or
-- invisible characters, shaped like name@domain.
create function wallet_internal.checked_email(email text)
returns text
language plpgsql
immutable
as $$
declare
    v_email constant text := pg_catalog.normalize(email, 'NFKC');
begin
    if v_email is null or v_email !~ '^[^@\s]+@[^@\s]+$' or length(v_email) > 320
        or wallet_internal.has_hidden_characters(v_email) then
        raise exception using
            errcode = 'PW002',
            message = format('invalid email %L: it must look like name@domain', email);
    end if;
    return v_email;
end;
$$;

create function wallet_internal.check_asset_code(code text)
returns void
language plpgsql
immutable
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
as $$
begin
    if value is null or not value = any (choices) then
        raise exception using
            errcode = 'PW002',
            message = format('invalid %s %L: it is one of %s', what, value, array_to_string(choices, ', '));
    end if;
end;
$$;
