-- 0005_hash_chain: a hash chain per wallet, so that a changed entry or
-- transaction shows; the digests of the installed functions, so that a
-- changed function shows.
--
-- Each entry stores hash = sha256(the previous entry's hash in its wallet ||
-- its own canonical content || its transaction's canonical content), and
-- each wallet its head (the hash of its last entry). A posting already holds
-- the lock of both its wallets, so the chain adds no lock and no hot row.
-- wallet.verify() checks every link; wallet.chain_head() digests every head,
-- and wallet.verify_against(head) proves later that nothing it covered changed.
--
-- The canonical forms are defined here, in a migration, and not in sql/:
-- they are a stored format, like a column type. Once an entry is hashed its
-- form may never change, so a later field of a transaction joins the form
-- only as a key that is absent (null) on older rows, by a new migration.
--
-- Existing entries are chained here, in the order of their ids (within a
-- wallet, the order of commit: a posting holds its wallets until it ends).
-- depends: 0004_clients

-- The canonical content of a transaction that its entries' hashes cover: a
-- JSON object (jsonb's text form is canonical: sorted keys, no spaces), its
-- time as epoch seconds so that no time zone setting changes it.
create function ledger.transaction_content(t ledger.transactions)
returns bytea
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.convert_to((
        pg_catalog.jsonb_build_object(
            'id', t.id,
            'seq', t.seq,
            'kind', t.kind,
            'asset', t.asset,
            'user_id', t.user_id,
            'amount', t.amount,
            'metadata', t.metadata,
            'idempotency_key', t.idempotency_key,
            'created_at', extract(epoch from t.created_at)
        )
        -- Optional fields: absent when null, so older rows keep their form.
        || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'client_id', t.client_id,
            'sql_user', t.sql_user
        ))
    )::text, 'UTF8');
$$;

comment on function ledger.transaction_content(ledger.transactions) is
'The canonical bytes of a transaction that the hash chain covers (format of migration 0005).';

-- The hash of an entry: the previous entry's hash in its wallet (null for the
-- first), its own content (wallet, signed amount, balance after) and its
-- transaction's content.
create function ledger.entry_hash(
    previous bytea, wallet_id bigint, amount bigint, balance_after bigint, transaction_content bytea
)
returns bytea
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.sha256(
        coalesce(previous, ''::bytea)
        || pg_catalog.convert_to(pg_catalog.jsonb_build_array(wallet_id, amount, balance_after)::text, 'UTF8')
        || transaction_content
    );
$$;

comment on function ledger.entry_hash(bytea, bigint, bigint, bigint, bytea) is
'The hash of an entry in its wallet''s chain (format of migration 0005).';

alter table ledger.entries add column hash bytea;

alter table ledger.wallets add column head bytea;

-- Chain what exists, with the ledger's guards off for this one rewrite.
alter table ledger.entries disable trigger user;

alter table ledger.wallets disable trigger user;

do $$
declare
    v_entry record;
    v_wallet bigint;
    v_head bytea;
begin
    for v_entry in
        select e.id, e.wallet_id, e.amount, e.balance_after, ledger.transaction_content(t) as content
        from ledger.entries as e
        inner join ledger.transactions as t on e.transaction_id = t.id
        order by e.wallet_id, e.id
    loop
        if v_entry.wallet_id is distinct from v_wallet then
            v_wallet := v_entry.wallet_id;
            v_head := null;
        end if;
        v_head := ledger.entry_hash(v_head, v_entry.wallet_id, v_entry.amount, v_entry.balance_after, v_entry.content);
        update ledger.entries set hash = v_head where id = v_entry.id;
    end loop;
    update ledger.wallets as w
    set head = e.hash
    from ledger.entries as e
    where e.id = w.last_entry_id;
end;
$$;

alter table ledger.entries enable trigger user;

alter table ledger.wallets enable trigger user;

alter table ledger.entries alter column hash set not null;

-- The digest of every function of schemas wallet and wallet_internal as
-- `pgwallet migrate` installed it (written by sql/99_seal.sql in the same
-- transaction), so that verify() names a function whose body changed since.
create table ledger.installed_functions (
    signature text primary key,
    digest bytea not null
);

comment on table ledger.installed_functions is
'sha256 of each wallet and wallet_internal function''s definition as pgwallet migrate installed it.';
