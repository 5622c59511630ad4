"""Alembic environment for Warta (used programmatically via storage.migrations).

A connection handed over in ``config.attributes["connection"]`` is used as is
(its transaction is the caller's); otherwise an engine is built from
``config.attributes["url"]`` / the ``sqlalchemy.url`` option / ``$WARTA_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context

from storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, autogen_context):
    """Render our UTCDateTime as the plain type it stores, so that migration scripts
    do not depend on the (changing) models module."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kw) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        # SQLite cannot ALTER most things: later migrations use batch mode there.
        render_as_batch=True,
        **kw,
    )


def _url() -> str:
    from storage.repository import default_url

    return config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or default_url()


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return

    from storage.repository import create_archive_engine

    engine = create_archive_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
