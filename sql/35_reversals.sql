-- Reversals: undo all or part of a transaction, as a new transaction of kind
-- 'reversal' that names it (`reverses`) and mirrors it between the same
-- parties (wallet_internal.sides, 30_postings.sql): a refund of a spend, a
-- clawback of a topup or bonus, a transfer sent back.
--
-- The cap: a transaction's reversals never add up to more than it. How much
-- has been reversed is not stored anywhere; it is the sum of the reversals
-- that name the original (an index lookup, transactions_reverses_idx), read
-- while holding the original's row lock (step 2 of the lock order), so two
-- reversals of one transaction run one after the other and the second sees
-- the first. The ledger stays append-only, and the deferred check and
-- wallet.verify() re-prove the cap from the rows alone.

-- How much of a transaction its reversals have undone so far.
create function wallet_internal.reversed_amount(transaction_id uuid)
returns bigint
language sql
stable
as $$
    select coalesce(sum(r.amount), 0)::bigint
    from ledger.transactions as r
    where r.reverses = reversed_amount.transaction_id;
$$;

-- The amount a reversal of `original` undoes: `amount`, or all that is left
-- when null; more than is left is refused (PW022), as is any reversal of a
-- transaction wholly reversed. Call it holding the original's lock
-- (wallet_internal.lock_reversed).
create function wallet_internal.reversal_amount(original ledger.transactions, amount bigint)
returns bigint
language plpgsql
stable
as $$
declare
    v_left constant bigint := original.amount - wallet_internal.reversed_amount(original.id);
begin
    if v_left = 0 or amount > v_left then
        raise exception using
            errcode = 'PW022',
            message = case when v_left = 0
                then format('transaction %s is already wholly reversed', original.id)
                else format('a reversal of %s exceeds what is left of transaction %s: %s of its %s',
                    amount, original.id, v_left, original.amount)
            end,
            detail = format('Reversed so far: %s of %s.', original.amount - v_left, original.amount);
    end if;
    return coalesce(amount, v_left);
end;
$$;

-- Whether a reversal fits what it reverses: the same asset, the same parties
-- (for a transfer, the other way round), and with the reversals before it no
-- more than the original. The deferred check and wallet.verify() use it.
create function wallet_internal.reversal_fits(reversal ledger.transactions)
returns boolean
language sql
stable
as $$
    select coalesce(bool_and(
        o.kind <> 'reversal'
        and o.asset = reversal.asset
        and case when o.kind = 'transfer'
            then reversal.user_id = o.counterparty_user_id and reversal.counterparty_user_id = o.user_id
            else reversal.user_id = o.user_id and reversal.counterparty_user_id is null
        end
        and wallet_internal.reversed_amount(o.id) <= o.amount
    ), false)
    from ledger.transactions as o
    where o.id = reversal.reverses;
$$;

create function wallet.reverse(
    transaction_id uuid,
    idempotency_key text,
    amount bigint default null,
    metadata jsonb default '{}',
    client_id uuid default null
)
returns wallet.receipt
language plpgsql
security definer
set search_path = ''
as $$
begin
    return pg_catalog.jsonb_populate_record(
        null::wallet.receipt,
        wallet_internal.post(
            'reversal', null, null, null, amount, transaction_id, idempotency_key, metadata, client_id
        )
    );
end;
$$;

comment on function wallet.reverse(uuid, text, bigint, jsonb, uuid) is
$$Undo all or part of a transaction: a refund of a spend (revenue -> user), a clawback of a topup
or bonus (user -> treasury), a transfer sent back (receiver -> sender). Returns the receipt.

amount: how much to undo; null (the default) undoes all that is left. The receipt's user_id and
balance are the user whose wallet changed (for a transfer's reversal, the receiver, debited).
The reversals of a transaction never exceed it (PW022, also once it is wholly reversed); a
reversal cannot be reversed (PW023); a clawback never leaves the user below 0 (PW020). The
original's asset must be active and its users active. Idempotency as wallet.topup; client_id
needs the scope reverse and the asset.
Errors: PW001 amount, PW012 unknown transaction, PW020, PW022, PW023, and as wallet.topup.$$;
