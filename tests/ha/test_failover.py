"""Nothing acknowledged is lost when the primary dies: three failovers under a posting load.

The facade (`pgwallet serve`) runs before a three-node Patroni cluster with a
multi-host DATABASE_URL, as a login role that is only a member of
wallet_api. Workers post topups through HTTP; each posting is retried with
its Idempotency-Key until it is answered 201 (a 503 or a lost answer leaves
it "in doubt" until then). Three times, the primary is killed with SIGKILL
(Patroni and postmaster: a lost machine) and the load goes on; after each
failover every posting acknowledged before the kill must be on the new
primary, and the killed node rejoins as a standby. At the end every key has
exactly one transaction, the one its 201 named, and wallet.verify() passes.
The report prints the unavailability window of each failover.
"""

import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString

import httpx
import psycopg
import pytest

from pgwallet.testing import free_port, wait_until_serving
from tests.ha.cluster import Cluster, Node, missing_packages, running_cluster, wait_for

# `make test-ha` only (it sets PGWALLET_TEST_HA=1 and installs the packages):
# `make test` skips the cluster, which takes about two minutes.
pytestmark = [
    pytest.mark.ha,
    pytest.mark.skipif(
        os.environ.get("PGWALLET_TEST_HA") != "1",
        reason="the cluster test runs with `make test-ha` (PGWALLET_TEST_HA=1)",
    ),
    pytest.mark.skipif(
        bool(missing_packages()),
        reason=f"missing Debian packages: apt-get install -y {' '.join(missing_packages())}",
    ),
]

FAILOVERS = 3
WORKERS = 6
USERS = 24
LOAD_SECONDS_BETWEEN_KILLS = 4.0
# A posting retried for longer than this is a failure of the test: Patroni
# promotes within about TTL + loop_wait seconds.
RETRY_SECONDS = 60.0
ASSET = "ha_coins"
PGWALLET = str(Path(sys.executable).parent / "pgwallet")


@dataclass
class Attempt:
    """One HTTP request of a posting: when it was sent and answered, and how."""

    sent: float
    answered: float
    status: int  # 0: no answer (the connection to the facade failed)


@dataclass
class Posting:
    """A posting and every attempt it took to be acknowledged."""

    key: str
    user_id: str
    attempts: list[Attempt] = field(default_factory=list)
    transaction_id: str | None = None

    @property
    def acknowledged_at(self) -> float | None:
        return self.attempts[-1].answered if self.transaction_id else None

    @property
    def was_in_doubt(self) -> bool:
        return len(self.attempts) > 1


@dataclass
class Load:
    """Workers posting through the facade until told to stop; every posting it made."""

    url: str
    token: str
    users: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    postings: list[Posting] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[str] = field(default_factory=list)

    def post_until_acknowledged(self, http: httpx.Client, posting: Posting) -> None:
        """Send the posting, again with the same key, until 201 (or fail the test)."""
        deadline = time.monotonic() + RETRY_SECONDS
        body = {"user_id": posting.user_id, "asset": ASSET, "amount": "1"}
        while time.monotonic() < deadline:
            sent = time.monotonic()
            try:
                response = http.post(
                    "/v1/transactions/topup",
                    json=body,
                    headers={"Idempotency-Key": posting.key},
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            posting.attempts.append(Attempt(sent, time.monotonic(), status))
            if status == 201:
                posting.transaction_id = response.json()["transaction_id"]
                return
            if status not in {503, 409}:  # 409: the same key is still running
                self.errors.append(f"{posting.key}: answered {status}")
                return
            time.sleep(0.1)
        self.errors.append(f"{posting.key}: not acknowledged within {RETRY_SECONDS:g} s")

    def work(self, number: int) -> None:
        """One worker: postings one after another, each to its end."""
        with httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            trust_env=False,
        ) as http:
            while not self.stop.is_set():
                posting = Posting(f"ha-{uuid.uuid4()}", self.users[number % len(self.users)])
                number += WORKERS
                with self.lock:
                    self.postings.append(posting)
                self.post_until_acknowledged(http, posting)

    def acknowledged_before(self, moment: float) -> list[str]:
        """Transaction ids acknowledged before `moment`."""
        with self.lock:
            return [
                p.transaction_id
                for p in self.postings
                if p.transaction_id and (p.acknowledged_at or moment) < moment
            ]

    def window_after(self, moment: float) -> float | None:
        """Seconds from `moment` to the first 201 of a request sent after it (None: none yet)."""
        with self.lock:
            firsts = [
                a.answered
                for p in self.postings
                for a in p.attempts
                if a.status == 201 and a.sent >= moment
            ]
        return min(firsts) - moment if firsts else None


