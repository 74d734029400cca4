"""`python -m bench [--full]`: run the benchmarks, print the table, write the results."""

import argparse
import sys
from pathlib import Path

from bench import report, run
from bench.server import bench_server

RESULTS = Path(__file__).parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--full", action="store_true", help="every client count, 15 s points")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON and PNG go")
    parser.add_argument(
        "--holds",
        action="store_true",
        help="only balances beside 1 000 expired and 10 active holds, against before holds",
    )
    args = parser.parse_args()
    if args.holds:
        with bench_server() as server:
            print(report.holds_table(run.run_holds(server, seconds=5, rounds=4)))
        return 0
    with bench_server() as server:
        results = run.run(run.FULL if args.full else run.QUICK, server)
    print()
    print(report.table(results))
    raw, png = report.write(results, args.out)
    print(f"\nresults: {raw}\nchart:   {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
