"""A non-editable install carries the SQL and the migrations."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pgwallet.db.sources import MIGRATIONS_DIR, SQL_DIR

CHECKOUT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_wheel_ships_sql_and_migrations_where_the_package_finds_them(tmp_path: Path) -> None:
    # Built from a copy: setuptools reuses a checkout's build/ folder, whose
    # stale files (an SQL file since renamed) would end up in the wheel.
    source = tmp_path / "source"
    shutil.copytree(
        CHECKOUT,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv", ".pgdata", "build", "*.egg-info"),
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    # setuptools has nothing to warn about (a license table, a data folder left out...).
    assert "Warning:" not in built.stdout + built.stderr, built.stderr
    (wheel,) = tmp_path.glob("pgwallet-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)

    located = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pgwallet.db import sources; print(sources.SQL_DIR, sources.MIGRATIONS_DIR)",
        ],
        env={"PYTHONPATH": str(site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    sql_dir, migrations_dir = (Path(p) for p in located)
    assert sql_dir == site / "pgwallet" / "_sql"
    assert migrations_dir == site / "pgwallet" / "_migrations"
    assert sorted(p.name for p in sql_dir.glob("*.sql")) == sorted(
        p.name for p in SQL_DIR.glob("*.sql")
    )
    assert sorted(p.name for p in migrations_dir.glob("*.sql")) == sorted(
        p.name for p in MIGRATIONS_DIR.glob("*.sql")
    )
    # The dashboard and the OpenAPI page, served from the package (its renderer comes
    # from the swagger-ui-py dependency: tests/http/test_auth.py).
    static = site / "pgwallet" / "http" / "static"
    for name in ["index.html", "schema.html", "schema.js"]:
        assert (static / name).is_file(), name
