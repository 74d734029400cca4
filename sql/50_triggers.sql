-- Triggers that make the invariants structural: they hold whoever writes to
-- the tables, the owner and superusers included (short of disabling triggers).
-- Trigger names carry a number so their firing order is explicit.

-- Invariant 4: transactions and entries are append-only; wallets are never
-- deleted. Fires for every role, including the owner.
create function wallet_internal.tg_ledger__append_only()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    raise exception using
        errcode = 'PW060',
        message = format('%I.%I is append-only: %s is not allowed', tg_table_schema, tg_table_name, tg_op),
        hint = 'To correct a posting, post a new transaction.';
end;
$$;

create trigger _100_append_only
before update or delete on ledger.transactions
for each row execute function wallet_internal.tg_ledger__append_only();

create trigger _100_append_only
before update or delete on ledger.entries
for each row execute function wallet_internal.tg_ledger__append_only();

create trigger _100_append_only
before delete on ledger.wallets
for each row execute function wallet_internal.tg_ledger__append_only();

create trigger _110_append_only_truncate
before truncate on ledger.transactions
for each statement execute function wallet_internal.tg_ledger__append_only();

create trigger _110_append_only_truncate
before truncate on ledger.entries
for each statement execute function wallet_internal.tg_ledger__append_only();

create trigger _110_append_only_truncate
before truncate on ledger.wallets
for each statement execute function wallet_internal.tg_ledger__append_only();

-- The event feed's numbering too (70_events.sql): an event renumbered or
-- deleted would reach its readers twice, or never.
create trigger _100_append_only
before update or delete on ledger.events
for each row execute function wallet_internal.tg_ledger__append_only();

create trigger _110_append_only_truncate
before truncate on ledger.events
for each statement execute function wallet_internal.tg_ledger__append_only();

-- Stored receipts are append-only too: a key row is never updated (an edited
-- receipt would make a replay answer a forged balance), and deleted only once
-- it has expired (wallet.purge_idempotency_keys, or a claim that reuses it):
-- deleting a live key would let its retry post twice.
create function wallet_internal.tg_idempotency_keys__expired_only()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if tg_op = 'DELETE' and old.expires_at <= now() then
        return old;
    end if;
    raise exception using
        errcode = 'PW060',
        message = format('ledger.idempotency_keys is append-only: %s is not allowed%s', tg_op,
            case when tg_op = 'DELETE' then ' before the key expires' else '' end),
        hint = 'Expired keys are deleted by wallet.purge_idempotency_keys().';
end;
$$;

create trigger _100_expired_only
before update or delete on ledger.idempotency_keys
for each row execute function wallet_internal.tg_idempotency_keys__expired_only();

create trigger _110_append_only_truncate
before truncate on ledger.idempotency_keys
for each statement execute function wallet_internal.tg_ledger__append_only();

