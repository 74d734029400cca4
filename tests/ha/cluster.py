"""A three-node PostgreSQL 15 cluster under Patroni and etcd, on loopback, for `make test-ha`.

Everything comes from Debian's packages (etcd-server, patroni, postgresql-15):
one etcd, three Patroni nodes with `synchronous_mode: true` (a commit is
acknowledged only once a standby has it, so it survives the loss of the
primary), every port on 127.0.0.1 and every file in one temporary directory.
PostgreSQL refuses to run as root, so as root the cluster runs as `postgres`
(set by Popen itself, so that a pid is the program's own, ready to be killed).

A node is "killed" as a machine is lost: SIGKILL to its Patroni and to its
postmaster at once. The leader key then expires after `ttl` seconds and
Patroni promotes the synchronous standby. A killed node can be started again;
Patroni rewinds it (or rebuilds it) into a standby of the new primary.
"""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pgwallet.testing import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PACKAGES = {"etcd": "etcd-server", "patroni": "patroni", "pgbouncer": "pgbouncer"}
# Failover speed: the leader key lives `TTL` s; Patroni wants
# loop_wait + 2 * retry_timeout <= ttl.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 8, 1, 3

_LOCAL = httpx.Client(trust_env=False, timeout=2)  # loopback only, whatever proxy is set


def missing_packages() -> list[str]:
    """The Debian packages this cluster needs that are not installed."""
    missing = [package for binary, package in PACKAGES.items() if shutil.which(binary) is None]
    if not (PG_BIN / "postgres").is_file():
        missing.append("postgresql-15")
    return missing


