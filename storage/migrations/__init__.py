"""Alembic migrations for the archive, configured programmatically (no alembic.ini).

* :func:`upgrade` — bring a database to ``head`` (``warta db upgrade``; also run by
  ``Archive(create=True)``).  Concurrent callers are serialised (``BEGIN IMMEDIATE``
  on SQLite, a transaction-scoped advisory lock on PostgreSQL), so several crawl
  workers starting at once on an empty database are safe.
* :func:`alembic_config` — an :class:`alembic.config.Config` for other commands, e.g.
  ``command.revision(alembic_config(url), autogenerate=True, message="...")``.
* :func:`current` / :func:`head` — the database's revision and the scripts' head.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
#: arbitrary constant for pg_advisory_xact_lock while migrating
_PG_MIGRATION_LOCK = 0x57415254  # "WART"


def alembic_config(url: str | None = None, connection: "Connection | None" = None) -> Config:
    """Return an Alembic config pointing at this package.

    The URL is passed through ``config.attributes`` (not the ini option) so that
    passwords containing ``%`` need no escaping.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str | None:
    """The head revision of the migration scripts."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(engine_or_url: "Engine | str") -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    engine, owned = _engine(engine_or_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def upgrade(engine_or_url: "Engine | str | None" = None, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default ``head``).

    ``engine_or_url`` is an Engine or a SQLAlchemy URL; ``None`` means
    ``$WARTA_DATABASE_URL`` or ``sqlite:///warta.sqlite``.  A no-op (without taking
    any write lock) when the database is already at head.
    """
    engine, owned = _engine(engine_or_url)
    try:
        if revision == "head":
            with engine.connect() as conn:
                if MigrationContext.configure(conn).get_current_revision() == head():
                    return
        conn = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                command.upgrade(alembic_config(connection=conn), revision)
        finally:
            conn.close()
    finally:
        if owned:
            engine.dispose()


def _engine(engine_or_url: "Engine | str | None") -> tuple["Engine", bool]:
    from storage.repository import create_archive_engine, default_url

    if engine_or_url is None or isinstance(engine_or_url, str):
        return create_archive_engine(engine_or_url or default_url()), True
    return engine_or_url, False


__all__ = ["MIGRATIONS_DIR", "MigrationContext", "alembic_config", "current", "head", "upgrade"]
