-- The error catalogue. Every expected failure is raised with a SQLSTATE of the
-- project's own class PW, a message a person understands and, where it helps,
-- DETAIL and HINT. The facade maps these codes to HTTP once
-- (facade/pgwallet/http/problems.py); the README lists them. Never change a code.

create function wallet.error_codes()
returns setof wallet.error_code
language sql
immutable
parallel safe
set search_path = ''
as $$
    select *
    from (
        values
        ('PW001', 'invalid_amount', 'An amount must be a whole number from 1 to 9223372036854775807.'),
        ('PW002', 'invalid_argument', 'An argument is malformed: a name, email, code, status, metadata or page size.'),
        ('PW003', 'invalid_idempotency_key', 'An idempotency key must be 1 to 255 printable ASCII characters.'),
        ('PW004', 'read_committed_required', 'Postings run only in READ COMMITTED transactions.'),
        ('PW010', 'user_not_found', 'No user has this id.'),
        ('PW011', 'asset_not_found', 'No asset has this code.'),
        ('PW012', 'transaction_not_found', 'No transaction has this id.'),
        ('PW013', 'hold_not_found', 'No hold has this id.'),
        ('PW020', 'insufficient_funds', 'What the user has available (balance - held) is smaller than the amount to take.'),
        ('PW021', 'balance_out_of_range', 'The posting would carry a balance outside the bigint range.'),
        ('PW022', 'reversal_exceeds_original', 'The reversals of a transaction would add up to more than it.'),
        ('PW023', 'not_reversible', 'A reversal cannot itself be reversed.'),
        ('PW024', 'capture_exceeds_hold', 'A capture may take at most the amount of its hold.'),
        ('PW025', 'hold_not_active', 'The hold is already captured, released or expired.'),
        ('PW030', 'idempotency_key_reused', 'The key was already used with a different request.'),
        ('PW031', 'idempotency_key_in_progress', 'A request with this key is still running; retry later.'),
        ('PW032', 'wallet_busy', 'A wallet stayed locked longer than lock_timeout; retry later.'),
        ('PW040', 'asset_frozen', 'The asset is frozen: it refuses every posting.'),
        ('PW041', 'user_suspended', 'The user is suspended: they are refused every posting.'),
        ('PW050', 'email_taken', 'Another user already has this email (in any case).'),
        ('PW051', 'asset_code_taken', 'An asset with this code already exists.'),
        ('PW052', 'user_id_taken', 'A user with this id already exists.'),
        ('PW060', 'ledger_append_only', 'Ledger rows are never updated, deleted or truncated.'),
        ('PW061', 'balance_not_posted', 'A wallet balance changes only through a posting.'),
        ('PW062', 'ledger_unbalanced', 'A transaction''s entries do not balance.'),
        ('PW070', 'unauthorized', 'The token or client is unknown or revoked.'),
        ('PW071', 'forbidden', 'The client may not do this: a scope, an asset or an amount it lacks.'),
        ('PW072', 'client_not_found', 'No client has this id.'),
        ('PW073', 'client_name_taken', 'Another client already has this name.'),
        ('PW900', 'exact_total_needed', 'Internal: a posting retries, checking the system wallet''s total; never reaches a caller.')
    ) as catalogue (sqlstate, name, meaning);
$$;

comment on function wallet.error_codes() is
$$The catalogue of pgwallet errors: SQLSTATE, stable name, meaning.

Every expected failure of a wallet function is raised with one of these codes (class PW).$$;