def _as_owner(
    cluster: Cluster, node: Node, query: LiteralString, params: list[object]
) -> list[tuple[Any, ...]]:
    """The rows of a query on one node, as the superuser."""
    with psycopg.connect(cluster.node_url(node, "pgwallet"), autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def _prepare(cluster: Cluster) -> tuple[str, list[str]]:
    """The database, migrated; a login role for the facade; users; a client's token."""
    leader = cluster.leader()
    assert leader is not None
    with psycopg.connect(cluster.node_url(leader, "postgres"), autocommit=True) as conn:
        conn.execute("create database pgwallet")
    owner_url = cluster.url("postgres", "pgwallet")
    environment = {**os.environ, "DATABASE_URL": owner_url}
    subprocess.run([PGWALLET, "migrate"], env=environment, check=True, capture_output=True)
    token = subprocess.run(
        [PGWALLET, "clients", "create", "ha-load", "--scopes", "all"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("create role pgwallet_app login in role wallet_api")
        conn.execute("select wallet.create_asset(%s, 'HA coins')", [ASSET])
        users = [
            str(row[0])
            for row in conn.execute(
                "select wallet.create_user('HA ' || n, 'ha' || n || '@example.com')"
                " from generate_series(1, %s) as n",
                [USERS],
            )
        ]
    return token, users


def test_three_failovers_lose_nothing_acknowledged() -> None:
    started = time.monotonic()
    report: list[str] = []
    with running_cluster() as cluster:
        report.append(f"cluster of 3 healthy in {time.monotonic() - started:.1f} s")
        token, users = _prepare(cluster)
        port = free_port()
        facade = subprocess.Popen(
            [PGWALLET, "serve", "--port", str(port)],
            env={
                **os.environ,
                "DATABASE_URL": cluster.url("pgwallet_app", "pgwallet"),
                "POOL_MAX_SIZE": "8",
                "POOL_TIMEOUT_SECONDS": "2",
                "LOG_LEVEL": "error",  # the pool warns at every failed reconnection
            },
        )
        url = f"http://127.0.0.1:{port}"
        load = Load(url, token, users)
        workers = [threading.Thread(target=load.work, args=[n]) for n in range(WORKERS)]
        try:
            wait_until_serving(facade, f"{url}/health/ready", seconds=30)
            for worker in workers:
                worker.start()
            for failover in range(1, FAILOVERS + 1):
                time.sleep(LOAD_SECONDS_BETWEEN_KILLS)
                old = cluster.leader()
                assert old is not None
                killed_at = time.monotonic()
                cluster.kill(old)
                new = wait_for("a new primary", lambda: cluster.leader(other_than=old), 60)  # noqa: B023
                promoted = time.monotonic() - killed_at
                window = wait_for(
                    "a posting acknowledged after the kill",
                    lambda: load.window_after(killed_at),  # noqa: B023 (called here)
                    RETRY_SECONDS,
                )
                acknowledged = load.acknowledged_before(killed_at)
                found = _as_owner(
                    cluster,
                    new,
                    "select count(*) from ledger.transactions where id = any(%s::uuid[])",
                    [acknowledged],
                )[0][0]
                assert found == len(acknowledged), "acknowledged postings lost"
                assert facade.poll() is None, "the facade stopped"
                report.append(
                    f"failover {failover}: {old.name} killed, {new.name} promoted after"
                    f" {promoted:.1f} s; first posting acknowledged {window:.1f} s after the"
                    f" kill; {found}/{len(acknowledged)} acknowledged postings on {new.name}"
                )
                cluster.start(old)
                wait_for("the killed node back as a standby", cluster.healthy, 120)
            time.sleep(LOAD_SECONDS_BETWEEN_KILLS)
        finally:
            load.stop.set()
            for worker in workers:
                worker.join(timeout=RETRY_SECONDS + 10)
            facade.terminate()
            facade.wait(timeout=30)
        assert load.errors == []
        leader = cluster.leader()
        assert leader is not None
        by_key = dict(
            _as_owner(
                cluster,
                leader,
                "select idempotency_key, id::text from ledger.transactions"
                " where idempotency_key like 'ha-%%'",
                [],
            )
        )
        keys = [p.key for p in load.postings]
        in_doubt = [p for p in load.postings if p.was_in_doubt]
        counts = _as_owner(
            cluster,
            leader,
            "select count(*) filter (where n <> 1) from"
            " (select count(*) as n from ledger.transactions"
            "  where idempotency_key = any(%s) group by idempotency_key) as per_key",
            [keys],
        )[0][0]
        assert counts == 0, "a key made more than one transaction"
        assert {p.key: p.transaction_id for p in load.postings} == by_key
        verify = _as_owner(cluster, leader, "select check_name, ok from wallet.verify()", [])
        assert all(ok for _, ok in verify), verify
    attempts = [len(p.attempts) for p in load.postings]
    report.append(
        f"{len(keys)} postings, all acknowledged once: {len(in_doubt)} were in doubt and"
        f" converged on retry (attempts per posting: mean {statistics.mean(attempts):.2f},"
        f" max {max(attempts)}); wallet.verify(): {len(verify)} checks ok;"
        f" {time.monotonic() - started:.0f} s in all"
    )
    print("\n== make test-ha report ==\n" + "\n".join(report))
