"""The living examples: each examples/NN_name.sql, run by psql, prints its NN_name.out.

The examples are the psql sessions the README points a DBA to. A session pasted into a
README goes stale the day a message or a column changes; these are run against a fresh,
seeded database on every `make test` (as pgmq checks test/expected/*.out and pgledger its
examples), so what they show is what the functions do.

Each example runs alone through the psql that ships with the embedded server, with its
input echoed (`--echo-all`), stderr interleaved with stdout, and psql's own settings only.
What varies from run to run is normalised, in the output and in the .out files alike:

* uuids the database generated become `<uuid 1>`, `<uuid 2>`... in order of first
  appearance (so a replayed receipt visibly carries the same transaction); the fixed ids
  that the example itself names are kept;
* entry hashes (a sha256 that covers a uuid and a time) become `<hash 1>`...,
  likewise, so a replayed receipt shows the same hash;
* timestamps become `<timestamp>`;
* `entry_id` and `seq` columns are renumbered 1, 2... keeping their order (their values
  depend on what the database saw before; keyset paging needs only their order);

and psql's tables are then re-aligned, so that a .out file reads like psql's own output
(trailing spaces dropped, so that an editor which trims them cannot break the test).
After a change that is meant, regenerate the .out files and review their diff:

    PGWALLET_UPDATE_EXAMPLES=1 .venv/bin/pytest tests/examples
"""

import difflib
import os
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias

import psycopg
import pytest
from psycopg import sql

from pgwallet.db.embedded import BIN_DIR
from pgwallet.db.seed import seed

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.sql"))
PSQL = BIN_DIR / "psql"
UPDATE_ENV = "PGWALLET_UPDATE_EXAMPLES"

# Environment that would change psql's output (time zone, date style, messages' language,
# session settings) is dropped; connection settings (password, SSL) are kept.
_OUTPUT_ENV = ("PGOPTIONS", "PGTZ", "PGDATESTYLE", "PGCLIENTENCODING", "LANGUAGE", "LC_ALL")
_PSQL_ENV = {"LC_ALL": "C", "PGCLIENTENCODING": "UTF8"}

# The settings each example sets at its top, without which its output would not be stable.
REQUIRED_SETTINGS = ("\\set ON_ERROR_STOP 0", "\\set SHOW_CONTEXT never", "\\set VERBOSITY default")

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
TIMESTAMP = re.compile(
    r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:[+-]\d\d(?::\d\d){0,2})?(?![\d:.])"
)
# A sha256 as psql prints a bytea: an entry's place in its wallet's hash chain.
HASH = re.compile(r"\\x[0-9a-f]{64}")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
RULE = re.compile(r"-+(?:\+-+)*")
FOOTER = re.compile(r"\(\d+ rows?\)")
RENUMBERED_COLUMNS = ("entry_id", "seq")

# A qualified call or reference the examples may not make: anything but wallet.<public name>.
QUALIFIED_CALL = re.compile(r"\b(\w+)\.(\w+)\s*\(")
PRIVATE_SCHEMA = re.compile(r"\b(?:ledger|wallet_internal)\s*\.", re.IGNORECASE)
SQL_COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True)
class Table:
    """One result table as psql prints it in its aligned format (border 1, footer on)."""

    header: list[str]
    right_aligned: list[bool]
    rows: list[list[str]]
    footer: str


Block: TypeAlias = str | Table  # a line outside any table, or a whole table


def _column_spans(rule: str) -> list[tuple[int, int]]:
    """Where each column of a table lies, border spaces included, from its rule line."""
    spans: list[tuple[int, int]] = []
    start = 0
    for part in rule.split("+"):
        spans.append((start, start + len(part)))
        start += len(part) + 1
    return spans


def _is_table_start(header: str, rule: str) -> bool:
    """Whether `header` and `rule` are the first two lines of a psql table."""
    if not RULE.fullmatch(rule) or len(header) != len(rule):
        return False
    return all(header[end] == "|" for _, end in _column_spans(rule)[:-1])


def _read_table(lines: list[str], start: int) -> tuple[Table, int]:
    """The table whose header is lines[start], and the index of the line after its footer."""
    spans = _column_spans(lines[start + 1])
    header = [lines[start][begin + 1 : end - 1].strip() for begin, end in spans]
    rows: list[list[str]] = []
    right: list[bool | None] = [None] * len(spans)
    index = start + 2
    while index < len(lines) and not FOOTER.fullmatch(lines[index]):
        line = lines[index]
        if not all(len(line) > end and line[end] == "|" for _, end in spans[:-1]):
            raise ValueError(f"not a row of the table above it: {line!r}")
        row: list[str] = []
        for column, (begin, end) in enumerate(spans):
            inner = line[begin + 1 : end - 1] if column < len(spans) - 1 else line[begin + 1 :]
            content = inner.strip(" ")
            if content and len(content) < len(inner):
                right[column] = bool(right[column]) or inner.startswith(" ")
            row.append(content)
        rows.append(row)
        index += 1
    if index == len(lines):
        raise ValueError(f"a table without its footer (N rows): {lines[start]!r}")
    aligned = [
        side
        if side is not None
        else bool(cells := [r[column] for r in rows if r[column]])
        and all(NUMBER.fullmatch(cell) for cell in cells)
        for column, side in enumerate(right)
    ]
    return Table(header, aligned, rows, lines[index]), index + 1