def wait_for(what: str, condition: Callable[[], Any], seconds: float) -> Any:
    """Poll `condition` until it returns something truthy; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if result := condition():
                return result
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what}: not within {seconds:g} s")


@dataclass
class Node:
    """One Patroni node and its PostgreSQL."""

    name: str
    pg_port: int
    api_port: int
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.config.parent / self.name

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


@dataclass
class Cluster:
    """The running cluster: its nodes, how to reach them, how to lose one."""

    workdir: Path
    run_as: dict[str, Any]  # Popen's user, group and extra_groups, as root
    etcd_port: int
    nodes: list[Node] = field(default_factory=list)

    def url(self, user: str, dbname: str) -> str:
        """A multi-host URL of every node, for whichever is the primary."""
        hosts = ",".join(f"127.0.0.1:{node.pg_port}" for node in self.nodes)
        return f"postgresql://{user}@{hosts}/{dbname}?target_session_attrs=read-write"

    def node_url(self, node: Node, dbname: str) -> str:
        """One node's URL, as the superuser."""
        return f"postgresql://postgres@127.0.0.1:{node.pg_port}/{dbname}"

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster, asked of any node that answers."""
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                members: list[dict[str, Any]] = (
                    _LOCAL.get(f"{node.api}/cluster").raise_for_status().json()["members"]
                )
                return members
            except httpx.HTTPError:
                continue
        return []

    def leader(self, *, other_than: Node | None = None) -> Node | None:
        """The running primary (not `other_than`), or None."""
        for member in self.members():
            if member["role"] == "leader" and member["state"] == "running":
                node = self.by_name(member["name"])
                if node is not other_than:
                    return node
        return None

    def by_name(self, name: str) -> Node:
        """The node called `name`."""
        (node,) = [node for node in self.nodes if node.name == name]
        return node

    def healthy(self) -> bool:
        """Every node runs, one leads, and a synchronous standby streams from it."""
        members = self.members()
        running = [m for m in members if m["state"] in {"running", "streaming"}]
        roles = {m["role"] for m in members}
        timelines = {m.get("timeline") for m in running}
        return (
            len(running) == len(self.nodes)
            and {"leader", "sync_standby"} <= roles
            and len(timelines) == 1
        )

    def start(self, node: Node) -> None:
        """Start a node's Patroni (which starts, rewinds or rebuilds its PostgreSQL)."""
        with node.log.open("ab") as log:
            node.process = subprocess.Popen(
                ["patroni", str(node.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "HOME": str(self.workdir)},
                **self.run_as,
            )

    def kill(self, node: Node) -> None:
        """Lose the node as a machine is lost: SIGKILL to Patroni and the postmaster."""
        assert node.process is not None
        postmaster = int((node.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(node.process.pid, signal.SIGKILL)
        os.kill(postmaster, signal.SIGKILL)
        node.process.wait()
        node.process = None

    def stop(self) -> None:
        """Stop every node (Patroni stops its PostgreSQL)."""
        for node in self.nodes:
            if node.process is not None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                node.process = None


def _patroni_config(node: Node, etcd_port: int, socket_dir: Path) -> str:
    return f"""
scope: pgwallet-ha
name: {node.name}
log: {{level: WARNING}}
restapi: {{listen: "127.0.0.1:{node.api_port}", connect_address: "127.0.0.1:{node.api_port}"}}
etcd: {{host: "127.0.0.1:{etcd_port}"}}
bootstrap:
  dcs:
    ttl: {TTL}
    loop_wait: {LOOP_WAIT}
    retry_timeout: {RETRY_TIMEOUT}
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_log_hints: "on"
        max_connections: 100
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
        shared_buffers: 128MB
  initdb: [{{encoding: UTF8}}, {{auth: trust}}]
  pg_hba:
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
    - local all all trust
postgresql:
  listen: "127.0.0.1:{node.pg_port}"
  connect_address: "127.0.0.1:{node.pg_port}"
  data_dir: {node.data_dir}
  bin_dir: {PG_BIN}
  pgpass: {node.config.parent / (node.name + ".pgpass")}
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser: {{username: postgres}}
    replication: {{username: replicator}}
    rewind: {{username: postgres}}
  parameters:
    unix_socket_directories: "{socket_dir}"
"""


@contextmanager
def running_cluster(size: int = 3) -> Iterator[Cluster]:
    """etcd and `size` Patroni nodes, bootstrapped and healthy, for the block."""
    workdir = Path(tempfile.mkdtemp(prefix="pgwallet-ha-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        run_as = {"user": "postgres", "group": "postgres", "extra_groups": []}
        postgres = pwd.getpwnam("postgres")
        os.chown(workdir, postgres.pw_uid, postgres.pw_gid)
    workdir.chmod(0o755)
    etcd_port, peer_port = free_port(), free_port()
    etcd_log = (workdir / "etcd.log").open("wb")
    etcd = subprocess.Popen(
        [
            "etcd",
            "--name=ha",
            f"--data-dir={workdir / 'etcd'}",
            "--enable-v2=true",  # Debian's Patroni 3.0 speaks etcd's v2 API (python3-etcd)
            f"--listen-client-urls=http://127.0.0.1:{etcd_port}",
            f"--advertise-client-urls=http://127.0.0.1:{etcd_port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=ha=http://127.0.0.1:{peer_port}",
        ],
        stdout=etcd_log,
        stderr=subprocess.STDOUT,
        **run_as,
    )
    cluster = Cluster(workdir, run_as, etcd_port)
    try:
        wait_for("etcd", lambda: _LOCAL.get(f"http://127.0.0.1:{etcd_port}/health").is_success, 20)
        for number in range(1, size + 1):
            name = f"node{number}"
            node = Node(
                name, free_port(), free_port(), workdir / f"{name}.yml", workdir / f"{name}.log"
            )
            node.config.write_text(_patroni_config(node, etcd_port, workdir))
            cluster.nodes.append(node)
        if run_as:
            for path in workdir.iterdir():
                shutil.chown(path, "postgres", "postgres")
        for node in cluster.nodes:
            cluster.start(node)
        wait_for("a healthy cluster", cluster.healthy, 90)
        yield cluster
    except BaseException:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text().splitlines()[-30:]))
        raise
    finally:
        cluster.stop()
        etcd.terminate()
        etcd.wait(timeout=10)
        etcd_log.close()
        shutil.rmtree(workdir, ignore_errors=True)
