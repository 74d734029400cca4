-- Finding a user or an asset by its id, or the error that says why not.

create function wallet_internal.raise_user_not_found(user_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
    raise exception using
        errcode = 'PW010',
        message = format('user %s not found', coalesce(user_id::text, 'null'));
end;
$$;

create function wallet_internal.get_user(user_id uuid)
returns ledger.users
language plpgsql
stable
set search_path = ''
as $$
declare
    v_user ledger.users;
begin
    select * into v_user from ledger.users as u where u.id = get_user.user_id;
    if not found then
        perform wallet_internal.raise_user_not_found(user_id);
    end if;
    return v_user;
end;
$$;

create function wallet_internal.get_asset(asset text)
returns ledger.assets
language plpgsql
stable
set search_path = ''
as $$
declare
    v_asset ledger.assets;
begin
    select * into v_asset from ledger.assets as a where a.code = get_asset.asset;
    if not found then
        raise exception using
            errcode = 'PW011',
            message = format('asset %L not found', asset),
            hint = 'wallet.list_assets() lists the assets.';
    end if;
    return v_asset;
end;
$$;

-- An asset a posting may use: it exists and is not frozen.
create function wallet_internal.postable_asset(asset text)
returns ledger.assets
language plpgsql
stable
set search_path = ''
as $$
declare
    v_asset constant ledger.assets := wallet_internal.get_asset(asset);
begin
    if v_asset.status = 'frozen' then
        raise exception using
            errcode = 'PW040',
            message = format('asset %L is frozen', asset),
            hint = 'An operator lifts it with wallet.set_asset_status(code, ''active'').';
    end if;
    return v_asset;
end;
$$;
