-- Transfers: credits from one user to another (a gift, a trade). Both users
-- are locked in ascending id order (step 3 of the lock order, 27_locking.sql),
-- so two transfers crossing between the same users never deadlock; no system
-- wallet is touched.

create function wallet.transfer(
    from_user_id uuid,
    to_user_id uuid,
    asset text,
    amount bigint,
    idempotency_key text,
    metadata jsonb default '{}',
    client_id uuid default null
)
returns wallet.transfer_receipt
language plpgsql
security definer
set search_path = ''
as $$
begin
    return pg_catalog.jsonb_populate_record(
        null::wallet.transfer_receipt,
        wallet_internal.post(
            'transfer', from_user_id, to_user_id, asset, amount, null, idempotency_key, metadata, client_id
        )
    );
end;
$$;

comment on function wallet.transfer(uuid, uuid, text, bigint, text, jsonb, uuid) is
$$Move credits from one user to another: from_user_id -> to_user_id. Returns the transfer receipt.

Both users must exist and be active, and differ (PW002); the sender never goes below 0 (PW020).
The transaction's user_id is the sender, its counterparty_user_id the receiver. Idempotency,
client_id (scope transfer) and the other errors as wallet.topup.$$;
