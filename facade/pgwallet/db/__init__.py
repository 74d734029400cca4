"""The database side of the facade: which database, the embedded server, migrations, seed data.

Nothing here answers HTTP. `target` picks the database a command talks to
(DATABASE_URL or the embedded server of `embedded`), `migrate` brings it to
the schema of `sql/` and `migrations/` (found through `sources`), and `seed`
posts the demo data of the contract through the ledger.
"""
