"""pgwallet's benchmarks: the SQL API and the HTTP facade beside the machine's own limit.

Run `python -m bench` (quick) or `python -m bench --full`; see bench/README.md.
Every figure is taken in one run on one server, so the ratios between them hold
even on a shared, noisy machine where the absolute numbers drift.
"""
