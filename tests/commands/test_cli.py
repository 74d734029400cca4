"""The conventions of the `pgwallet` command and the Makefile: --version, help that
shows defaults and environment variables, no traceback on a closed pipe or a
malformed variable, psql's own --help, `make help`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pgwallet.db import target

PGWALLET = Path(sys.executable).parent / "pgwallet"
CHECKOUT = Path(__file__).resolve().parents[2]


def _run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PGWALLET), *args],
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    shown = _run("--version")
    assert shown.returncode == 0
    assert re.fullmatch(r"pgwallet, version \d+\.\d+\.\d+\n", shown.stdout)


def test_help_shows_each_options_default_and_environment_variable() -> None:
    shown = _run("serve", "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())  # click wraps lines
    for variable, default in [("HOST", "127.0.0.1"), ("PORT", "8000"), ("WORKERS", "1")]:
        assert f"env var: {variable}; default: {default}" in text, text
    assert "DATABASE_URL" in " ".join(_run("--help").stdout.split())


def test_a_malformed_variable_is_one_usage_error_not_a_traceback() -> None:
    refused = _run("serve", env={"PORT": "eighty"})
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert "Invalid value for '--port' (env var: 'PORT'): 'eighty'" in refused.stderr


def test_psql_passes_help_to_psql(db_url: str) -> None:
    shown = _run("psql", "--help", env={target.DATABASE_URL_ENV: db_url})
    assert shown.returncode == 0
    assert "psql is the PostgreSQL interactive terminal" in shown.stdout


def test_a_reader_that_goes_away_is_no_traceback(db_url: str) -> None:
    # `pgwallet verify | true`: the reader is gone before the first line is written.
    reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    reader.wait()
    assert reader.stdin is not None
    verify = subprocess.run(
        [str(PGWALLET), "verify"],
        env={**os.environ, target.DATABASE_URL_ENV: db_url},
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    reader.stdin.close()
    assert verify.returncode == 1
    assert verify.stderr == ""


@pytest.mark.parametrize("command", [["make"], ["make", "help"]])
def test_make_lists_every_target_with_its_description(command: list[str]) -> None:
    shown = subprocess.run(
        [*command, "--no-print-directory"],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    makefile = (CHECKOUT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY: (.*)$", makefile, re.MULTILINE)
    for name in phony.split():
        assert re.search(rf"^  make {re.escape(name)} +\S", shown, re.MULTILINE), name
