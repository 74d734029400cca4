"""Not collected by a normal run: the session that test_interrupted_run.py starts and stops.

It holds the throwaway embedded server (the `server_url` fixture) while it sleeps.
"""

import time


def test_sleeps_with_the_server_up(server_url: str) -> None:
    print(f"server up: {server_url}", flush=True)
    time.sleep(120)
