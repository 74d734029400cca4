-- Creating users and assets, changing their status, purging expired keys.

create function wallet.create_user(name text, email text, id uuid default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_id uuid := coalesce(create_user.id, pg_catalog.gen_random_uuid());
    v_email text;
    v_constraint text;
begin
    perform wallet_internal.check_name(name);
    v_email := wallet_internal.checked_email(email);
    insert into ledger.users (id, name, email) values (v_id, name, v_email);
    return v_id;
exception
    when unique_violation then
        get stacked diagnostics v_constraint = constraint_name;
        if v_constraint = 'users_email_key' then
            raise exception using
                errcode = 'PW050',
                message = format('email %L is already taken', email),
                hint = 'Emails are unique regardless of case.';
        end if;
        raise exception using
            errcode = 'PW052',
            message = format('user %s already exists', v_id);
end;
$$;

comment on function wallet.create_user(text, text, uuid) is
$$Create an active user and return their id (a new random one unless id is given).

The email is kept in Unicode form NFKC. Errors: PW002 bad name or email (control or invisible
characters included), PW050 email taken (in any case), PW052 id taken.$$;

create function wallet.create_asset(code text, name text, description text default '')
returns wallet.asset
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.check_asset_code(code);
    perform wallet_internal.check_name(name);
    if description is null or length(description) > 2000 then
        raise exception using
            errcode = 'PW002',
            message = 'invalid description: it must be at most 2000 characters';
    end if;
    begin
        insert into ledger.assets (code, name, description) values (code, name, description);
    exception
        when unique_violation then
            raise exception using
                errcode = 'PW051',
                message = format('asset %L already exists', code);
    end;
    -- The system wallets, 64 slots each (see 27_locking.sql).
    insert into ledger.wallets (asset, holder, slot)
    select code, h.holder, s.slot
    from (values ('treasury'), ('revenue')) as h (holder)
    cross join generate_series(0, 63) as s (slot);
    return wallet.get_asset(code);
end;
$$;

comment on function wallet.create_asset(text, text, text) is
$$Create an active asset and its system wallets (treasury and revenue). Returns the asset.

An operator's tool, not granted to wallet_api.
Errors: PW002 bad code, name or description, PW051 code taken.$$;

create function wallet.set_asset_status(code text, status text)
returns wallet.asset
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.check_choice(status, array['active', 'frozen'], 'asset status');
    update ledger.assets as a set status = set_asset_status.status where a.code = set_asset_status.code;
    return wallet.get_asset(code);
end;
$$;

comment on function wallet.set_asset_status(text, text) is
$$Freeze ('frozen') or unfreeze ('active') an asset. A frozen asset refuses every posting; reads go on.

An operator's tool, not granted to wallet_api. Errors: PW002 bad status, PW011 unknown asset.$$;

create function wallet.set_user_status(user_id uuid, status text)
returns wallet.user_account
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.check_choice(status, array['active', 'suspended'], 'user status');
    update ledger.users as u set status = set_user_status.status where u.id = set_user_status.user_id;
    return wallet.get_user(user_id);
end;
$$;

comment on function wallet.set_user_status(uuid, text) is
$$Suspend ('suspended') or reinstate ('active') a user. A suspended user is refused every posting; reads go on.

An operator's tool, not granted to wallet_api. Errors: PW002 bad status, PW010 unknown user.$$;

create function wallet.purge_idempotency_keys()
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_count bigint;
begin
    delete from ledger.idempotency_keys as k where k.expires_at <= now();
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

comment on function wallet.purge_idempotency_keys() is
$$Delete the idempotency keys past their retention; returns how many.

The retention is ledger.config.idempotency_retention, 7 days by default.

Run it from a scheduler. An expired key that was not purged yet is reused all the same.$$;
