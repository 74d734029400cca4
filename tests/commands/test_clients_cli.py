"""`pgwallet clients`: create prints the token alone, list shows none; revoke, rotate by name."""

import re

import pytest

from pgwallet.cli import main
from pgwallet.db import clients
from tests.support import Conn, one, raises_sqlstate

TOKEN = re.compile(r"pgw_[A-Za-z0-9_-]{43}")


@pytest.fixture(autouse=True)
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)


def test_create_prints_the_token_alone_and_list_never_shows_it(
    conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["clients", "create", "shop", "--scopes", "read,spend", "--assets", "gold_coins"]) == 1
    )
    conn.execute("select wallet.create_asset('gold_coins', 'Gold Coins')")
    capsys.readouterr()
    status = main(
        [
            "clients",
            "create",
            "shop",
            "--scopes",
            "read,spend",
            "--assets",
            "gold_coins",
            "--max-amount",
            "500",
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0
    assert TOKEN.fullmatch(out.strip()), out
    assert "shown this once" in err
    client = one(conn, "select * from wallet.authenticate(%s)", [out.strip()])
    assert (client["scopes"], client["assets"], client["max_amount"]) == (
        ["read", "spend"],
        ["gold_coins"],
        500,
    )

    assert main(["clients", "list"]) == 0
    listed, _ = capsys.readouterr()
    assert "shop\tread,spend\tgold_coins\t500\tactive" in listed
    assert not TOKEN.search(listed)


def test_rotate_and_revoke_by_name(conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    first = clients.create(conn.info.dsn, "billing", ["all"], None, None).token

    assert main(["clients", "rotate", "billing"]) == 0
    second = capsys.readouterr().out.strip()
    assert TOKEN.fullmatch(second)
    assert second != first
    assert main(["clients", "revoke", "billing"]) == 0
    for token in [first, second]:
        with raises_sqlstate("PW070"):
            conn.execute("select * from wallet.authenticate(%s)", [token])


def test_mistakes_are_one_line_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", "revoke", "nobody"]) == 1
    assert main(["clients", "create", "Bad Name", "--scopes", "read"]) == 1
    assert main(["clients", "create", "fine", "--scopes", "mint"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 3, err
    assert "Traceback" not in err
    assert "no client is named 'nobody'" in err
    assert "invalid client name" in err
    assert "invalid scopes" in err


def test_the_dev_client_gets_a_new_token_at_each_start(conn: Conn) -> None:
    first = clients.dev_token(conn.info.dsn)
    second = clients.dev_token(conn.info.dsn)
    assert first != second
    client = one(conn, "select * from wallet.authenticate(%s)", [second])
    assert client["name"] == clients.DEV_CLIENT
    assert "batch" in client["scopes"]
