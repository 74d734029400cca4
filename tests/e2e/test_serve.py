"""`pgwallet serve` as a real process: HTTP over TCP, then SIGTERM and a clean exit."""

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pgwallet.db.seed import seed
from pgwallet.testing import free_port, wait_until_serving

ALICE = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
PGWALLET = Path(sys.executable).parent / "pgwallet"


def _request(
    port: int, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, body=payload, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_over_tcp_and_stops_on_sigterm(db_url: str, workers: int) -> None:
    seed(db_url)
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": db_url, "LOCK_TIMEOUT_MS": "2000"}
    # As an operator gives a service its token: TOKEN=$(pgwallet clients create ...).
    token = subprocess.run(
        [str(PGWALLET), "clients", "create", f"e2e-{workers}", "--scopes", "read,spend"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    signed_in = {"Authorization": f"Bearer {token}"}
    process = subprocess.Popen(
        [str(PGWALLET), "serve", "--port", str(port), "--workers", str(workers)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}/health", seconds=30)
        assert _request(port, "GET", "/health/ready")[0] == 200
        status, _, body = _request(
            port, "GET", f"/v1/users/{ALICE}/balances/gold_coins", headers=signed_in
        )
        assert status == 200
        before = int(json.loads(body)["balance"])
        posting = {"user_id": ALICE, "asset": "gold_coins", "amount": "1"}
        key = {
            "Idempotency-Key": f"e2e-{workers}",
            "Content-Type": "application/json",
            **signed_in,
        }
        first = _request(port, "POST", "/v1/transactions/spend", posting, key)
        again = _request(port, "POST", "/v1/transactions/spend", posting, key)
        assert (first[0], again[0]) == (201, 201)
        assert json.loads(first[2])["balance"] == str(before - 1)
        assert again[1]["idempotent-replayed"] == "true"
        assert again[2] == first[2]
        status, headers, body = _request(port, "GET", "/nope", headers={"X-Request-ID": "e2e-1"})
        assert status == 404
        assert headers["content-type"].startswith("application/problem+json")
        assert headers["x-request-id"] == "e2e-1"
        # Whichever worker answers a scrape, it counts every worker's requests.
        for _ in range(4):
            status, _, body = _request(port, "GET", "/metrics")
            assert status == 200
            counted = _samples(body.decode())
            assert counted[_key("pgwallet_postings_total", kind="spend", outcome="posted")] == 1
            assert counted[_key("pgwallet_postings_total", kind="spend", outcome="replayed")] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    # uvicorn finishes in-flight requests and the lifespan (the pool closes).
    # A single server then re-raises SIGTERM, which the CLI turns into exit
    # status 128 + 15; the multi-worker supervisor stops its workers and exits 0.
    expected_status = 128 + signal.SIGTERM if workers == 1 else 0
    assert process.returncode == expected_status, stderr
    assert "Application shutdown complete" in stderr
    assert '"request_id": "e2e-1"' in stderr
    assert f'"client": "e2e-{workers}"' in stderr
    assert token not in stderr
    # Logs for log shippers: every line one JSON object, uvicorn's own included.
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    (request,) = [line for line in lines if line.get("request_id") == "e2e-1"]
    assert (request["route"], request["status"], request["client"]) == (None, 404, None)
    assert isinstance(request["duration_ms"], float)


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())