def parse(output: str) -> list[Block]:
    """psql's output as lines and tables."""
    lines = output.split("\n")
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if index + 1 < len(lines) and _is_table_start(lines[index], lines[index + 1]):
            table, index = _read_table(lines, index)
            blocks.append(table)
        else:
            blocks.append(lines[index])
            index += 1
    return blocks


def _render_table(table: Table) -> list[str]:
    """A table's lines as psql 18 prints them: header centred, last cell unpadded."""
    widths = [
        max([len(name), *(len(row[column]) for row in table.rows)])
        for column, name in enumerate(table.header)
    ]
    header = " | ".join(
        " " * ((width - len(name)) // 2)
        + name
        + " " * (width - len(name) - (width - len(name)) // 2)
        for name, width in zip(table.header, widths, strict=True)
    )
    lines = [f" {header} ", "+".join("-" * (width + 2) for width in widths)]
    for row in table.rows:
        cells = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, table.right_aligned, strict=True)
        ]
        if not table.right_aligned[-1]:
            cells[-1] = row[-1]
        lines.append(" " + " | ".join(cells))
    lines.append(table.footer)
    return lines


def render(blocks: list[Block]) -> str:
    """The text of lines and tables, tables aligned as psql aligns them."""
    lines: list[str] = []
    for block in blocks:
        lines.extend([block] if isinstance(block, str) else _render_table(block))
    return "\n".join(lines)


def _renumbering(tables: list[Table]) -> dict[str, dict[str, str]]:
    """For each renumbered column, its values across the tables mapped to 1, 2... in order."""
    renumbering: dict[str, dict[str, str]] = {}
    for name in RENUMBERED_COLUMNS:
        values = {
            int(row[table.header.index(name)])
            for table in tables
            if name in table.header
            for row in table.rows
            if row[table.header.index(name)]
        }
        renumbering[name] = {str(value): str(n) for n, value in enumerate(sorted(values), 1)}
    return renumbering


def normalise(output: str, script: str) -> str:
    """psql's output with what varies from run to run replaced (see the module's docstring)."""
    blocks = parse(output)
    if render(blocks) != output:
        raise AssertionError(
            "the normaliser misreads psql's tables (rendering them back changes the text):\n"
            + "".join(
                difflib.unified_diff(
                    output.splitlines(keepends=True),
                    render(blocks).splitlines(keepends=True),
                    "psql",
                    "re-rendered",
                )
            )
        )
    fixed = set(UUID.findall(script))
    placeholders: dict[str, str] = {}
    for found in UUID.findall(output):
        if found not in fixed and found not in placeholders:
            placeholders[found] = f"<uuid {len(placeholders) + 1}>"
    hashes: dict[str, str] = {}
    for found in HASH.findall(output):
        hashes.setdefault(found, f"<hash {len(hashes) + 1}>")
    ranks = _renumbering([block for block in blocks if isinstance(block, Table)])

    def text(value: str) -> str:
        value = UUID.sub(lambda match: placeholders.get(match[0], match[0]), value)
        value = HASH.sub(lambda match: hashes[match[0]], value)
        return TIMESTAMP.sub("<timestamp>", value)

    def cell(column: str, value: str) -> str:
        return ranks[column].get(value, value) if column in ranks else text(value)

    normalised = render(
        [
            text(block)
            if isinstance(block, str)
            else replace(
                block,
                rows=[
                    [cell(column, value) for column, value in zip(block.header, row, strict=True)]
                    for row in block.rows
                ],
            )
            for block in blocks
        ]
    )
    return "\n".join(line.rstrip(" ") for line in normalised.split("\n"))


def run_psql(conninfo: str, script: Path) -> str:
    """What psql prints (stdout and stderr, interleaved) for the script fed on its stdin.

    On stdin rather than with -f, so that errors read as in a session, without the
    `psql:file:line:` prefix.
    """
    env = {name: value for name, value in os.environ.items() if name not in _OUTPUT_ENV}
    result = subprocess.run(
        [
            *(str(PSQL), "--no-psqlrc", "--echo-all", "--quiet"),
            *("-v", "ON_ERROR_STOP=0", "--dbname", conninfo),
        ],
        input=script.read_bytes(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env | _PSQL_ENV,
        timeout=120,
        check=False,
    )
    output = result.stdout.decode()
    assert result.returncode == 0, f"psql exited with {result.returncode}:\n{output}"
    return output


def ledger_counts(conninfo: str) -> dict[str, int]:
    """The number of rows of every table of schema ledger."""
    counts: dict[str, int] = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        tables = conn.execute(
            "select tablename from pg_tables where schemaname = 'ledger' order by 1"
        ).fetchall()
        for (table,) in tables:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier("ledger", table))
            row = conn.execute(query).fetchone()
            assert row is not None
            counts[str(table)] = int(row[0])
    return counts


