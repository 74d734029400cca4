"""Creating users and assets, changing their status, and the error catalogue."""

import re
import uuid

import pytest

from pgwallet.db.sources import SQL_DIR
from tests.support import Conn, raises_sqlstate


def test_create_user_returns_a_new_active_user(conn: Conn) -> None:
    email = f"{uuid.uuid4().hex}@example.com"
    user_id = conn.execute("select wallet.create_user('Zoe', %s) as id", [email]).fetchone()

    assert user_id is not None
    user = conn.execute("select * from wallet.get_user(%s)", [user_id["id"]]).fetchone()
    assert user is not None
    assert (user["name"], user["email"], user["status"]) == ("Zoe", email, "active")


def test_create_user_with_a_given_id(conn: Conn) -> None:
    chosen = uuid.uuid4()
    row = conn.execute(
        "select wallet.create_user(name => 'Yan', email => %s, id => %s) as id",
        [f"{chosen}@example.com", chosen],
    ).fetchone()
    assert row == {"id": chosen}
    with raises_sqlstate("PW052"):
        conn.execute("select wallet.create_user('Yan', 'other@example.org', %s)", [chosen])


def test_emails_are_unique_in_any_case(conn: Conn) -> None:
    email = f"{uuid.uuid4().hex}@example.com"
    conn.execute("select wallet.create_user('One', %s)", [email])
    with raises_sqlstate("PW050") as error:
        conn.execute("select wallet.create_user('Two', %s)", [email.upper()])
    assert "already taken" in str(error.value)


@pytest.mark.parametrize(
    ("name", "email"),
    [("", "a@b.c"), (" padded", "a@b.c"), ("x" * 201, "a@b.c"), ("Ok", "no-at-sign"), ("Ok", None)],
)
def test_create_user_refuses_bad_names_and_emails(conn: Conn, name: str, email: str | None) -> None:
    with raises_sqlstate("PW002"):
        conn.execute("select wallet.create_user(%s, %s)", [name, email])


def test_create_asset_makes_its_system_wallets(conn: Conn) -> None:
    code = f"a_{uuid.uuid4().hex[:10]}"
    asset = conn.execute(
        "select * from wallet.create_asset(%s, 'Stars', 'Shiny')", [code]
    ).fetchone()

    assert asset is not None
    assert (asset["code"], asset["name"], asset["description"], asset["status"]) == (
        code,
        "Stars",
        "Shiny",
        "active",
    )
    slots = conn.execute(
        "select holder, count(*) as n from ledger.wallets where asset = %s group by holder "
        "order by holder",
        [code],
    ).fetchall()
    assert slots == [{"holder": "revenue", "n": 64}, {"holder": "treasury", "n": 64}]
    with raises_sqlstate("PW051"):
        conn.execute("select wallet.create_asset(%s, 'Again')", [code])


@pytest.mark.parametrize("code", ["Gold", "1gold", "g", "gold-coins", "a" * 64, None])
def test_create_asset_refuses_bad_codes(conn: Conn, code: str | None) -> None:
    with raises_sqlstate("PW002"):
        conn.execute("select wallet.create_asset(%s, 'X')", [code])


def test_status_functions_check_their_arguments(conn: Conn, user: uuid.UUID, asset: str) -> None:
    with raises_sqlstate("PW002"):
        conn.execute("select wallet.set_asset_status(%s, 'deleted')", [asset])
    with raises_sqlstate("PW002"):
        conn.execute("select wallet.set_user_status(%s, 'banned')", [user])
    with raises_sqlstate("PW011"):
        conn.execute("select wallet.set_asset_status('nope', 'frozen')")
    with raises_sqlstate("PW010"):
        conn.execute("select wallet.set_user_status(%s, 'suspended')", [uuid.uuid4()])
    frozen = conn.execute("select * from wallet.set_asset_status(%s, 'frozen')", [asset]).fetchone()
    assert frozen is not None
    assert frozen["status"] == "frozen"


def test_the_error_catalogue_is_stable_and_complete(conn: Conn) -> None:
    codes = conn.execute("select * from wallet.error_codes()").fetchall()
    assert all(re.fullmatch(r"PW\d{3}", c["sqlstate"]) for c in codes)
    assert len({c["name"] for c in codes}) == len(codes)
    raised = set()
    for path in sorted(SQL_DIR.glob("*.sql")):
        raised |= set(re.findall(r"errcode = '(PW\d{3})'", path.read_text()))
    assert raised <= {c["sqlstate"] for c in codes}
