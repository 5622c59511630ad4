"""Shared fixtures.

Service fixtures (``pg_url``, ``redis_url``) create throwaway resources and remove
them afterwards.  When the service is unreachable the test is *skipped* with the
reason, except under ``CI=true`` where a missing service is a failure (CI must
not silently skip the PostgreSQL / Redis tests).

Connection settings (defaults in brackets): ``WARTA_TEST_PG_HOST`` [127.0.0.1],
``WARTA_TEST_PG_PORT`` [5432], ``WARTA_TEST_PG_DB`` [test] (the database we connect
to in order to run ``CREATE DATABASE``), ``WARTA_TEST_PG_USERS`` [postgres,root]
(tried in order, trust auth), ``WARTA_TEST_REDIS_URL`` [redis://127.0.0.1:6379/0].
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_HOST = os.environ.get("WARTA_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("WARTA_TEST_PG_PORT", "5432"))
PG_ADMIN_DB = os.environ.get("WARTA_TEST_PG_DB", "test")
PG_USERS = [u for u in os.environ.get("WARTA_TEST_PG_USERS", "postgres,root").split(",") if u]
REDIS_URL = os.environ.get("WARTA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def service_unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI=true."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required services must be available)", pytrace=False)
    pytest.skip(reason)


def _pg_admin_connection():
    """(connection, user) to the admin database, or raise the last error."""
    import psycopg

    last: Exception | None = None
    for user in PG_USERS:
        try:
            conn = psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_ADMIN_DB, user=user, autocommit=True, connect_timeout=3
            )
            return conn, user
        except psycopg.Error as exc:
            last = exc
    raise last or RuntimeError("no PostgreSQL user configured")


@pytest.fixture
def pg_url():
    """SQLAlchemy URL of a fresh, empty PostgreSQL database (dropped afterwards)."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:  # pragma: no cover - psycopg is a test dependency
        service_unavailable(f"psycopg not installed: {exc}")
    admin = user = None
    try:
        admin, user = _pg_admin_connection()
    except Exception as exc:
        problem = f"PostgreSQL unreachable on {PG_HOST}:{PG_PORT} (db {PG_ADMIN_DB!r}): {exc}"
    if admin is None:
        service_unavailable(problem)
    name = f"warta_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_prefix() -> str:
    """Key prefix owned by one test: ``warta-test-<random>:``."""
    return f"warta-test-{uuid.uuid4().hex[:12]}:"


class RedisURL(str):
    """The Redis URL; ``.prefix`` is the key prefix the test must use."""

    prefix: str


@pytest.fixture
def redis_url(redis_prefix):
    """URL of a reachable Redis; every key under ``redis_url.prefix`` (== the
    ``redis_prefix`` fixture) is deleted afterwards."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - redis is installed with scrapy-redis
        service_unavailable(f"redis client not installed: {exc}")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=10)
    problem = None
    try:
        client.ping()
    except Exception as exc:
        client.close()
        problem = f"Redis unreachable at {REDIS_URL}: {exc}"
    if problem:
        service_unavailable(problem)
    url = RedisURL(REDIS_URL)
    url.prefix = redis_prefix
    try:
        yield url
    finally:
        try:
            keys = list(client.scan_iter(match=f"{redis_prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
        finally:
            client.close()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """URL of a SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'warta.sqlite'}"


# --- fault-injection tally (issue 7) -----------------------------------------------------


class FaultTally:
    """What the fault tests injected, how many of those faults the archive survived
    (every assertion of the case held) and how many articles were lost (an article
    that should be in the archive -- a committed batch, a page that recovers -- but
    is not).  Printed as one line at the end of the run."""

    def __init__(self) -> None:
        self.injected = 0
        self.survived = 0
        self.lost = 0

    def inject(self, n: int = 1) -> None:
        self.injected += n

    def survive(self, n: int = 1) -> None:
        self.survived += n

    def lose(self, n: int) -> None:
        self.lost += n

    def line(self) -> str:
        return f"faults injected: {self.injected}, survived: {self.survived}, articles lost: {self.lost}"


_FAULT_TALLY = pytest.StashKey[FaultTally]()


def pytest_configure(config):
    config.stash[_FAULT_TALLY] = FaultTally()


@pytest.fixture(scope="session")
def fault_tally(pytestconfig) -> FaultTally:
    """The session's :class:`FaultTally` (fault tests feed it)."""
    return pytestconfig.stash[_FAULT_TALLY]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tally = config.stash.get(_FAULT_TALLY, None)
    if tally is not None and tally.injected:
        terminalreporter.write_line(tally.line(), bold=True, red=bool(tally.lost or tally.survived < tally.injected))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_url(request, tmp_path):
    """The same test on a SQLite file and on a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warta.sqlite'}"
    return request.getfixturevalue("pg_url")
