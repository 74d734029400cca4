-- The postings of a batch (wallet.post_batch, 38_batches.sql), read from its
-- JSON: the batch's own shape, and each posting's fields with the refusal of
-- its arguments, of the client's rights and of its key, in the order a
-- single posting checks them. Nothing here raises for a posting: a posting's
-- refusal is recorded against it.

-- A posting of a batch as parsed: its fields where they are well-formed, and
-- the refusal of its arguments or of the client's rights, if any.
create type wallet_internal.batch_item as (
    item integer,
    kind text,
    user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb,
    refusal wallet_internal.refusal
);

-- A batch that is no batch: not a JSON array of 1 to 1000 objects (PW002).
create function wallet_internal.batch_refusal(postings jsonb)
returns wallet_internal.refusal
language sql
immutable
as $$
    select case
        when pg_catalog.jsonb_typeof(postings) is distinct from 'array'
            or pg_catalog.jsonb_array_length(postings) not between 1 and 1000 then row(
            'PW002', 'invalid batch: postings must be a JSON array of 1 to 1000 postings', null,
            'Each posting is an object: {"kind", "user_id", "asset", "amount", "idempotency_key", "metadata"?}.'
        )::wallet_internal.refusal
        when exists (
            select from pg_catalog.jsonb_array_elements(postings) as e (value)
            where pg_catalog.jsonb_typeof(e.value) <> 'object'
        ) then row(
            'PW002', 'invalid batch: every posting must be a JSON object', null,
            'Each posting is an object: {"kind", "user_id", "asset", "amount", "idempotency_key", "metadata"?}.'
        )::wallet_internal.refusal
    end;
$$;

-- The postings of a well-formed batch, parsed, each with the refusal of its
-- arguments (in the order a single posting checks them: its fields, the
-- amount, the metadata), of the client's rights (client_refusal) and of its
-- key (idempotency_key_refusal), if any. An amount is a JSON integer or a
-- string of digits.
create function wallet_internal.batch_items(postings jsonb, client ledger.clients, client_id uuid)
returns setof wallet_internal.batch_item
language sql
stable
as $$
    select
        p.item::integer,
        p.kind,
        p.user_id,
        p.asset,
        p.amount,
        p.idempotency_key,
        p.metadata,
        coalesce(
            case
                when p.unknown is not null then row(
                    'PW002', format('invalid posting: unknown field %s', p.unknown), null,
                    'A posting has kind, user_id, asset, amount, idempotency_key and, optionally, metadata.'
                )::wallet_internal.refusal
                when p.kind is null or p.kind not in ('topup', 'bonus', 'spend') then row(
                    'PW002', format('invalid kind %s: it is one of topup, bonus, spend', coalesce(p.raw ->> 'kind', 'null')),
                    null, null
                )::wallet_internal.refusal
                when p.user_id is null then row(
                    'PW002', format('invalid user_id %s: it must be a UUID', coalesce(p.raw -> 'user_id', 'null')),
                    null, null
                )::wallet_internal.refusal
                when p.asset is null then row(
                    'PW002', format('invalid asset %s: it must be an asset code', coalesce(p.raw -> 'asset', 'null')),
                    null, null
                )::wallet_internal.refusal
                when p.amount is null and p.amount_text is distinct from '0' then row(
                    'PW001',
                    format('invalid amount %s: an amount is a whole number from 1 to %s', coalesce(p.raw -> 'amount', 'null'),
                        wallet_internal.bigint_max()),
                    null, 'A JSON integer or a string of digits.'
                )::wallet_internal.refusal
            end,
            wallet_internal.amount_refusal(coalesce(p.amount, 0)),
            wallet_internal.metadata_refusal(p.metadata),
            wallet_internal.client_refusal(client, client_id, p.kind, p.asset, p.amount),
            wallet_internal.idempotency_key_refusal(p.idempotency_key)
        )
    from (
        select
            e.item,
            e.value as raw,
            e.value ->> 'kind' as kind,
            case when pg_catalog.jsonb_typeof(e.value -> 'user_id') = 'string'
                and e.value ->> 'user_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then (e.value ->> 'user_id')::uuid end as user_id,
            case when pg_catalog.jsonb_typeof(e.value -> 'asset') = 'string' then e.value ->> 'asset' end as asset,
            a.amount_text,
            case when a.amount_text ~ '^[0-9]+$' and pg_catalog.length(a.amount_text) <= 19
                and a.amount_text::numeric between 1 and wallet_internal.bigint_max()
                then a.amount_text::bigint end as amount,
            case when pg_catalog.jsonb_typeof(e.value -> 'idempotency_key') = 'string'
                then e.value ->> 'idempotency_key' end as idempotency_key,
            coalesce(e.value -> 'metadata', '{}') as metadata,
            (
                select string_agg(format('%L', k.key), ', ' order by k.key)
                from pg_catalog.jsonb_object_keys(e.value) as k (key)
                where k.key not in ('kind', 'user_id', 'asset', 'amount', 'idempotency_key', 'metadata')
            ) as unknown
        from pg_catalog.jsonb_array_elements(postings) with ordinality as e (value, item)
        cross join lateral (
            select case pg_catalog.jsonb_typeof(e.value -> 'amount')
                when 'number' then e.value -> 'amount' #>> '{}'
                when 'string' then e.value ->> 'amount'
            end as amount_text
        ) as a
        -- Computed once per posting: without the fence the planner copies each
        -- field's expression into every use of it (the refusals use amount thrice).
        offset 0
    ) as p
    order by p.item;
$$;
