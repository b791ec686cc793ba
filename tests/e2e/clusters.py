"""What the cluster tests share: a whole cluster when its programs are here, its database, and
waiting (bounded) for what the cluster does in the background."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine

from bench.cluster_env import Cluster, cluster
from tests.e2e.peers import need


@contextmanager
def running(count: int, *, front: bool, programs: tuple[str, ...]) -> Iterator[Cluster]:
    """bench/cluster_env's cluster, once `programs` and PostgreSQL are found (in CI they must
    be: scripts/test installs them; elsewhere the tests skip)."""
    for program in programs:
        need(program)
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        need("initdb")
    with cluster(count, front=front) as made:
        yield made


def database(made: Cluster) -> Iterator[Engine]:
    engine = create_engine(made.postgres.url, pool_pre_ping=True)
    yield engine
    engine.dispose()


def until(check: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")
