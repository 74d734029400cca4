"""pgwallet: a wallet service for virtual credits.

The ledger and every business rule live in PostgreSQL (the `sql/` and
`migrations/` folders of the checkout); this package is the thin facade around
it: the command line, the database wiring and the HTTP app.
"""
