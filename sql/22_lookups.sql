-- Finding a user or an asset by its id, or the refusal that says why not.

-- A user who may post: one who exists (PW010) and is not suspended (PW041);
-- `found` is the row read for `user_id`, if any.
create function wallet_internal.user_refusal(found ledger.users, user_id uuid)
returns wallet_internal.refusal
language sql
stable
as $$
    select case
        when found.id is null then row(
            'PW010', format('user %s not found', coalesce(user_id::text, 'null')), null, null
        )::wallet_internal.refusal
        when found.status = 'suspended' then row(
            'PW041', format('user %s is suspended', user_id), null,
            'An operator lifts it with wallet.set_user_status(user_id, ''active'').'
        )::wallet_internal.refusal
    end;
$$;

create function wallet_internal.get_user(user_id uuid)
returns ledger.users
language plpgsql
stable
as $$
declare
    v_user ledger.users;
begin
    select * into v_user from ledger.users as u where u.id = get_user.user_id;
    if not found then
        perform wallet_internal.refuse(wallet_internal.user_refusal(null, user_id));
    end if;
    return v_user;
end;
$$;

-- An asset a posting may use: it exists (PW011) and is not frozen (PW040);
-- `asset` is the row found for `code`, if any.
create function wallet_internal.asset_refusal(asset ledger.assets, code text)
returns wallet_internal.refusal
language sql
stable
as $$
    select case
        when asset.code is null then row(
            'PW011', format('asset %L not found', code), null, 'wallet.list_assets() lists the assets.'
        )::wallet_internal.refusal
        when asset.status = 'frozen' then row(
            'PW040', format('asset %L is frozen', code), null,
            'An operator lifts it with wallet.set_asset_status(code, ''active'').'
        )::wallet_internal.refusal
    end;
$$;

create function wallet_internal.get_asset(asset text)
returns ledger.assets
language plpgsql
stable
as $$
declare
    v_asset ledger.assets;
begin
    select * into v_asset from ledger.assets as a where a.code = get_asset.asset;
    if not found then
        perform wallet_internal.refuse(wallet_internal.asset_refusal(null, asset));
    end if;
    return v_asset;
end;
$$;

create function wallet_internal.postable_asset(asset text)
returns ledger.assets
language plpgsql
stable
as $$
declare
    v_asset ledger.assets;
begin
    select * into v_asset from ledger.assets as a where a.code = postable_asset.asset;
    perform wallet_internal.refuse(wallet_internal.asset_refusal(v_asset, asset));
    return v_asset;
end;
$$;