-- Invariant 3: a wallet's balance is a cache of its entries. An UPDATE may
-- move a wallet forward over its next entries only (those after
-- last_entry_id, up to the new last_entry_id: one for a posting, several
-- when a batch updates a wallet once for all its postings, 38_batches.sql):
-- the balance by exactly their sum, each recording the balance it left, the
-- balance to the last one's balance_after and the head to its hash; and each
-- of them belongs to a transaction (no foreign key says so, migration 0013:
-- this is where an entry written without one would first move a balance;
-- the transaction's own check at commit does the rest). So a bare
-- `update ledger.wallets set balance = ...` fails. Which wallet a row is
-- never changes. One index range scan of the wallet's new entries, and each
-- one's transaction by primary key.
create function wallet_internal.tg_wallets__balance_from_entries()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_last record;
    v_steps record;
begin
    if (new.id, new.asset, new.holder, new.user_id, new.slot, new.created_at)
        is distinct from (old.id, old.asset, old.holder, old.user_id, old.slot, old.created_at) then
        raise exception using
            errcode = 'PW060',
            message = format('wallet %s: only its balance may change', old.id);
    end if;
    if (new.balance, new.last_entry_id, new.head) is not distinct from (old.balance, old.last_entry_id, old.head) then
        return new;
    end if;

    -- A posting's case, one step: the new last entry is the wallet's, of a
    -- transaction, and the next after the old one. Three lookups by key.
    select
        e.wallet_id = new.id
            and e.id > coalesce(old.last_entry_id, 0)
            and e.balance_after::numeric - e.amount = old.balance
            and e.balance_after = new.balance
            and e.hash = new.head
            and exists (select from ledger.transactions as t where t.id = e.transaction_id)
            and not exists (
                select from ledger.entries as b
                where b.wallet_id = new.id and b.id > coalesce(old.last_entry_id, 0) and b.id < new.last_entry_id
            ) as one_step
    into v_last
    from ledger.entries as e
    where e.id = new.last_entry_id;
    if v_last.one_step then
        return new;
    end if;

    -- A batch's case, several steps: each entry in between.
    select
        count(*) as entries,
        bool_and(s.balance_after = old.balance::numeric + s.running) as recorded,
        bool_and(s.posted) as posted,
        max(s.running) filter (where s.id = new.last_entry_id) as moved,
        max(s.balance_after) filter (where s.id = new.last_entry_id) as last_balance,
        (array_agg(s.hash) filter (where s.id = new.last_entry_id))[1] as last_hash
    into v_steps
    from (
        select e.id, e.balance_after, e.hash, sum(e.amount::numeric) over (order by e.id) as running,
            exists (select from ledger.transactions as t where t.id = e.transaction_id) as posted
        from ledger.entries as e
        where e.wallet_id = new.id
            and e.id > coalesce(old.last_entry_id, 0)
            and e.id <= new.last_entry_id
    ) as s;

    if not coalesce(
        v_steps.entries > 0
        and v_steps.recorded
        and v_steps.posted
        and v_steps.moved = new.balance::numeric - old.balance::numeric
        and v_steps.last_balance = new.balance
        and v_steps.last_hash = new.head,
        false
    ) then
        raise exception using
            errcode = 'PW061',
            message = format('wallet %s: a balance changes only through a posting', old.id),
            detail = format('Balance %s -> %s, last entry %s -> %s.',
                old.balance, new.balance, old.last_entry_id, new.last_entry_id),
            hint = 'Post with the wallet functions (wallet.topup, wallet.transfer, wallet.reverse...).';
    end if;
    return new;
end;
$$;

create trigger _200_balance_from_entries
before update on ledger.wallets
for each row execute function wallet_internal.tg_wallets__balance_from_entries();

-- Invariant 2, checked at commit of each new transaction: it has one debit
-- and one credit of its amount, in wallets of its asset, the ones its kind
-- names (wallet_internal.sides: e.g. a treasury slot and the user's wallet
-- for a topup, the two users' wallets for a transfer), both applied to their
-- balances; a reversal fits what it reverses (reversal_fits). And it was
-- written by wallet_internal.write_posting, which marks its transaction
-- (pgwallet.posting): a transaction, entries and balances written by hand
-- are refused even when they add up. (The owner can set the mark too; then
-- the published chain heads are what shows it, see 62_chain.sql.)
--
-- Every statement is a lookup by key, whatever the table statistics say: the
-- transaction by its primary key, its debit and its credit by the unique
-- (transaction_id, is_credit), their wallets by primary key. (A join here was
-- once planned as a scan of every wallet on a never-analyzed database.)
create function wallet_internal.check_transaction(transaction_id uuid)
returns void
language plpgsql
stable
as $$
declare
    v_transaction ledger.transactions;
    v_debit ledger.entries;
    v_credit ledger.entries;
    v_debit_wallet ledger.wallets;
    v_credit_wallet ledger.wallets;
    v_reversed_kind text;
    v_sides record;
begin
    select * into v_transaction from ledger.transactions as t where t.id = check_transaction.transaction_id;
    select * into v_debit from ledger.entries as e where e.transaction_id = v_transaction.id and not e.is_credit;
    select * into v_credit from ledger.entries as e where e.transaction_id = v_transaction.id and e.is_credit;
    select * into v_debit_wallet from ledger.wallets as w where w.id = v_debit.wallet_id;
    select * into v_credit_wallet from ledger.wallets as w where w.id = v_credit.wallet_id;
    if v_transaction.reverses is not null then
        select t.kind into v_reversed_kind from ledger.transactions as t where t.id = v_transaction.reverses;
    end if;
    select * into v_sides from wallet_internal.sides(
        v_transaction.kind, v_reversed_kind, v_transaction.user_id, v_transaction.counterparty_user_id
    );

    if not coalesce(
        v_debit.amount = -v_transaction.amount
        and v_credit.amount = v_transaction.amount
        and v_debit_wallet.asset = v_transaction.asset
        and v_credit_wallet.asset = v_transaction.asset
        and v_debit_wallet.last_entry_id >= v_debit.id
        and v_credit_wallet.last_entry_id >= v_credit.id
        and (v_debit_wallet.holder, v_debit_wallet.user_id)
        is not distinct from (v_sides.debit_holder, v_sides.debit_user)
        and (v_credit_wallet.holder, v_credit_wallet.user_id)
        is not distinct from (v_sides.credit_holder, v_sides.credit_user)
        and (v_transaction.reverses is null or wallet_internal.reversal_fits(v_transaction)),
        false
    ) then
        raise exception using
            errcode = 'PW062',
            message = format('transaction %s does not balance', transaction_id),
            detail = 'A transaction needs one debit and one credit of its amount, between the wallets '
                'of its asset that its kind names, both applied to their balances; a reversal must fit '
                'what it reverses.';
    end if;
    if pg_catalog.current_setting('pgwallet.posting', true) is distinct from 'on' then
        raise exception using
            errcode = 'PW062',
            message = format('transaction %s was not written by a posting function', transaction_id),
            hint = 'Post with the wallet functions (wallet.topup, wallet.transfer, wallet.reverse...).';
    end if;
end;
$$;

-- No entry can join a committed transaction (ledger.entries allows one debit
-- and one credit per transaction, see migration 0002), so checking each new
-- transaction once, at commit, covers every entry.
--
-- SECURITY DEFINER because a deferred trigger runs at commit, after the
-- posting's SECURITY DEFINER call has returned: before PostgreSQL 18 it then
-- runs as the committing role (wallet_api), which may not read the tables.
create function wallet_internal.tg_transactions__balanced()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    perform wallet_internal.check_transaction(new.id);
    return null;
end;
$$;

create constraint trigger _300_balanced
after insert on ledger.transactions
deferrable initially deferred
for each row execute function wallet_internal.tg_transactions__balanced();
