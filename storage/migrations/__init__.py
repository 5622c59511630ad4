"""Alembic migrations for the archive, configured programmatically (no alembic.ini).

* :func:`upgrade` — bring a database to ``head`` (``warta db upgrade``; also run by
  ``Archive(create=True)``).  Concurrent callers are serialised (``BEGIN IMMEDIATE``
  on SQLite, a transaction-scoped advisory lock on PostgreSQL), so several crawl
  workers starting at once on an empty database are safe.
* :func:`alembic_config` — an :class:`alembic.config.Config` for other commands, e.g.
  ``command.revision(alembic_config(url), autogenerate=True, message="...")``.
* :func:`current` / :func:`head` — the database's revision and the scripts' head.

Checking that a database is at head (every ``Archive``, every CLI command) does not
import Alembic: :func:`head` reads the ``revision`` / ``down_revision`` lines of the
scripts and :func:`current_revision` reads ``alembic_version``.  Alembic (about 0.3 s
of imports and script parsing) loads only when there is something to migrate.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
#: arbitrary constant for pg_advisory_xact_lock while migrating
_PG_MIGRATION_LOCK = 0x57415254  # "WART"


def alembic_config(url: str | None = None, connection: "Connection | None" = None) -> "Config":
    """Return an Alembic config pointing at this package.

    The URL is passed through ``config.attributes`` (not the ini option) so that
    passwords containing ``%`` need no escaping.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


@lru_cache(maxsize=1)
def head() -> str | None:
    """The head revision of the migration scripts: the one revision no other script
    names as its ``down_revision`` (Alembic's own answer when that is not one)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"]))
        down = ast.literal_eval(found.get("down_revision", "None"))
        downs.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    heads = revisions - downs
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory  # branches, or scripts we cannot read simply

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: "Connection") -> str | None:
    """The revision stamped in the database (``None`` for an empty database)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:  # several heads stamped: let Alembic say what that means
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return rows[0] if rows else None


def current(engine_or_url: "Engine | str") -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    engine, owned = _engine(engine_or_url)
    try:
        with engine.connect() as conn:
            return current_revision(conn)
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
                if current_revision(conn) == head():
                    return
        from alembic import command

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


__all__ = ["MIGRATIONS_DIR", "alembic_config", "current", "current_revision", "head", "upgrade"]
