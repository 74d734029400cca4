"""The state machine over the SQL API, as role wallet_api."""

from hypothesis.stateful import run_state_machine_as_test

from tests.properties.drivers import SqlDriver
from tests.properties.machine import WalletMachine
from tests.properties.profiles import PROFILE
from tests.support import Conn


def test_sql_api_matches_the_model(api: Conn, owner: Conn) -> None:
    driver = SqlDriver(api)
    # Hypothesis takes "a class or a function" that makes the machine (its docstring)
    # but annotates only a class; this function passes in the driver and the owner.
    run_state_machine_as_test(lambda: WalletMachine(driver, owner), settings=PROFILE)  # type: ignore[arg-type]
