"""The conventions of the `pgwallet` command and the Makefile: --version, help that
shows defaults and environment variables, no traceback on a closed pipe or a
malformed variable, psql's own --help, `make help`."""

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgwallet.db import schema, target
from pgwallet.testing import free_port

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


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    """A database that no `pgwallet migrate` has touched."""
    name = f"pgwallet_test_empty_{uuid.uuid4().hex[:8]}"
    with target.temporary_database(server_url, name) as url:
        yield url


@pytest.mark.parametrize(
    "command", [["verify"], ["seed"], ["clients", "list"], ["serve", "--port", "1"]]
)
def test_commands_refuse_an_unmigrated_database_in_one_line(
    empty_database: str, command: list[str]
) -> None:
    refused = _run(*command, env={target.DATABASE_URL_ENV: empty_database})
    assert refused.returncode == 1
    assert refused.stderr == f"pgwallet: {schema.NOT_MIGRATED}\n"


def test_an_unreachable_database_is_one_line() -> None:
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/pgwallet"
    for command in [["verify"], ["migrate"], ["serve"]]:
        refused = _run(*command, env={target.DATABASE_URL_ENV: unreachable})
        assert refused.returncode == 1
        assert refused.stderr.startswith("pgwallet: cannot reach the database: connection")
        assert refused.stderr.count("\n") == 1, refused.stderr


def test_migrate_retries_connecting_for_wait_seconds() -> None:
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/pgwallet"
    started = time.monotonic()
    refused = _run("migrate", "--wait", "3", env={target.DATABASE_URL_ENV: unreachable})
    assert refused.returncode == 1
    assert time.monotonic() - started >= 3
    assert refused.stderr.startswith("waiting up to 3 s for database pgwallet on 127.0.0.1:")


def test_psql_shows_a_refusal_without_the_plpgsql_call_stack(db_url: str) -> None:
    refused = _run(
        "psql",
        "-c",
        "select wallet.balance('c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 'gold_coins')",
        env={target.DATABASE_URL_ENV: db_url},
    )
    assert "ERROR:  user c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13 not found" in refused.stderr
    assert "CONTEXT" not in refused.stderr
    assert "PL/pgSQL" not in refused.stderr


def test_make_run_installs_the_runtime_only_and_says_each_step(tmp_path: Path) -> None:
    planned = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", "run", f"VENV={tmp_path / 'venv'}"],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    installs = [line for line in planned.splitlines() if "pip install" in line]
    assert len(installs) == 1, planned
    assert installs[0].endswith(" -e ."), installs
    steps = [line for line in planned.splitlines() if line.startswith("echo ")]
    assert [step.split(":")[1].split()[0] for step in steps] == ["creating", "installing"]
