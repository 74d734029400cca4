"""The pgbench scripts: one call of the SQL API per transaction, as a service makes it.

Each script is built here rather than kept as a file so that the variants
(which function, which users) share one text. Bench users have ids built from
their number (see `dataset.user_id_sql`), so a script picks a user with
`random()` alone. Idempotency keys are fresh: the run's tag, the client's
number and a random 40-bit number, all pgbench variables (with `-M prepared`
they travel as parameters, like a service's bound values).
"""

from dataclasses import dataclass

from bench.dataset import ASSET, FUNDING, user_id_sql

USER = user_id_sql(":uid")
FRESH_KEY = ":run || '-' || :client_id || '-' || :k"


@dataclass(frozen=True)
class Workload:
    """A pgbench script and the name its figures go by."""

    name: str
    script: str
    builtin: bool = False  # a pgbench built-in (`-b name`), not a script
    postings: int = 1  # postings per transaction of the script


def _call(kind: str, key: str = FRESH_KEY, amount: int = 1) -> str:
    return f"select * from wallet.{kind}({USER}, '{ASSET}', {amount}, {key});\n"


def _pick_user(users: int) -> str:
    return f"\\set uid random(1, {users})\n\\set k random(1, 1099511627776)\n"


def _mix(users: int) -> str:
    """60% spend, 30% topup, 10% bonus."""
    return (
        _pick_user(users)
        + "\\set r random(1, 10)\n"
        + "\\if :r <= 6\n"
        + _call("spend")
        + "\\elif :r <= 9\n"
        + _call("topup")
        + "\\else\n"
        + _call("bonus")
        + "\\endif\n"
    )


def limit() -> Workload:
    """The machine's limit: pgbench's own simple-update (-N; scale 10, see pgbench.init_limit)."""
    return Workload("limit", "simple-update", True)


def topup(users: int) -> Workload:
    """wallet.topup of a random user among `users`."""
    return Workload("topup", _pick_user(users) + _call("topup"))


def spend(users: int) -> Workload:
    """wallet.spend of a random user among `users`."""
    return Workload("spend", _pick_user(users) + _call("spend"))


def mix(users: int) -> Workload:
    """60% spend, 30% topup, 10% bonus of a random user among `users`."""
    return Workload("mix", _mix(users))


def mix_hot(users: int) -> Workload:
    """The mix over a few (`users`) users only."""
    return Workload("mix_hot10", _mix(users))


def transfer(users: int) -> Workload:
    """wallet.transfer of 1 from a random user to the next one: the posting path with a second
    user's wallet where the mix has a system wallet's slot, so against the mix it prices the
    system side (the slot's lock, its entry, its balance update and guard, its total's check)."""
    receiver = user_id_sql(f":uid % {users} + 1")
    return Workload(
        "transfer",
        _pick_user(users)
        + f"select * from wallet.transfer({USER}, {receiver}, '{ASSET}', 1, {FRESH_KEY});\n",
    )


def storm() -> Workload:
    """Every client spends from the same wallet."""
    return Workload("storm", _pick_user(1) + _call("spend"))


def replay(users: int) -> Workload:
    """A replayed key: the funding topup of a random user, sent again."""
    return Workload(
        "replay", _pick_user(users) + _call("topup", key="'fund-' || :uid", amount=FUNDING)
    )


def batch(users: int, size: int) -> Workload:
    """wallet.post_batch of `size` postings, the mix (60% spend, 40% topup) of random users."""
    user = user_id_sql(f"floor(random() * {users})::int + 1")
    postings = (
        "select jsonb_agg(jsonb_build_object("
        "'kind', case when random() < 0.6 then 'spend' else 'topup' end, "
        f"'user_id', {user}, 'asset', '{ASSET}', 'amount', 1, "
        f"'idempotency_key', {FRESH_KEY} || '-' || g)) "
        f"from generate_series(1, {size}) as g"
    )
    script = (
        "\\set k random(1, 1099511627776)\n"
        f"select count(*) filter (where ok) from wallet.post_batch(({postings}));\n"
    )
    return Workload(f"batch{size}", script, postings=size)


def naive(users: int) -> Workload:
    """The baseline's full posting as a 7-statement script (bench/sql/naive.sql)."""
    script = (
        _pick_user(users)
        + "\\set slot random(1, 64)\n"
        + "\\set sysw 0 - :slot\n"
        + "BEGIN;\n"
        + "SELECT bal FROM naive.hot64 WHERE id = :slot FOR UPDATE;\n"
        + "SELECT bal FROM naive.users WHERE id = :uid FOR UPDATE;\n"
        + "UPDATE naive.hot64 SET bal = bal - 1 WHERE id = :slot;\n"
        + "UPDATE naive.users SET bal = bal + 1 WHERE id = :uid;\n"
        + f"INSERT INTO naive.idem (key) VALUES ({FRESH_KEY});\n"
        + "WITH h AS (INSERT INTO naive.txh (kind, amount) VALUES ('topup', 1) RETURNING id)\n"
        + "INSERT INTO naive.entries (tx_id, wallet_id, amount)\n"
        + "SELECT h.id, v.w, v.a FROM h, (VALUES (:sysw::int, -1), (:uid::int, 1)) AS v(w, a);\n"
        + "END;\n"
    )
    return Workload("naive", script)
