"""What a run's figures mean: the table, the targets (issues #6, #15, #16), the JSON, the chart."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """One target of the issue: the figure, what it must reach, whether it does."""

    name: str
    value: float | None
    goal: str
    met: bool | None  # None: not measured in this run

    def row(self) -> str:
        value = "-" if self.value is None else f"{self.value:.2f}"
        verdict = {True: "met", False: "NOT met", None: "not measured"}[self.met]
        return f"| {self.name} | {value} | {self.goal} | {verdict} |"


def _tps(results: dict[str, Any], workload: str, clients: int, figure: str = "tps") -> float | None:
    """The mean tps (or another figure) of a workload at a client count (the mean of its
    repeats)."""
    values = [
        p[figure]
        for p in results["points"]
        if p["workload"] == workload and p["clients"] == clients
    ]
    return sum(values) / len(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _at_least(name: str, value: float | None, goal: float, label: str) -> Target:
    return Target(name, value, label, None if value is None else value >= goal)


def _at_most(name: str, value: float | None, goal: float, label: str) -> Target:
    return Target(name, value, label, None if value is None else value <= goal)


def _http(results: dict[str, Any], workload: str, workers: int, coalesce: bool) -> list[Any]:
    return [
        p
        for p in results["http"]
        if p["workload"] == workload
        and p["workers"] == workers
        and p.get("coalesce", True) == coalesce
    ]


def targets(results: dict[str, Any]) -> list[Target]:
    """Each target of issue #16 (then those of #6 and #15 still measured) against this
    run's figures."""
    c = 16
    limit = _tps(results, "limit", c)
    topup = _tps(results, "topup", c)
    mix = _tps(results, "mix", c)
    naive = _tps(results, "naive", c)
    found: list[Target] = [
        _at_least("topup / limit, c=16", _ratio(topup, limit), 0.5, ">= 0.5"),
        _at_least("mix / limit, c=16", _ratio(mix, limit), 0.5, ">= 0.5"),
        _at_least("topup / naive script, c=16", _ratio(topup, naive), 0.9, ">= 0.9"),
        _at_least("mix / naive script, c=16", _ratio(mix, naive), 0.9, ">= 0.9"),
    ]
    batch = next((p for p in results["points"] if p["workload"] == "batch100"), None)
    if batch is not None:
        found.append(
            _at_least(
                f"post_batch of 100: postings/s / limit, c={batch['clients']}",
                _ratio(batch["postings_per_s"], _tps(results, "limit", batch["clients"])),
                3,
                ">= 3",
            )
        )
    coalesced = [p for p in _http(results, "http_mix", 2, True) if p["connections"] == 64]
    if coalesced:
        found.append(
            _at_least(
                "HTTP mix coalesced w=2 c=64 / SQL mix c=16",
                _ratio(coalesced[0]["rps"], mix),
                1.0,
                ">= 1.0",
            )
        )
    paced = [p for p in results["http"] if p["workload"] == "http_mix_paced"]
    if paced:
        found.append(_at_most("HTTP p99 at half peak (ms)", paced[0]["p99_ms"], 50, "< 50"))
    for workload in ("topup", "mix"):
        found.append(
            _at_least(
                f"{workload} never analyzed / analyzed, c=16",
                _ratio(_tps(results, f"{workload}_unanalyzed", c), _tps(results, workload, c)),
                0.9,
                ">= 0.9",
            )
        )
    for clients in sorted({p["clients"] for p in results["points"] if p["clients"] > c}):
        found.append(
            _at_least(
                f"topup / limit at c={clients}, against at c=16",
                _ratio(
                    _ratio(_tps(results, "topup", clients), _tps(results, "limit", clients)),
                    _ratio(topup, limit),
                ),
                0.9,
                ">= 0.9",
            )
        )
    found.append(
        _at_least(
            "mix / transfers (no system side), c=16",
            _ratio(mix, _tps(results, "transfer", c)),
            0.9,
            ">= 0.9",
        )
    )
    found.append(
        _at_most(
            "replay cost / fresh topup cost, c=16",
            _ratio(topup, _tps(results, "replay", c)),
            0.5,
            "<= 0.5",
        )
    )
    single = [p for p in results["points"] if p["workload"] == "spend" and p["clients"] == 1]
    storm = _tps(results, "storm", c)
    if single and storm is not None:
        # One wallet serializes its postings; the storm should not fall below one
        # posting after another (1 / the latency of a lone posting).
        serial = 1000 / single[0]["latency_ms"]
        found.append(_at_least("storm tps / (1 / lone spend latency)", storm / serial, 1.0, ">= 1"))
    if results["http"]:
        rss = max(p["max_rss_mb"] for p in results["http"])
        found.append(_at_most("facade RSS per process (MB)", rss, 150, "< 150"))
    history = {p["workload"]: p["latency_ms"] for p in results["reads"]}
    depths = sorted(int(k.split("@")[1]) for k in history if k.startswith("history@"))
    if len(depths) > 1:
        deepest = f"history@{depths[-1]}"
        found.append(
            _at_most(
                f"history page at depth {depths[-1]} / first page",
                _ratio(history[deepest], history["history@0"]),
                1.5,
                "<= 1.5",
            )
        )
    beside = {
        name: [p["latency_ms"] for p in results["reads"] if p["workload"] == name]
        for name in ("balances_before_holds", "balances_holds")
    }
    if all(beside.values()):
        found.append(
            _at_most(
                "balances beside 1000 expired + 10 active holds / before holds (#15)",
                _ratio(
                    sum(beside["balances_holds"]) / len(beside["balances_holds"]),
                    sum(beside["balances_before_holds"]) / len(beside["balances_before_holds"]),
                ),
                1.5,
                "<= 1.5",
            )
        )
    naive_point = next((p for p in results["points"] if p["workload"] == "naive"), None)
    topup_point = next(
        (p for p in results["points"] if p["workload"] == "topup" and p["clients"] == c), None
    )
    if naive_point and topup_point:
        found.append(
            _at_most(
                "WAL bytes per posting / naive design",
                topup_point["wal_bytes_per_tx"] / naive_point["wal_bytes_per_tx"],
                1.0,
                "< 1",
            )
        )
    return found


