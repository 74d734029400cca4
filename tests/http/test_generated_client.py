"""A client generated from the OpenAPI document by openapi-python-client works.

The document is what a service team feeds its generator: the test generates a
Python client from the served /schema/openapi.json (no warning allowed), then
drives a topup, its replay and a paged history through it, over TCP.
"""

import importlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

PACKAGE = "pgwallet_generated_client"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def generated(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the served document, importable."""
    where = tmp_path_factory.mktemp("generated")
    document = where / "openapi.json"
    document.write_bytes(httpx.get(f"{live_url}/schema/openapi.json").content)
    result = subprocess.run(
        [
            str(VENV_BIN / "openapi-python-client"),
            "generate",
            *["--path", str(document), "--meta", "none", "--output-path", str(where / PACKAGE)],
        ],
        # Its post-generation hooks run ruff, from our environment.
        env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output, output
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_operations_are_short_verbs_grouped_by_tag(generated: ModuleType) -> None:
    api = Path(str(generated.__file__)).parent / "api"
    operations = {
        tag.name: {module.stem for module in tag.glob("*.py")}
        for tag in api.iterdir()
        if tag.is_dir()
    }
    assert {"get_balance", "list_users", "get_history"} <= operations["users"]
    assert {"topup", "bonus", "spend"} <= operations["postings"]
    assert "check_readiness" in operations["health"]
    assert {"list_events", "stream_events"} <= operations["events"]
    assert {"list_assets", "get_asset_summary"} <= operations["assets"]


def test_a_topup_its_replay_and_a_paged_history(
    generated: ModuleType, live_url: str, token: str, user: uuid.UUID, asset: str
) -> None:
    topup = _module("api.postings.topup")
    get_history = _module("api.users.get_history")
    models = _module("models")
    client = generated.AuthenticatedClient(base_url=live_url, token=token)
    key = f"generated-{uuid.uuid4()}"

    def post(amount: int | str, idempotency_key: str) -> Any:
        return topup.sync_detailed(
            client=client,
            body=models.PostingRequest(user_id=user, asset=asset, amount=amount),
            idempotency_key=idempotency_key,
        )

    first = post("100", key)
    again = post("100", key)
    post(5, f"{key}-2")
    post(7, f"{key}-3")

    assert first.status_code == again.status_code == 201
    assert isinstance(first.parsed, models.Receipt)
    assert first.parsed.balance == "100"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.parsed.transaction_id == first.parsed.transaction_id

    page = get_history.sync(client=client, user_id=user, limit=2)
    assert [item.amount for item in page.items] == ["7", "5"]
    rest = get_history.sync(client=client, user_id=user, limit=2, cursor=page.next_cursor)
    assert [item.amount for item in rest.items] == ["100"]

    refused = get_history.sync_detailed(client=client, user_id=user, limit=0)
    assert refused.status_code == 400
    assert refused.parsed.detail == "limit must be a whole number from 1 to 500, not '0'"
