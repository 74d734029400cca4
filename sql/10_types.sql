-- Named composite types for the functions' results (a PL/pgSQL function may not
-- have an input and an output column of the same name, so results are types).

create type wallet.receipt as (
    transaction_id uuid,
    kind text,
    user_id uuid,
    asset text,
    amount bigint,
    balance bigint,      -- the user's balance right after this transaction
    created_at timestamptz,
    replayed boolean,    -- true when the idempotency key returned a stored receipt
    hash bytea           -- the user's entry's hash: keep it to prove the posting later
);

comment on type wallet.receipt is
'The result of a posting of one user (topup, bonus, spend, reversal): that user''s balance after it.';

create type wallet.transfer_receipt as (
    transaction_id uuid,
    kind text,           -- 'transfer'
    from_user_id uuid,
    to_user_id uuid,
    asset text,
    amount bigint,
    from_balance bigint, -- the sender's balance right after the transfer
    to_balance bigint,   -- the receiver's
    created_at timestamptz,
    replayed boolean,
    from_hash bytea,     -- the sender's entry's hash
    to_hash bytea        -- the receiver's
);

comment on type wallet.transfer_receipt is 'The result of a transfer between two users.';

create type wallet.batch_result as (
    item integer,        -- the posting's place in the batch, from 1
    ok boolean,          -- posted or replayed; else refused (error_code)
    transaction_id uuid,
    kind text,
    user_id uuid,
    asset text,
    amount bigint,
    balance bigint,
    created_at timestamptz,
    replayed boolean,
    error_code text,     -- the SQLSTATE the posting alone would have raised (PW020...)
    error_message text,
    hash bytea,          -- the user's entry's hash, as on a receipt
    error_detail text,
    error_hint text
);

comment on type wallet.batch_result is 'The outcome of one posting of wallet.post_batch.';

-- What wallet_internal.write_posting wrote, for the receipt.
create type wallet_internal.posted as (
    transaction_id uuid,
    created_at timestamptz,
    debit_hash bytea,    -- the hash of the debit entry in its wallet's chain
    credit_hash bytea
);

create type wallet.hold as (
    hold_id uuid,
    user_id uuid,
    asset text,
    amount bigint,
    captured_amount bigint,  -- what its capture spent; null unless captured
    status text,             -- 'held' | 'captured' | 'released' | 'expired'
    expires_at timestamptz,
    created_at timestamptz,
    replayed boolean         -- true when the idempotency key returned a stored answer
);

comment on type wallet.hold is 'A hold: credits of one user reserved until captured, released or expired.';

create type wallet.asset as (
    code text,
    name text,
    description text,
    status text,
    created_at timestamptz
);

comment on type wallet.asset is 'An asset, as the API shows it.';

create type wallet.user_account as (
    id uuid,
    name text,
    email text,
    status text,
    created_at timestamptz
);

comment on type wallet.user_account is 'A user, as the API shows it.';

create type wallet.balance_line as (
    asset text,
    balance bigint,
    asset_status text,
    held bigint,         -- reserved by the user's holds that are held and not expired
    available bigint     -- balance - held: what a spend, a transfer or a new hold may take
);

comment on type wallet.balance_line is 'One of a user''s balances.';

create type wallet.history_entry as (
    entry_id bigint,
    transaction_id uuid,
    kind text,
    asset text,
    direction text,      -- 'credit' | 'debit'
    amount bigint,       -- always positive
    balance_after bigint,
    created_at timestamptz,
    metadata jsonb,
    counterparty_user_id uuid, -- the other user of a transfer or its reversal, else null
    reverses uuid,             -- for a reversal, the transaction it undoes
    reversed_amount bigint     -- how much of this transaction its reversals undid so far
);

comment on type wallet.history_entry is 'One entry of a user''s history.';

create type wallet.transaction_line as (
    transaction_id uuid,
    seq bigint,          -- order of creation, the keyset of wallet.list_transactions
    kind text,
    asset text,
    amount bigint,
    user_id uuid,
    created_at timestamptz,
    metadata jsonb,
    entry_id bigint,
    holder text,         -- 'user' | 'treasury' | 'revenue'
    direction text,      -- 'credit' | 'debit'
    entry_amount bigint, -- always positive
    balance_after bigint, -- the user's balance after it; null for system wallets
    client_id uuid,       -- the client that posted it (null: a direct SQL call)
    client_name text,
    sql_user text,        -- the session_user of a direct SQL call (null: a client)
    reverses uuid,        -- for a reversal, the transaction it undoes
    reversed_amount bigint, -- how much of this transaction its reversals undid so far
    counterparty_user_id uuid -- a transfer's receiver; for a transfer's reversal the original sender
);

comment on type wallet.transaction_line is 'One entry of a transaction, with the transaction''s own fields repeated.';

create type wallet.check_result as (
    check_name text,
    ok boolean,
    detail text
);

comment on type wallet.check_result is 'One check of wallet.verify().';

create type wallet.error_code as (
    sqlstate text,
    name text,
    meaning text
);

comment on type wallet.error_code is 'One SQLSTATE of the pgwallet error catalogue.';

create type wallet.client as (
    client_id uuid,
    name text,
    scopes text[],  -- noqa: LT01
    -- null: every asset
    assets text[],  -- noqa: LT01
    max_amount bigint,   -- null: no limit
    created_at timestamptz,
    revoked_at timestamptz
);

comment on type wallet.client is 'A caller of the HTTP API, as operators see it (never its token).';

create type wallet.new_client as (
    client_id uuid,
    name text,
    scopes text[],  -- noqa: LT01
    assets text[],  -- noqa: LT01
    max_amount bigint,
    token text,          -- shown this once; only its sha256 is kept
    created_at timestamptz
);

comment on type wallet.new_client is 'A client with its new token: the only time the token is shown.';

create type wallet.chain_head as (
    digest bytea,           -- sha256 over every wallet's last covered entry's hash
    entries bigint,         -- how many entries it covers: the first `entries` by id
    taken_at timestamptz
);

comment on type wallet.chain_head is
'A published state of the ledger''s hash chains: keep it anywhere, check it with wallet.verify_against.';
