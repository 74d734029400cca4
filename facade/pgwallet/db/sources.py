"""Where the SQL files and the migrations are.

In a checkout they sit at its top (`sql/`, `migrations/`); an installed
package carries them as `pgwallet/_sql` and `pgwallet/_migrations` (see the
package-dir mapping in pyproject.toml).
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parents[1]


def _locate(installed: str, in_checkout: str) -> Path:
    path = _PACKAGE / installed
    return path if path.is_dir() else _CHECKOUT / in_checkout


SQL_DIR = _locate("_sql", "sql")
MIGRATIONS_DIR = _locate("_migrations", "migrations")