def holds_table(results: dict[str, Any]) -> str:
    """The figures of `python -m bench --holds`: each read, then the target of issue #15."""
    lines = ["| read (1 client) | latency ms |", "|---|---|"]
    lines += [f"| {p['workload']} | {p['latency_ms']:.3f} |" for p in results["reads"]]
    lines += ["", "| target | figure | goal | verdict |", "|---|---|---|---|"]
    measured = targets({"points": [], "http": [], **results})
    lines += [t.row() for t in measured if t.met is not None]
    return "\n".join(lines)


def table(results: dict[str, Any]) -> str:
    """The figures as Markdown: throughput with ratios to the limit, reads, verify, targets."""
    lines = [
        "| workload | clients | tps | latency ms | postings/s | x limit | WAL B/tx |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in results["points"]:
        limit = _tps(results, "limit", p["clients"])
        # Postings against simple-update's transactions (the same as tps but for batches).
        postings = p.get("postings_per_s", p["tps"])
        ratio = f"{postings / limit:.2f}" if limit else "-"
        lines.append(
            f"| {p['workload']} | {p['clients']} | {p['tps']:.0f} | {p['latency_ms']:.2f} "
            f"| {postings:.0f} | {ratio} | {p['wal_bytes_per_tx']:.0f} |"
        )
    if results["http"]:
        lines += [
            "",
            "| HTTP | workers | coalesced | connections | req/s | p50 ms | p99 ms | errors "
            "| max RSS MB |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for h in results["http"]:
            coalesced = "yes" if h.get("coalesce", True) else "no"
            lines.append(
                f"| {h['workload']} | {h['workers']} | {coalesced} | {h['connections']} "
                f"| {h['rps']:.0f} "
                f"| {h['p50_ms']:.1f} | {h['p99_ms']:.1f} | {h['errors']} | {h['max_rss_mb']:.0f} |"
            )
    elif results.get("http_skipped"):
        lines += ["", f"HTTP: skipped ({results['http_skipped']})"]
    lines += ["", "| read (1 client) | latency ms |", "|---|---|"]
    lines += [f"| {p['workload']} | {p['latency_ms']:.3f} |" for p in results["reads"]]
    lines += ["", "| verify(): entries | seconds | us per entry | ok |", "|---|---|---|---|"]
    lines += [
        f"| {v['entries']} | {v['seconds']:.2f} | {1e6 * v['seconds'] / max(v['entries'], 1):.2f} "
        f"| {v['ok']} |"
        for v in results["verify"]
    ]
    lines += ["", "| target | figure | goal | verdict |", "|---|---|---|---|"]
    lines += [t.row() for t in targets(results)]
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    """Throughput against clients: the limit, the SQL API, the naive script and HTTP."""
    # Imported here: matplotlib is in the `bench` extra, which `make test` (and the
    # smoke test of this package) does not install.
    import matplotlib

    matplotlib.use("Agg")  # no display: write PNG files only
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5))
    for workload in ("limit", "topup", "spend", "mix"):
        clients = sorted({p["clients"] for p in results["points"] if p["workload"] == workload})
        curve = [(c, _tps(results, workload, c) or 0.0) for c in clients]
        axes.plot([c for c, _ in curve], [t for _, t in curve], marker="o", label=workload)
    for workers in (1, 2):
        for coalesce in (True, False):
            curve = sorted(
                (h["connections"], h["rps"]) for h in _http(results, "http_mix", workers, coalesce)
            )
            if curve:
                axes.plot(
                    [c for c, _ in curve],
                    [r for _, r in curve],
                    marker="s",
                    linestyle="--",
                    label=f"HTTP mix, {workers} worker(s), "
                    + ("coalesced" if coalesce else "one call each"),
                )
    axes.set_xscale("log", base=2)
    axes.set_xlabel("clients (HTTP: connections)")
    axes.set_ylabel("transactions per second")
    axes.set_title(f"pgwallet, {results['profile']} profile, {results['started']}")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write the raw JSON and the chart; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{results['profile']}-{results['started']}"
    raw, png = out_dir / f"{stem}.json", out_dir / f"{stem}.png"
    raw.write_text(json.dumps(results, indent=2) + "\n")
    chart(results, png)
    return raw, png