@pytest.fixture(scope="module")
def seeded_url(db_url: str) -> str:
    """The module's fresh database with the seed data, which is all the examples assume."""
    seed(db_url)
    return db_url


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_prints_its_output(seeded_url: str, script: Path) -> None:
    """The example still shows what the functions do, and leaves the database as it found it."""
    expected_path = script.with_suffix(".out")
    before = ledger_counts(seeded_url)

    actual = normalise(run_psql(seeded_url, script), script.read_text())

    if os.environ.get(UPDATE_ENV):
        expected_path.write_text(actual)
    expected = expected_path.read_text() if expected_path.exists() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                f"examples/{expected_path.name} (expected)",
                f"examples/{script.name} run by psql (actual)",
            )
        )
        pytest.fail(
            f"examples/{script.name} no longer prints examples/{expected_path.name}:\n\n{diff}\n"
            f"If the change is meant, regenerate with {UPDATE_ENV}=1 (see "
            "tests/examples/test_examples.py) and commit the .out with it.",
            pytrace=False,
        )
    assert ledger_counts(seeded_url) == before, (
        f"examples/{script.name} left rows behind: it must roll back what it did, so that "
        "a DBA can run it on any database, as often as they like"
    )


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_uses_only_the_public_api(script: Path) -> None:
    """The examples teach the interface: schema wallet, never its helpers or the tables."""
    code = SQL_COMMENT.sub("", script.read_text())
    calls = {f"{schema}.{name}" for schema, name in QUALIFIED_CALL.findall(code)}
    private = sorted(c for c in calls if not c.startswith("wallet.") or c.startswith("wallet._"))
    assert not private, f"examples/{script.name} calls {private}"
    assert not PRIVATE_SCHEMA.search(code), f"examples/{script.name} reads a private schema"
    missing = [s for s in REQUIRED_SETTINGS if s not in script.read_text()]
    assert not missing, f"examples/{script.name} lacks {missing} at its top"


def test_every_output_has_its_example() -> None:
    """A renamed or deleted example must not leave a stale .out behind."""
    assert EXAMPLES, "no examples/*.sql found"
    orphans = sorted(
        out.name for out in EXAMPLES_DIR.glob("*.out") if not out.with_suffix(".sql").exists()
    )
    assert not orphans, f"examples/ holds outputs of no example: {orphans}"


# The normaliser itself, on psql output of two runs that differ only in what varies.

_SCRIPT = "\\set carol c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13\n"

# psql pads a header's last cell, so a header line ends in a space (the normaliser drops it).
_RUN_1 = "\n".join(
    [
        "select * from wallet.history(:'carol', \"limit\" => 2);",
        " entry_id |            transaction_id            |          created_at           ",
        "----------+--------------------------------------+-------------------------------",
        "       21 | 73332338-e5dd-4af1-b24d-591e53e2b14a | 2026-11-23 00:13:22.209711+00",
        "       15 | c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13 | 2026-11-23 00:05:50.166219+00",
        "(2 rows)",
        "",
        "ERROR:  idempotency key 'k' was already used with a different request",
        "DETAIL:  It produced transaction 73332338-e5dd-4af1-b24d-591e53e2b14a.",
        "",
    ]
)

_RUN_1_NORMALISED = "\n".join(
    [
        "select * from wallet.history(:'carol', \"limit\" => 2);",
        " entry_id |            transaction_id            | created_at",
        "----------+--------------------------------------+-------------",
        "        2 | <uuid 1>                             | <timestamp>",
        "        1 | c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13 | <timestamp>",
        "(2 rows)",
        "",
        "ERROR:  idempotency key 'k' was already used with a different request",
        "DETAIL:  It produced transaction <uuid 1>.",
        "",
    ]
)


def test_normalise_makes_two_runs_read_the_same() -> None:
    """Another run: other generated ids, other times (of other widths), other entry ids."""
    blocks = parse(_RUN_1)
    table = blocks[1]
    assert isinstance(table, Table)
    other_rows = [
        ["1000000021", "42d4be42-17a4-4b64-9621-68ed92f341ac", "2026-11-24 10:00:00+00"],
        ["1000000002", "c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13", "2026-11-24 10:00:00.5+00"],
    ]
    other_run = render(
        [
            blocks[0],
            replace(table, rows=other_rows),
            *(
                block.replace("73332338-e5dd-4af1-b24d-591e53e2b14a", other_rows[0][1])
                for block in blocks[2:]
                if isinstance(block, str)
            ),
        ]
    )

    assert normalise(_RUN_1, _SCRIPT) == _RUN_1_NORMALISED
    assert normalise(other_run, _SCRIPT) == _RUN_1_NORMALISED


def test_normalise_refuses_a_table_it_would_misread() -> None:
    misaligned = _RUN_1.replace("       21 |", "      21  |")
    with pytest.raises(AssertionError, match="misreads"):
        normalise(misaligned, _SCRIPT)
