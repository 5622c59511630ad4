"""SQLAlchemy 2 models of the archive.

Portable types only (SQLite is the default, PostgreSQL via the same URL):

* JSON columns use :class:`sqlalchemy.JSON` (TEXT on SQLite, ``json`` on PostgreSQL);
* raw bodies are :class:`sqlalchemy.LargeBinary` (BLOB / ``bytea``), gzip-compressed;
* instants are :class:`UTCDateTime`: always UTC, naive on SQLite (stored as
  ``YYYY-MM-DD HH:MM:SS.ffffff`` which sorts correctly as text) and ``timestamptz``
  on PostgreSQL; values read back are always timezone-aware UTC.

The Alembic migrations in :mod:`storage.migrations` are the single source of truth
for the schema; ``tests/test_storage.py`` checks that autogenerate finds no
difference between them and these models.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: Constraint / index names are deterministic so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PAGE_KINDS = ("article", "listing", "robots", "other")
RUN_STATUSES = ("running", "ok", "failed", "interrupted")


class UTCDateTime(TypeDecorator):
    """A ``DateTime`` that only ever holds UTC.

    Aware values are converted to UTC; naive values are taken to be UTC already.
    Results are returned timezone-aware (UTC) on every backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CrawlRun(Base):
    """One invocation of a spider (``warta crawl``)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(255))
    args: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: running / ok / failed / interrupted
    status: Mapped[str] = mapped_column(String(16), default="running")
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    parse_errors: Mapped[int] = mapped_column(Integer, default=0)
    http_errors: Mapped[int] = mapped_column(Integer, default=0)
    duplicates_skipped: Mapped[int] = mapped_column(Integer, default=0)
    #: free-form run statistics, e.g. per-field fill rates
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    error: Mapped[str | None] = mapped_column(Text)


class Article(Base):
    """The latest version of one article; every version is in :class:`ArticleRevision`."""

    __tablename__ = "articles"
    __table_args__ = (
        # NULL site_article_id values never conflict (SQL NULL semantics).
        UniqueConstraint("site", "site_article_id"),
        Index(None, "site", "published_utc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str | None] = mapped_column(String(255))
    site_article_id: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    headline: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    editor: Mapped[str | None] = mapped_column(Text)
    #: ISO 8601 with the site's offset, exactly as the parser produced it
    published_at: Mapped[str | None] = mapped_column(Text)
    #: the same instant in UTC, for range filters
    published_utc: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[str | None] = mapped_column(Text)
    updated_utc: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_raw: Mapped[str | None] = mapped_column(Text)
    updated_raw: Mapped[str | None] = mapped_column(Text)
    dateline: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    caption_credit: Mapped[str | None] = mapped_column(Text)
    lead_image_url: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    language: Mapped[str | None] = mapped_column(Text)
    #: when the version in this row was fetched
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    #: number of revisions stored (the latest revision number)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    parser: Mapped[str | None] = mapped_column(Text)
    field_sources: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    warnings: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))


class ArticleRevision(Base):
    """Every distinct version (by content hash) of an article, 1..n."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="SET NULL"))
    #: snapshot of the whole article dict as stored
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class Page(Base):
    """Every fetched response (articles, listings, robots.txt, errors, failures)."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, index=True)
    #: pipelines.dedupe.canonicalize_url(url): the resume key
    url_key: Mapped[str | None] = mapped_column(Text, index=True)
    site: Mapped[str | None] = mapped_column(String(255), index=True)
    #: article / listing / robots / other
    kind: Mapped[str] = mapped_column(String(16), default="other")
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    request_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: gzip of the body bytes exactly as received (after transfer/content decoding)
    body_gz: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    #: Content-Encoding of the response as it came over the wire (NULL: identity).
    #: ``gzip`` with ``wire_body`` NULL: ``body_gz`` *is* the payload as received
    #: (stored without re-compressing); other encodings keep it in ``wire_body``.
    content_encoding: Mapped[str | None] = mapped_column(String(64))
    #: the HTTP payload exactly as received (still content-encoded), when not in body_gz
    wire_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: sha256 of the payload as received (== body_sha256 for identity responses);
    #: same value for the same URL = an unchanged payload (WARC revisit)
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(Text)
    parse_error: Mapped[str | None] = mapped_column(Text)
    #: download failure without a usable response (DNS, timeout, ...)
    error: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))


class RunLock(Base):
    """Named lock so that two runs of the same job never overlap."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "Base",
    "CrawlRun",
    "Article",
    "ArticleRevision",
    "Page",
    "RunLock",
    "UTCDateTime",
    "NAMING_CONVENTION",
    "PAGE_KINDS",
    "RUN_STATUSES",
]
