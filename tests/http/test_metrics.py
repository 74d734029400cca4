"""GET /metrics: Prometheus text format, open like /health (several workers: tests/e2e)."""

import time
import uuid

from prometheus_client.parser import text_string_to_metric_families

from tests.http.support import Client, post, posting, topup
from tests.http.test_holds import act, hold_body, place
from tests.support import key


def scrape(client: Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, by name and labels."""
    response = client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_and_postings_are_counted_by_route_kind_and_outcome(
    client: Client, user: uuid.UUID, asset: str
) -> None:
    before = scrape(client)
    topup(client, user, asset, 10)
    used = key()
    body = posting(user, asset, "3")
    assert post(client, "spend", body, used).status_code == 201
    assert post(client, "spend", body, used).status_code == 201  # a replay
    assert post(client, "spend", posting(user, asset, "500")).status_code == 422
    assert client.get("/v1/no/such/route").status_code == 404
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("pgwallet_postings_total", kind="topup", outcome="posted") == 1
    assert delta("pgwallet_postings_total", kind="spend", outcome="posted") == 1
    assert delta("pgwallet_postings_total", kind="spend", outcome="replayed") == 1
    assert delta("pgwallet_postings_total", kind="spend", outcome="insufficient_funds") == 1
    route = {"route": "/v1/transactions/spend", "method": "POST"}
    assert delta("pgwallet_http_requests_total", **route, status="201") == 2
    assert delta("pgwallet_http_requests_total", **route, status="422") == 1
    assert delta("pgwallet_http_request_duration_seconds_count", **route) == 3
    assert delta("pgwallet_http_requests_total", route="unmatched", method="GET", status="404") == 1


def test_holds_captures_and_releases_are_counted_by_their_kind(
    client: Client, user: uuid.UUID, asset: str
) -> None:
    topup(client, user, asset, 10)
    before = scrape(client)
    holds = [place(client, hold_body(user, asset, 2)).json()["hold_id"] for _ in range(2)]
    assert act(client, holds[0], "capture").status_code == 201
    assert act(client, holds[1], "release").status_code == 200
    after = scrape(client)

    for kind in ("hold", "capture", "release"):
        counted = value(after, "pgwallet_postings_total", kind=kind, outcome="posted")
        assert counted - value(before, "pgwallet_postings_total", kind=kind, outcome="posted") == (
            2 if kind == "hold" else 1
        ), kind


def test_pools_feed_and_database_figures_are_there(
    client: Client, user: uuid.UUID, asset: str
) -> None:
    first = scrape(client)
    topup(client, user, asset, 1)
    client.get("/v1/events", params={"after": 0, "limit": 5})
    second = scrape(client)

    assert value(second, "pgwallet_database_up") == 1
    # Backends report their commits to the statistics within a second or so.
    deadline = time.monotonic() + 10
    while value(scrape(client), "pgwallet_database_commits_total") <= value(
        first, "pgwallet_database_commits_total"
    ):
        assert time.monotonic() < deadline, "the commit counter never moved"
        time.sleep(0.2)
    assert (
        "pgwallet_pool_connections",
        frozenset({("pool", "primary"), ("state", "idle")}),
    ) in second
    assert value(second, "pgwallet_pool_requests_waiting", pool="primary") == 0
    assert value(second, "pgwallet_event_delivery_lag_seconds_count") > value(
        first, "pgwallet_event_delivery_lag_seconds_count"
    )


def test_each_posting_of_a_batch_is_counted(client: Client, user: uuid.UUID, asset: str) -> None:
    before = scrape(client)
    k = key()
    items = [
        {
            "kind": "topup",
            "user_id": str(user),
            "asset": asset,
            "amount": "9",
            "idempotency_key": k,
        },
        {
            "kind": "spend",
            "user_id": str(user),
            "asset": asset,
            "amount": "50",
            "idempotency_key": key(),
        },
        {
            "kind": "topup",
            "user_id": str(user),
            "asset": asset,
            "amount": "9",
            "idempotency_key": k,
        },
    ]
    assert client.post("/v1/transactions/batch", json={"postings": items}).status_code == 200
    after = scrape(client)

    def delta(kind: str, outcome: str) -> float:
        labels = {"kind": kind, "outcome": outcome}
        return value(after, "pgwallet_postings_total", **labels) - value(
            before, "pgwallet_postings_total", **labels
        )

    assert delta("topup", "posted") == 1
    assert delta("topup", "replayed") == 1
    assert delta("spend", "insufficient_funds") == 1
