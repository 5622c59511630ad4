"""Warta storage: SQLAlchemy models, the :class:`~storage.repository.Archive`
repository, Alembic migrations and CSV/JSONL export.

SQLite (``sqlite:///warta.sqlite``) is the default; PostgreSQL works through the
same code with a ``postgresql+psycopg://`` URL (``$WARTA_DATABASE_URL``).
"""

from storage.repository import Archive, ArchiveError, default_url

__all__ = ["Archive", "ArchiveError", "default_url"]
