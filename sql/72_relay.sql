-- Where each event relay stands (`pgwallet relay`, pgwallet/relay.py): the
-- last event its broker acknowledged, so that a relay that crashed resumes
-- after it. Operators' tools: the relay runs with the owner's DATABASE_URL,
-- like `pgwallet migrate`; not granted to wallet_api.

create function wallet.relay_position(name text)
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
    select coalesce((select r.event_id from ledger.relay_positions as r where r.name = relay_position.name), 0);
$$;

comment on function wallet.relay_position(text) is
$$The last event_id that relay "name" had acknowledged by its broker (0 for a new relay).$$;

create function wallet.set_relay_position(name text, event_id bigint)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_position bigint;
begin
    if name is null or name !~ '^[a-z][a-z0-9_-]{0,62}$' then
        raise exception using
            errcode = 'PW002',
            message = format('invalid relay name: %L ([a-z][a-z0-9_-]{0,62})', name);
    end if;
    if event_id is null or event_id < 0 then
        raise exception using
            errcode = 'PW002',
            message = format('invalid event_id: %s', coalesce(event_id::text, 'null'));
    end if;
    -- Never backwards: of two relays run by mistake under one name, the one
    -- behind cannot make the other publish again what it already has.
    insert into ledger.relay_positions as r (name, event_id)
    values (set_relay_position.name, set_relay_position.event_id)
    on conflict on constraint relay_positions_pkey do update
    set event_id = greatest(r.event_id, excluded.event_id), updated_at = now()
    returning r.event_id into v_position;
    return v_position;
end;
$$;

comment on function wallet.set_relay_position(text, bigint) is
$$Record that relay "name" had every event up to event_id acknowledged; returns its position.

A position never moves backwards. Errors: PW002 bad name or event_id.$$;
