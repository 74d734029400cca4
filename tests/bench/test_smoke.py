"""The benchmark scripts still run: every pgbench workload and read for about a second.

Not a benchmark (the figures of so short a run mean nothing): it catches a
script that no longer matches the SQL API, a pgbench output we no longer
parse, or a report that no longer adds up. The HTTP part needs wrk and a
served facade and is left to `make bench`.
"""

import pytest

from bench import feed, report, run


@pytest.mark.slow
def test_every_workload_runs_and_the_report_adds_up(server_url: str) -> None:
    results = run.run(run.SMOKE, server_url, log=lambda _: None)

    assert {p["workload"] for p in results["points"]} >= {
        "limit",
        "topup",
        "spend",
        "mix",
        "mix_hot10",
        "storm",
        "replay",
        "naive",
        "batch10",
        "batch100",
        "batch1000",
    }
    assert all(p["transactions"] > 0 and p["failed"] == 0 for p in results["points"])
    assert all(v["ok"] for v in results["verify"]), "the ledger must verify after the benchmarks"
    assert [p["workload"] for p in results["reads"]][:2] == ["history@0", "history@60"]
    table = report.table(results)
    assert "| target |" in table
    assert "mix / limit" in table
    assert "post_batch of 100" in table
    assert "before holds (#15)" in table


@pytest.mark.slow
def test_the_holds_read_runs_alone(server_url: str) -> None:
    """`python -m bench --holds`: both reads, in turn, and the target of issue #15."""
    results = run.run_holds(server_url, seconds=1, rounds=1)

    assert [p["workload"] for p in results["reads"]] == ["balances_before_holds", "balances_holds"]
    assert "before holds (#15)" in report.holds_table(results)


@pytest.mark.slow
def test_the_feed_benchmark_runs(server_url: str) -> None:
    tps = feed.run(server_url, seconds=1, rounds=1, clients=2, users=50)

    assert set(tps) == set(feed.VARIANTS)
    assert all(len(figures) == 1 and figures[0] > 0 for figures in tps.values())
    assert "| feed+reader |" in feed.table(tps)
