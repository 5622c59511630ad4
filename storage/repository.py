"""The archive repository: engine setup, batched writes, upserts, streaming reads.

Concurrency model
=================

Several crawl workers may write to the same database at once.  Duplicates and
lost revisions are prevented by the database, not by process memory:

* ``articles.canonical_url`` and ``articles(site, site_article_id)`` are UNIQUE;
  ``article_revisions(article_id, revision)`` is UNIQUE.
* New articles are written with ``INSERT .. ON CONFLICT DO NOTHING .. RETURNING``
  (SQLite >= 3.35 and PostgreSQL); an article that another worker inserted in the
  meantime is simply re-selected and treated as an existing one.
* Existing articles are read with ``SELECT .. FOR UPDATE`` on PostgreSQL (row locks,
  taken in ``canonical_url`` order to avoid deadlocks), so the revision number is
  incremented by exactly one writer at a time.  On SQLite every write transaction
  starts with ``BEGIN IMMEDIATE``: writers are serialised by the database lock and
  a transaction never reads stale data it then writes back.
* A locked database (SQLite ``database is locked``), a deadlock or a serialisation
  failure (PostgreSQL) rolls the batch back and retries it with exponential backoff,
  logging a warning, until ``retry_timeout`` seconds have passed; then it raises.
  An item is never dropped silently.

Crash safety: one transaction per :meth:`Archive.store_batch`; SQLite runs in WAL
mode with ``synchronous=NORMAL`` (durable across process crashes, a power loss
may lose the last commits but never corrupts the file).  A ``kill -9`` loses only
the uncommitted batch.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import random
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import JSON, bindparam, case, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool

from pipelines.dedupe import canonicalize_url, content_hash
from storage.models import PAGE_KINDS, Article, ArticleRevision, CrawlRun, Page, RunLock, UTCDateTime

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_URL = "sqlite:///warta.sqlite"
#: Western Indonesian Time: date-only filters are interpreted in this zone.
WIB = timezone(timedelta(hours=7), "WIB")
#: IN (...) lists are chunked to stay far below SQLite's variable limit.
_CHUNK = 500

_ARTICLE_TABLE = Article.__table__
_PAGE_TABLE = Page.__table__
_REVISION_TABLE = ArticleRevision.__table__

#: Article dict keys copied verbatim to the articles row.
_ARTICLE_COPY = (
    "url", "section", "headline", "byline", "editor", "published_at", "updated_at",
    "published_raw", "updated_raw", "dateline", "caption", "caption_credit",
    "lead_image_url", "body", "tags", "language", "parser", "field_sources", "warnings",
)
#: Columns never changed by an update (identity / history).
_IDENTITY = ("canonical_url", "site", "site_article_id", "first_seen_at")

#: crawl_runs counters accepted by finish_run()
RUN_COUNTERS = (
    "pages_fetched", "articles_new", "articles_updated", "articles_unchanged",
    "parse_errors", "http_errors", "duplicates_skipped",
)

#: store_batch outcomes
OUTCOMES = ("new", "updated", "unchanged", "duplicate", "page-only", "parse-error")


def default_url() -> str:
    """``$WARTA_DATABASE_URL`` or ``sqlite:///warta.sqlite``."""
    return os.environ.get("WARTA_DATABASE_URL") or DEFAULT_URL


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default)


def _json_dumps(value: Any) -> str:
    return _JSON_ENCODER.encode(value)


def mask_database_url(url: str) -> str:
    """A database URL fit for logs: the password and secret-looking query parameters
    (libpq also reads ``?password=``, ``?sslpassword=``) shown as ``***``."""
    try:
        u = make_url(url)
    except Exception:
        return "<database url>"
    if u.query:
        u = u.set(query={k: ("***" if any(w in k.lower() for w in ("pass", "pwd", "secret", "token")) else v)
                         for k, v in u.query.items()})
    return u.render_as_string(hide_password=True)


def create_archive_engine(url: str, *, busy_timeout: float = 30.0, echo: bool = False) -> Engine:
    """Create an engine with Warta's connection settings.

    SQLite: on every connection ``PRAGMA busy_timeout`` (``busy_timeout`` seconds),
    ``journal_mode=WAL``, ``synchronous=NORMAL``, ``foreign_keys=ON``; the pysqlite
    driver's own transaction handling is disabled and SQLAlchemy emits ``BEGIN``
    itself (``BEGIN IMMEDIATE`` for connections with the execution option
    ``sqlite_begin="IMMEDIATE"``), see the SQLAlchemy "pysqlite serializable" recipe.
    """
    u = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "json_serializer": _json_dumps}
    if u.get_backend_name() != "sqlite":
        engine = create_engine(u, pool_pre_ping=True, **kwargs)
        return engine

    memory = not u.database or u.database == ":memory:" or u.query.get("mode") == "memory"
    connect_args: dict[str, Any] = {"timeout": busy_timeout}
    if memory:
        kwargs["poolclass"] = StaticPool
        connect_args["check_same_thread"] = False
    engine = create_engine(u, connect_args=connect_args, **kwargs)
    busy_ms = max(0, int(busy_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, connection_record):  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin")
        if mode in ("IMMEDIATE", "EXCLUSIVE", "DEFERRED"):
            conn.exec_driver_sql(f"BEGIN {mode}")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


# --------------------------------------------------------------------------------------
# value helpers
# --------------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(value: Any, *, naive_tz: timezone = timezone.utc) -> datetime | None:
    """ISO string / datetime -> aware UTC datetime, ``None`` when not parseable.

    Naive values are taken to be in ``naive_tz``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=naive_tz)
    return value.astimezone(timezone.utc)


def normalize_site(site: str | None) -> str | None:
    """``'https://www.MonitorIndonesia.com/x'`` / ``'www.monitorindonesia.com'`` ->
    ``'monitorindonesia.com'``."""
    if not site:
        return None
    site = site.strip().lower()
    if "://" in site:
        site = urlsplit(site).hostname or site
    else:
        site = site.split("/", 1)[0]
    site = site.rstrip(".")
    if site.startswith("www."):
        site = site[4:]
    return site or None


def site_of(url: str | None) -> str | None:
    """The site (host without ``www.``) of a URL."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return normalize_site(host) if host else None


def date_range(since: Any = None, until: Any = None) -> tuple[datetime | None, datetime | None]:
    """Filter bounds ``[start, end)`` in UTC.

    ``'YYYY-MM-DD'`` strings and :class:`date` objects are whole days in WIB and both
    ends are inclusive (``until='2023-12-05'`` includes all of 5 December WIB).
    Datetimes / ISO timestamps are used as they are (naive ones are WIB); ``until``
    is then exclusive.
    """

    def bound(value: Any, end: bool) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and len(value.strip()) == 10:
            value = date.fromisoformat(value.strip())
        if isinstance(value, date) and not isinstance(value, datetime):
            day = datetime(value.year, value.month, value.day, tzinfo=WIB)
            if end:
                day += timedelta(days=1)
            return day.astimezone(timezone.utc)
        result = to_utc(value, naive_tz=WIB)
        if result is None:
            raise ValueError(f"not a date or ISO timestamp: {value!r}")
        return result

    return bound(since, False), bound(until, True)


def _headers(value: Any) -> dict[str, Any] | None:
    """Headers as JSON: ``str -> str`` (repeated headers ``str -> list[str]``)."""
    if value is None:
        return None
    items = value.items() if hasattr(value, "items") else value

    def text(v: Any) -> Any:
        if isinstance(v, (bytes, bytearray)):
            return bytes(v).decode("latin-1")
        if isinstance(v, (list, tuple)):
            values = [text(x) for x in v]
            return values[0] if len(values) == 1 else values
        return v if v is None or isinstance(v, (str, int, float, bool)) else str(v)

    return {str(text(k)): text(v) for k, v in items}


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


def gzip_bytes(body: bytes, level: int = 6) -> bytes:
    """Deterministic gzip (mtime 0)."""
    return gzip.compress(body, compresslevel=level, mtime=0)


def _sqlite_datetime(value: Any) -> str | None:
    """What SQLAlchemy's SQLite DATETIME stores (UTC, always with microseconds)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = to_utc(value)
        if value is None:
            return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def _json_or_null(value: Any) -> str | None:
    return None if value is None else _json_dumps(value)


class _SqliteBulkInsert:
    """``INSERT`` compiled once by SQLAlchemy for SQLite, executed with the driver's
    ``executemany`` and our own (cheap) value conversion.

    SQLAlchemy's per-row parameter processing costs more than SQLite itself; this
    keeps bulk writes within a small factor of raw ``sqlite3.executemany``.  The
    conversions are the ones SQLAlchemy would apply: JSON text (NULL for ``None``)
    and UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` for :class:`UTCDateTime`.
    """

    def __init__(self, table, dialect) -> None:
        compiled = insert(table).compile(dialect=dialect, column_keys=[c.key for c in table.c])
        self.sql = str(compiled)
        converters = {}
        for column in table.c:
            if isinstance(column.type, UTCDateTime):
                converters[column.key] = _sqlite_datetime
            elif isinstance(column.type, JSON):
                converters[column.key] = _json_or_null
            else:
                converters[column.key] = None
        self.plan = [(key, converters[key]) for key in compiled.positiontup]

    def __call__(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        plan = self.plan
        params = [
            tuple(row.get(key) if conv is None else conv(row.get(key)) for key, conv in plan) for row in rows
        ]
        conn.exec_driver_sql(self.sql, params)


class ArchiveError(RuntimeError):
    """The archive cannot be used as asked (missing, wrong schema version)."""


class _Prepared:
    """One PageItem turned into rows (pure: computed once, reused on retry)."""

    __slots__ = ("page_row", "outcome", "canon", "site", "sid", "hash", "article_row", "data", "fetched")

    def __init__(self) -> None:
        self.page_row: dict[str, Any] = {}
        self.outcome: str | None = None  # None: upsert the article
        self.canon: str | None = None
        self.site: str | None = None
        self.sid: str | None = None
        self.hash: str | None = None
        self.article_row: dict[str, Any] | None = None
        self.data: dict[str, Any] | None = None
        self.fetched: datetime | None = None

    @property
    def keys(self) -> list[tuple]:
        keys: list[tuple] = [("c", self.canon)]
        if self.sid is not None:
            keys.append(("s", self.site, self.sid))
        return keys


class _State:
    """Per-transaction view of the articles touched by a batch."""

    def __init__(self) -> None:
        self.by_canon: dict[str, int] = {}
        self.by_sid: dict[tuple[str | None, str], int] = {}
        self.rows: dict[int, list] = {}  # id -> [revision, content_hash]

    def add(self, aid: int, canon: str | None, site: str | None, sid: str | None, revision: int, chash: str | None) -> None:
        if canon is not None:
            self.by_canon[canon] = aid
        if sid is not None:
            self.by_sid[(site, sid)] = aid
        self.rows[aid] = [revision, chash]

    def find(self, prep: _Prepared) -> int | None:
        if prep.sid is not None:
            aid = self.by_sid.get((prep.site, prep.sid))
            if aid is not None:
                return aid
        return self.by_canon.get(prep.canon)


class Archive:
    """The archive of pages, articles and revisions.

    ``url``: SQLAlchemy URL; default ``$WARTA_DATABASE_URL`` or ``sqlite:///warta.sqlite``
    (PostgreSQL: ``postgresql+psycopg://user@host/db``).  ``create=True`` runs the
    Alembic migrations up to head (:func:`storage.migrations.upgrade`).

    ``busy_timeout``: seconds SQLite waits for a lock inside one attempt;
    ``retry_timeout``: total seconds a write keeps retrying a locked database /
    deadlock before raising; ``gzip_level``: compression of raw bodies.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        create: bool = True,
        busy_timeout: float = 30.0,
        retry_timeout: float = 600.0,
        gzip_level: int = 6,
        echo: bool = False,
    ) -> None:
        self.url = url or default_url()
        self.busy_timeout = busy_timeout
        self.retry_timeout = retry_timeout
        self.gzip_level = gzip_level
        self.engine: Engine = create_archive_engine(self.url, busy_timeout=busy_timeout, echo=echo)
        self.dialect: str = self.engine.dialect.name
        self._bulk: dict[str, _SqliteBulkInsert] = {}
        if self.dialect == "sqlite":
            for table in (_PAGE_TABLE, _ARTICLE_TABLE, _REVISION_TABLE):
                self._bulk[table.name] = _SqliteBulkInsert(table, self.engine.dialect)
        from storage import migrations

        if create:
            self._retrying(lambda: migrations.upgrade(self.engine), what="migrate")
        else:
            self._check_schema(migrations)

    def _check_schema(self, migrations) -> None:
        """``create=False``: the archive must exist and be at the current schema."""
        u = make_url(self.url)
        if self.dialect == "sqlite" and u.database and u.database != ":memory:" and not u.query.get("mode"):
            if not os.path.exists(u.database):
                self.engine.dispose()
                raise ArchiveError(f"no archive at {u.database} (run `warta db upgrade` to create one)")
        current = self._read(migrations.current_revision)
        if current != migrations.head():
            self.engine.dispose()
            raise ArchiveError(
                f"archive schema is at revision {current or 'none (empty database)'}, this Warta needs "
                f"{migrations.head()}: run `warta db upgrade`"
            )

    # -- basics -------------------------------------------------------------------------
    @property
    def safe_url(self) -> str:
        """The URL with the password masked (for logs), see :func:`mask_database_url`."""
        return mask_database_url(self.url)

    def __repr__(self) -> str:
        return f"Archive({self.safe_url!r})"

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # -- transactions ---------------------------------------------------------------------
    def _retryable(self, exc: DBAPIError) -> str | None:
        if getattr(exc, "connection_invalidated", False):
            return "connection lost"
        orig = getattr(exc, "orig", None)
        message = str(orig or exc).lower()
        if "database is locked" in message or "database is busy" in message or "database table is locked" in message:
            return "database is locked"
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if sqlstate in ("40P01", "40001", "55P03"):
            return {"40P01": "deadlock", "40001": "serialization failure", "55P03": "lock not available"}[sqlstate]
        if isinstance(exc, IntegrityError):
            return "integrity conflict"
        return None

    def _retrying(self, fn: Callable[[], T], *, what: str) -> T:
        deadline = time.monotonic() + self.retry_timeout
        attempt = 0
        integrity_failures = 0
        while True:
            attempt += 1
            try:
                return fn()
            except DBAPIError as exc:
                reason = self._retryable(exc)
                if reason == "integrity conflict":
                    # a concurrent writer won a race we did not foresee: retry a few
                    # times (the retry sees its committed row), then give up loudly
                    integrity_failures += 1
                    if integrity_failures > 3:
                        raise
                if reason is None or time.monotonic() >= deadline:
                    raise
                delay = min(2.0, 0.05 * 2 ** min(attempt - 1, 6)) * random.uniform(0.5, 1.0)
                detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning("%s, waiting %.2fs before retrying %s (attempt %d): %s",
                            reason, delay, what, attempt, detail)
                time.sleep(delay)

    def _write(self, fn: Callable[[Connection], T], *, what: str = "write") -> T:
        """Run ``fn(conn)`` in one write transaction, retrying on lock/deadlock."""

        def attempt() -> T:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    return fn(conn)

        return self._retrying(attempt, what=what)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self.engine.connect() as conn:
                return fn(conn)

        return self._retrying(attempt, what="read")

    def _insert(self, table):
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(f"unsupported database: {self.dialect}")
        return dialect_insert(table)

    # -- writing ---------------------------------------------------------------------------
    def store_batch(self, items: Sequence[dict[str, Any]], *, run_id: int | None = None) -> list[str]:
        """Store PageItems in one transaction; return one outcome per item.

        Every item gets a ``pages`` row (raw body gzip-compressed).  Its article, if
        it has one without ``parse_error`` and the item is not flagged ``duplicate``,
        is upserted by ``(site, site_article_id)`` or ``canonical_url``:

        * ``"new"`` — article inserted with revision 1;
        * ``"unchanged"`` — same ``content_hash`` as the stored version: only
          ``last_seen_at`` is touched (no revision row);
        * ``"updated"`` — different hash: a new ``article_revisions`` row and the
          article row updated to the latest version (``revision`` + 1).  Identity
          columns (``canonical_url``, ``site``, ``site_article_id``, ``first_seen_at``)
          are never overwritten;
        * ``"duplicate"`` (flagged in-run duplicate), ``"page-only"`` (no article),
          ``"parse-error"`` (not an article): page row only.

        ``run_id`` (or ``item["page"]["run_id"]``) links the pages to a crawl run.
        """
        if not items:
            return []
        now = utcnow()
        prepared = [self._prepare(item, run_id, now) for item in items]
        return self._write(lambda conn: self._store(conn, prepared), what=f"batch of {len(items)}")

    def _prepare(self, item: dict[str, Any], run_id: int | None, now: datetime) -> _Prepared:
        prep = _Prepared()
        page = item.get("page") or {}
        article = item.get("article")
        url = page.get("url") or (article or {}).get("url") or ""
        body = page.get("body")
        if isinstance(body, str):
            body = body.encode(page.get("encoding") or "utf-8", "surrogateescape")
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        headers = _headers(page.get("headers"))
        fetched = to_utc(page.get("fetched_at")) or now
        kind = page.get("kind") or ("article" if article else "other")
        if kind not in PAGE_KINDS and len(str(kind)) > 16:
            kind = "other"
        parse_error = page.get("parse_error")
        if article is not None:
            parse_error = article.get("parse_error") or parse_error
        status = page.get("status")
        body_sha256 = hashlib.sha256(body).hexdigest() if body is not None else None  # once, used twice
        prep.page_row = {
            "url": url,
            "url_key": page.get("url_key") or (canonicalize_url(url) if url else None),
            "site": normalize_site(page.get("site")) or normalize_site((article or {}).get("site")) or site_of(url),
            "kind": kind,
            "status": int(status) if status is not None else None,
            "headers": headers,
            "request_headers": _headers(page.get("request_headers")),
            "fetched_at": fetched,
            # a gzip payload as received (verified by the spider) is kept as is: see docs/archive.md
            "body_gz": page["body_gz"] if page.get("body_gz") is not None
            else (gzip_bytes(body, self.gzip_level) if body is not None else None),
            "body_sha256": body_sha256,
            "content_encoding": page.get("content_encoding"),
            "wire_body": page.get("wire_body"),
            "payload_sha256": page.get("payload_sha256")
            or (body_sha256 if not page.get("content_encoding") else None),
            "content_type": page.get("content_type") or _header(headers, "content-type"),
            "encoding": page.get("encoding"),
            "parse_error": parse_error,
            "error": page.get("error"),
            "article_id": None,
            "run_id": page.get("run_id") if page.get("run_id") is not None else run_id,
        }
        if article is None:
            prep.outcome = "page-only"
            return prep
        if article.get("parse_error"):
            prep.outcome = "parse-error"
            return prep
        source = article.get("canonical_url") or article.get("url") or url
        if not source:
            prep.outcome = "parse-error"
            prep.page_row["parse_error"] = "article without url or canonical_url"
            return prep

        a = dict(article)
        a["canonical_url"] = prep.canon = canonicalize_url(source)
        a["content_hash"] = prep.hash = content_hash(a)
        prep.site = normalize_site(a.get("site")) or site_of(prep.canon)
        sid = a.get("site_article_id")
        prep.sid = str(sid) if sid not in (None, "") else None
        prep.fetched = to_utc(a.get("fetched_at")) or fetched
        row = {name: a.get(name) for name in _ARTICLE_COPY}
        row.update(
            canonical_url=prep.canon,
            site=prep.site,
            site_article_id=prep.sid,
            published_utc=to_utc(a.get("published_at"), naive_tz=WIB),
            updated_utc=to_utc(a.get("updated_at"), naive_tz=WIB),
            fetched_at=prep.fetched,
            first_seen_at=prep.fetched,
            last_seen_at=prep.fetched,
            content_hash=prep.hash,
            revision=1,
        )
        prep.article_row = row
        prep.data = a
        prep.outcome = "duplicate" if item.get("duplicate") else None
        return prep

    def _store(self, conn: Connection, prepared: list[_Prepared]) -> list[str]:
        """The body of :meth:`store_batch`, inside its transaction.

        Lock order on PostgreSQL (no deadlock between writers using it): (1) an
        unlocking lookup classifies articles as known / unknown; (2) unknown ones are
        inserted in ``canonical_url`` order (``ON CONFLICT DO NOTHING``); (3) every
        other article of the batch is locked with one ``SELECT .. FOR UPDATE`` in
        ``canonical_url`` order and re-read, so revision numbers and hashes are the
        latest committed ones; (4) updates / touches; (5) repeats of an article within
        the batch, one by one; (6) pages and revisions.  On SQLite the whole
        transaction holds the write lock (``BEGIN IMMEDIATE``), so (1) is final.
        """
        outcomes: list[str | None] = [p.outcome for p in prepared]
        state = _State()
        linked = [p for p in prepared if p.article_row is not None]  # to upsert, or duplicates to link
        self._lookup(conn, linked, state, lock=False)

        article_of: list[int | None] = [None] * len(prepared)
        revisions: list[tuple[int, int, int]] = []  # (item index, article id, revision)
        first: list[int] = []
        deferred: list[int] = []
        claimed: set[tuple] = set()
        for i, prep in enumerate(prepared):
            if outcomes[i] is not None:
                continue
            keys = prep.keys
            if any(k in claimed for k in keys):
                deferred.append(i)  # a repeat within this batch: after its first occurrence
                continue
            claimed.update(keys)
            first.append(i)

        new = sorted((i for i in first if state.find(prepared[i]) is None), key=lambda i: prepared[i].canon)
        known = [i for i in first if state.find(prepared[i]) is not None]
        if new:
            inserted = self._insert_articles(conn, [prepared[i].article_row for i in new])
            for i in new:
                prep = prepared[i]
                aid = inserted.get(prep.canon)
                if aid is None:
                    log.debug("article %s was inserted meanwhile by another writer", prep.canon)
                    known.append(i)
                    continue
                outcomes[i] = "new"
                article_of[i] = aid
                state.add(aid, prep.canon, prep.site, prep.sid, 1, prep.hash)
                revisions.append((i, aid, 1))

        if self.dialect == "postgresql":
            relock = [prepared[i] for i in known] + [p for p in linked if p.outcome == "duplicate"]
            self._lookup(conn, relock, state, lock=True)

        updates: list[dict[str, Any]] = []
        touches: list[dict[str, Any]] = []
        for i in sorted(known):
            prep = prepared[i]
            aid = state.find(prep)
            if aid is None:  # pragma: no cover - only if a row vanished; the slow path copes
                deferred.append(i)
                continue
            article_of[i] = aid
            current = state.rows[aid]
            if current[1] == prep.hash:
                outcomes[i] = "unchanged"
                touches.append({"_id": aid, "_seen": prep.fetched})
            else:
                current[0] += 1
                current[1] = prep.hash
                outcomes[i] = "updated"
                updates.append(self._update_params(prep, aid, current[0]))
                revisions.append((i, aid, current[0]))
        self._apply_updates(conn, updates, touches)

        for i in sorted(deferred):
            outcomes[i], article_of[i], revision = self._store_one(conn, prepared[i], state)
            if revision is not None:
                revisions.append((i, article_of[i], revision))

        # link in-run duplicates to their article when we know it
        for i, prep in enumerate(prepared):
            if article_of[i] is None and prep.article_row is not None:
                article_of[i] = state.find(prep)

        page_rows = []
        for i, prep in enumerate(prepared):
            row = dict(prep.page_row)
            row["article_id"] = article_of[i]
            page_rows.append(row)
        page_ids = self._insert_pages(conn, page_rows)

        if revisions:
            self._bulk_insert(
                conn,
                _REVISION_TABLE,
                [
                    {
                        "article_id": aid,
                        "revision": revision,
                        "content_hash": prepared[i].hash,
                        "fetched_at": prepared[i].fetched,
                        "page_id": page_ids[i],
                        "data": prepared[i].data,
                    }
                    for i, aid, revision in revisions
                ],
            )
        return [o or "page-only" for o in outcomes]

    def _bulk_insert(self, conn: Connection, table, rows: list[dict[str, Any]]) -> None:
        bulk = self._bulk.get(table.name)
        if bulk is not None:
            bulk(conn, rows)
        else:
            conn.execute(insert(table), rows)

    def _sqlite_ids(self, conn: Connection, table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Copies of ``rows`` with explicit ids ``max(id)+1 ..``.

        Only used on SQLite inside ``BEGIN IMMEDIATE``: we hold the write lock, so
        nobody else can take these ids.  (SQLite has no ordered multi-row RETURNING;
        SQLAlchemy would fall back to one statement per row.)
        """
        first = conn.execute(select(func.max(table.c.id))).scalar() or 0
        return [dict(row, id=first + n) for n, row in enumerate(rows, 1)]

    def _insert_pages(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert page rows, return their ids in row order."""
        t = _PAGE_TABLE
        if self.dialect == "sqlite":
            rows = self._sqlite_ids(conn, t, rows)
            self._bulk_insert(conn, t, rows)
            return [row["id"] for row in rows]
        result = conn.execute(insert(t).returning(t.c.id, sort_by_parameter_order=True), rows)
        return [row[0] for row in result]

    def _insert_articles(self, conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert articles that the lookup did not find; ``{canonical_url: id}`` of
        the rows actually inserted (a row another writer inserted meanwhile is
        skipped by ``ON CONFLICT DO NOTHING`` and handled by the caller)."""
        t = _ARTICLE_TABLE
        if self.dialect == "sqlite":
            # Under the write lock the lookup is authoritative: no conflict is possible
            # (a bug would raise IntegrityError and roll the batch back, not lose it).
            rows = self._sqlite_ids(conn, t, rows)
            self._bulk_insert(conn, t, rows)
            return {row["canonical_url"]: row["id"] for row in rows}
        stmt = self._insert(t).on_conflict_do_nothing().returning(t.c.id, t.c.canonical_url)
        return {canon: aid for aid, canon in conn.execute(stmt, rows)}

    def _lookup(self, conn: Connection, preps: list[_Prepared], state: _State, *, lock: bool) -> None:
        """Load the existing articles of ``preps`` into ``state``; with ``lock``
        (PostgreSQL) lock them ``FOR UPDATE`` in ``canonical_url`` order."""
        if not preps:
            return
        t = _ARTICLE_TABLE
        cols = (t.c.id, t.c.canonical_url, t.c.site, t.c.site_article_id, t.c.revision, t.c.content_hash)
        canons = sorted({p.canon for p in preps})
        pairs = {(p.site, p.sid) for p in preps if p.sid is not None}
        # (site, site_article_id) terms per site, so the UNIQUE(site, site_article_id)
        # index is used (site_article_id alone is not indexed)
        by_site: dict[str | None, list[str]] = {}
        for site, sid in sorted(pairs, key=lambda pair: (pair[0] or "", pair[1])):
            by_site.setdefault(site, []).append(sid)
        sid_terms = [(site, sids[k : k + _CHUNK]) for site, sids in by_site.items()
                     for k in range(0, len(sids), _CHUNK)]
        for k in range(0, max(len(canons), len(sid_terms) * _CHUNK), _CHUNK):
            clauses = []
            if canons[k : k + _CHUNK]:
                clauses.append(t.c.canonical_url.in_(canons[k : k + _CHUNK]))
            if k // _CHUNK < len(sid_terms):
                site, sids = sid_terms[k // _CHUNK]
                site_clause = t.c.site.is_(None) if site is None else t.c.site == site
                clauses.append(site_clause & t.c.site_article_id.in_(sids))
            stmt = select(*cols).where(or_(*clauses)).order_by(t.c.canonical_url)
            if lock:
                stmt = stmt.with_for_update()
            for aid, canon, site, sid, revision, chash in conn.execute(stmt):
                if sid is not None and (site, sid) not in pairs:
                    sid = None  # the same id on another site: not one of ours
                state.add(aid, canon, site, sid, revision, chash)

    def _select_for_update(self, conn: Connection, prep: _Prepared) -> tuple[int, int, str | None] | None:
        t = _ARTICLE_TABLE
        conditions = []
        if prep.sid is not None:
            conditions.append((t.c.site == prep.site) & (t.c.site_article_id == prep.sid))
        conditions.append(t.c.canonical_url == prep.canon)
        for condition in conditions:
            stmt = select(t.c.id, t.c.revision, t.c.content_hash).where(condition)
            if self.dialect == "postgresql":
                stmt = stmt.with_for_update()
            row = conn.execute(stmt).first()
            if row is not None:
                return row[0], row[1], row[2]
        return None

    def _store_one(self, conn: Connection, prep: _Prepared, state: _State) -> tuple[str, int, int | None]:
        """Slow path (in-batch repeats, insert races): one article, row locked."""
        found = self._select_for_update(conn, prep)
        if found is None:
            stmt = self._insert(_ARTICLE_TABLE).on_conflict_do_nothing().returning(_ARTICLE_TABLE.c.id)
            aid = conn.execute(stmt, prep.article_row).scalar()
            if aid is not None:
                state.add(aid, prep.canon, prep.site, prep.sid, 1, prep.hash)
                return "new", aid, 1
            found = self._select_for_update(conn, prep)
            if found is None:  # pragma: no cover - conflicting row vanished; retry the batch
                raise IntegrityError("article conflict without a visible row", None, Exception(prep.canon))
        aid, revision, chash = found
        state.add(aid, prep.canon, prep.site, prep.sid, revision, chash)
        if chash == prep.hash:
            self._apply_updates(conn, [], [{"_id": aid, "_seen": prep.fetched}])
            return "unchanged", aid, None
        revision += 1
        self._apply_updates(conn, [self._update_params(prep, aid, revision)], [])
        state.rows[aid] = [revision, prep.hash]
        return "updated", aid, revision

    @staticmethod
    def _update_params(prep: _Prepared, aid: int, revision: int) -> dict[str, Any]:
        params = {k: v for k, v in prep.article_row.items() if k not in _IDENTITY}
        params["revision"] = revision
        params["_id"] = aid
        return params

    def _apply_updates(self, conn: Connection, updates: list[dict], touches: list[dict]) -> None:
        t = _ARTICLE_TABLE
        if updates:
            conn.execute(update(t).where(t.c.id == bindparam("_id")), updates)
        if touches:
            seen = bindparam("_seen", type_=UTCDateTime())
            stmt = (
                update(t)
                .where(t.c.id == bindparam("_id"))
                .values(last_seen_at=case((or_(t.c.last_seen_at.is_(None), t.c.last_seen_at < seen), seen),
                                          else_=t.c.last_seen_at))
            )
            conn.execute(stmt, touches)

    # -- crawl runs ---------------------------------------------------------------------------
    def start_run(self, spider: str, args: dict[str, Any] | None = None, site: str | None = None) -> int:
        """Insert a ``crawl_runs`` row (status ``running``) and return its id."""
        row = {
            "spider": spider,
            "site": normalize_site(site),
            "args": args or {},
            "started_at": utcnow(),
            "status": "running",
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            **{name: 0 for name in RUN_COUNTERS},
        }
        t = CrawlRun.__table__
        return self._write(lambda conn: conn.execute(insert(t).returning(t.c.id), row).scalar_one(), what="start_run")

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int] | None = None,
        stats: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Close a run: status (``ok`` / ``failed`` / ``interrupted``), counters, stats.

        Count keys that are not ``crawl_runs`` columns are kept in ``stats["counts"]``.
        """
        values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "error": error}
        extra = {}
        for key, value in (counts or {}).items():
            if key in RUN_COUNTERS:
                values[key] = int(value or 0)
            else:
                extra[key] = value
        stats = dict(stats or {})
        if extra:
            stats.setdefault("counts", {}).update(extra)
        values["stats"] = stats
        t = CrawlRun.__table__
        self._write(lambda conn: conn.execute(update(t).where(t.c.id == run_id).values(**values)), what="finish_run")

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        t = CrawlRun.__table__
        row = self._read(lambda conn: conn.execute(select(t).where(t.c.id == run_id)).mappings().first())
        return dict(row) if row else None

    # -- run locks --------------------------------------------------------------------------
    def acquire_lock(self, name: str, run_id: int | None = None, *, stale_after: float = 600.0) -> bool:
        """Take the named lock; ``False`` when another live run holds it.

        A held lock is stale (and taken over) when its holder ran on this host and
        its pid is dead, or its heartbeat is older than ``stale_after`` seconds
        (see :meth:`heartbeat_lock`).  Re-acquiring one's own lock refreshes it.
        """
        me = (os.getpid(), socket.gethostname())
        t = RunLock.__table__

        def tx(conn: Connection) -> bool:
            now = utcnow()
            row = {"name": name, "run_id": run_id, "pid": me[0], "hostname": me[1],
                   "acquired_at": now, "heartbeat_at": now}
            stmt = self._insert(t).on_conflict_do_nothing().returning(t.c.name)
            if conn.execute(stmt, row).first() is not None:
                return True
            current = conn.execute(select(t).where(t.c.name == name).with_for_update()).mappings().first()
            if current is None:
                return conn.execute(stmt, row).first() is not None
            mine = (current["pid"], current["hostname"]) == me and current["run_id"] == run_id
            stale = (now - current["heartbeat_at"]).total_seconds() > stale_after or (
                current["hostname"] == me[1] and not _pid_alive(current["pid"])
            )
            if not (mine or stale):
                return False
            if stale and not mine:
                log.warning("taking over stale lock %r from run %s (pid %s on %s)",
                            name, current["run_id"], current["pid"], current["hostname"])
            conn.execute(update(t).where(t.c.name == name).values(**{k: v for k, v in row.items() if k != "name"}))
            return True

        return self._write(tx, what="acquire_lock")

    def heartbeat_lock(self, name: str, run_id: int | None = None) -> bool:
        """Refresh our lock's heartbeat; ``False`` if we do not hold it (any more)."""
        t = RunLock.__table__
        stmt = update(t).where(*self._own_lock(name, run_id)).values(heartbeat_at=utcnow())
        return self._write(lambda conn: conn.execute(stmt).rowcount > 0, what="heartbeat_lock")

    def release_lock(self, name: str, run_id: int | None = None) -> bool:
        """Release our lock (held by this pid on this host, and ``run_id`` if given)."""
        stmt = delete(RunLock.__table__).where(*self._own_lock(name, run_id))
        return self._write(lambda conn: conn.execute(stmt).rowcount > 0, what="release_lock")

    @staticmethod
    def _own_lock(name: str, run_id: int | None) -> list:
        t = RunLock.__table__
        conditions = [t.c.name == name, t.c.pid == os.getpid(), t.c.hostname == socket.gethostname()]
        if run_id is not None:
            conditions.append(t.c.run_id == run_id)
        return conditions

    # -- reading --------------------------------------------------------------------------
    def has_page(self, url_key: str, *, ok_only: bool = True) -> bool:
        """Whether a page with this canonical URL key is stored (``ok_only``: status 2xx)."""
        return url_key in self.known_urls([url_key], ok_only=ok_only)

    def known_urls(self, url_keys: Iterable[str], *, ok_only: bool = True,
                   statuses: Iterable[int] | None = None) -> set[str]:
        """The subset of ``url_keys`` already stored (batch lookup for resume).

        Keys are :func:`pipelines.dedupe.canonicalize_url` values.  With ``ok_only``
        only successfully fetched pages (status 200-299) count, so failures are retried.
        """
        keys = sorted({k for k in url_keys if k})
        t = _PAGE_TABLE

        def run(conn: Connection) -> set[str]:
            found: set[str] = set()
            for k in range(0, len(keys), _CHUNK):
                stmt = select(t.c.url_key).distinct().where(t.c.url_key.in_(keys[k : k + _CHUNK]))
                if statuses is not None:  # exactly these statuses (e.g. 404/410 for an id walk)
                    stmt = stmt.where(t.c.status.in_(sorted(set(statuses))))
                elif ok_only:
                    stmt = stmt.where(t.c.status >= 200, t.c.status < 300)
                found.update(conn.execute(stmt).scalars())
            return found

        return self._read(run) if keys else set()

    def latest_article_ids(self, site: str, limit: int | None = None) -> list[str]:
        """``site_article_id`` values of ``site``, newest publication first (all, or ``limit``)."""
        t = _ARTICLE_TABLE
        stmt = (
            select(t.c.site_article_id)
            .where(t.c.site == normalize_site(site), t.c.site_article_id.is_not(None))
            .order_by(t.c.published_utc.desc().nulls_last(), t.c.id.desc())
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return self._read(lambda conn: list(conn.execute(stmt).scalars()))

    def get_article(self, canonical_url: str | None = None, *, id: int | None = None) -> dict[str, Any] | None:
        """One article row as a dict (by canonical URL, canonicalised here, or by id)."""
        t = _ARTICLE_TABLE
        if id is not None:
            stmt = select(t).where(t.c.id == id)
        elif canonical_url:
            stmt = select(t).where(t.c.canonical_url == canonicalize_url(canonical_url))
        else:
            raise ValueError("canonical_url or id required")
        row = self._read(lambda conn: conn.execute(stmt).mappings().first())
        return dict(row) if row else None

    def revisions(self, article_id: int) -> list[dict[str, Any]]:
        """Every revision of an article, oldest first."""
        t = _REVISION_TABLE
        stmt = select(t).where(t.c.article_id == article_id).order_by(t.c.revision)
        return self._read(lambda conn: [dict(r) for r in conn.execute(stmt).mappings()])

    def iter_pages(
        self,
        site: str | None = None,
        since: Any = None,
        until: Any = None,
        batch: int = 1000,
        *,
        kind: str | None = None,
        with_body: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Stream stored pages (oldest id first) as dicts with the raw ``body`` bytes.

        ``since`` / ``until`` filter on ``fetched_at`` (see :func:`date_range`).
        Rows are fetched ``batch`` at a time (server-side cursor on PostgreSQL),
        so memory stays flat however many pages there are.
        """
        t = _PAGE_TABLE
        stmt = select(t).order_by(t.c.id)
        start, end = date_range(since, until)
        if site:
            stmt = stmt.where(t.c.site == normalize_site(site))
        if kind:
            stmt = stmt.where(t.c.kind == kind)
        if start is not None:
            stmt = stmt.where(t.c.fetched_at >= start)
        if end is not None:
            stmt = stmt.where(t.c.fetched_at < end)
        for row in self._stream(stmt, batch):
            page = dict(row)
            gz = page.get("body_gz")
            if with_body:
                page["body"] = gzip.decompress(gz) if gz is not None else None
            yield page

    def article_query(self, site: str | None = None, section: str | None = None, since: Any = None, until: Any = None, columns: Sequence[str] | None = None):
        """SELECT for articles with the export filters, ordered by publication time."""
        t = _ARTICLE_TABLE
        cols = [t.c[name] for name in columns] if columns else [t]
        stmt = select(*cols).order_by(t.c.published_utc.asc().nulls_last(), t.c.id)
        start, end = date_range(since, until)
        if site:
            stmt = stmt.where(t.c.site == normalize_site(site))
        if section:
            stmt = stmt.where(func.lower(t.c.section) == section.strip().lower())
        if start is not None:
            stmt = stmt.where(t.c.published_utc >= start)
        if end is not None:
            stmt = stmt.where(t.c.published_utc < end)
        return stmt

    def iter_articles(
        self,
        site: str | None = None,
        section: str | None = None,
        since: Any = None,
        until: Any = None,
        batch: int = 1000,
        *,
        columns: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stream articles (filters as in :func:`storage.export.export_csv`), memory flat."""
        for row in self._stream(self.article_query(site, section, since, until, columns), batch):
            yield dict(row)

    def _stream(self, stmt, batch: int) -> Iterator[Any]:
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(stmt).mappings()
            try:
                yield from result
            finally:
                result.close()

    def count(self, table: str = "articles", *, site: str | None = None) -> int:
        """Row count of ``articles`` / ``pages`` / ``article_revisions`` / ``crawl_runs``."""
        tables = {
            "articles": _ARTICLE_TABLE,
            "pages": _PAGE_TABLE,
            "article_revisions": _REVISION_TABLE,
            "revisions": _REVISION_TABLE,
            "crawl_runs": CrawlRun.__table__,
            "runs": CrawlRun.__table__,
        }
        t = tables[table]
        stmt = select(func.count()).select_from(t)
        if site:
            if "site" not in t.c:
                raise ValueError(f"{table} has no site column")
            stmt = stmt.where(t.c.site == normalize_site(site))
        return self._read(lambda conn: conn.execute(stmt).scalar_one())

    def summary(self, site: str | None = None, *, with_urls: bool = True) -> dict[str, Any]:
        """Counts, the latest crawl run and (``with_urls``) the set of canonical URLs.

        ``{"pages", "articles", "article_revisions", "runs", "last_run": dict | None,
        "canonical_urls": set[str]}`` (``canonical_urls`` loads every URL: meant for
        demos and tests, not for archives of millions of articles).
        """
        result: dict[str, Any] = dict(self.counts(site))
        result["runs"] = self.count("crawl_runs", site=site)
        runs = CrawlRun.__table__
        stmt = select(runs).order_by(runs.c.id.desc()).limit(1)
        if site:
            stmt = stmt.where(runs.c.site == normalize_site(site))
        last = self._read(lambda conn: conn.execute(stmt).mappings().first())
        result["last_run"] = dict(last) if last else None
        if with_urls:
            t = _ARTICLE_TABLE
            urls = select(t.c.canonical_url)
            if site:
                urls = urls.where(t.c.site == normalize_site(site))
            result["canonical_urls"] = self._read(lambda conn: set(conn.execute(urls).scalars()))
        return result

    def counts(self, site: str | None = None) -> dict[str, int]:
        """``{"pages", "articles", "article_revisions"}`` counts (optionally for one site)."""
        revisions = self.count("article_revisions") if site is None else self._read(
            lambda conn: conn.execute(
                select(func.count())
                .select_from(_REVISION_TABLE.join(_ARTICLE_TABLE))
                .where(_ARTICLE_TABLE.c.site == normalize_site(site))
            ).scalar_one()
        )
        return {
            "pages": self.count("pages", site=site),
            "articles": self.count("articles", site=site),
            "article_revisions": revisions,
        }

    # -- reading: overviews for `warta stats` / `warta health` / `warta report` ----------------
    # Portable SQL only (SQLite and PostgreSQL).  Months and days are the site's local
    # calendar: the prefix of ``published_at``, which carries the site's own offset.
    def sites(self) -> list[str]:
        """Every site the archive knows (articles, pages or crawl runs), sorted."""
        found: set[str] = set()
        for t in (_ARTICLE_TABLE, _PAGE_TABLE, CrawlRun.__table__):
            stmt = select(t.c.site).distinct().where(t.c.site.is_not(None))
            found.update(self._read(lambda conn, stmt=stmt: list(conn.execute(stmt).scalars())))
        return sorted(found)

    def _article_filters(self, stmt, site: str | None, since: Any, until: Any):
        t = _ARTICLE_TABLE
        start, end = date_range(since, until)
        if site:
            stmt = stmt.where(t.c.site == normalize_site(site))
        if start is not None:
            stmt = stmt.where(t.c.published_utc >= start)
        if end is not None:
            stmt = stmt.where(t.c.published_utc < end)
        return stmt

    def count_articles(self, site: str | None = None, section: str | None = None,
                       since: Any = None, until: Any = None) -> int:
        """How many articles :meth:`iter_articles` yields with these filters."""
        inner = self.article_query(site, section, since, until, columns=["id"]).order_by(None).subquery()
        stmt = select(func.count()).select_from(inner)
        return self._read(lambda conn: conn.execute(stmt).scalar_one())

    def article_counts(self, by: str = "month", site: str | None = None, since: Any = None,
                       until: Any = None) -> list[tuple[str, str | None, int]]:
        """``[(site, period, articles)]`` per ``month`` (``YYYY-MM``) or ``day``
        (``YYYY-MM-DD``) of publication (``None``: date unknown), sorted."""
        t = _ARTICLE_TABLE
        width = {"month": 7, "day": 10, "year": 4}[by]
        period = func.substr(t.c.published_at, 1, width).label("period")
        stmt = select(t.c.site, period, func.count().label("n")).group_by(t.c.site, period)
        stmt = self._article_filters(stmt, site, since, until)
        rows = self._read(lambda conn: [tuple(r) for r in conn.execute(stmt)])
        return sorted(((s or "", p, int(n)) for s, p, n in rows), key=lambda r: (r[0], r[1] or ""))

    def article_extent(self, site: str | None = None, since: Any = None,
                       until: Any = None) -> list[dict[str, Any]]:
        """Per site: ``articles``, ``revisions`` (sum of revision numbers), ``oldest`` /
        ``newest`` publication (UTC datetimes) and ``first_seen`` / ``last_seen``."""
        t = _ARTICLE_TABLE
        stmt = select(
            t.c.site, func.count().label("articles"), func.sum(t.c.revision).label("revisions"),
            func.min(t.c.published_utc).label("oldest"), func.max(t.c.published_utc).label("newest"),
            func.min(t.c.first_seen_at).label("first_seen"), func.max(t.c.last_seen_at).label("last_seen"),
        ).group_by(t.c.site).order_by(t.c.site)
        stmt = self._article_filters(stmt, site, since, until)
        rows = self._read(lambda conn: [dict(r) for r in conn.execute(stmt).mappings()])
        for row in rows:
            for key in ("oldest", "newest", "first_seen", "last_seen"):
                row[key] = to_utc(row[key])
            row["revisions"] = int(row["revisions"] or 0)
        return rows

    def fill_counts(self, site: str | None = None, since: Any = None, until: Any = None,
                    fields: Sequence[str] = ("headline", "byline", "published_at", "updated_at",
                                             "caption", "body"),
                    by: str | None = None) -> list[dict[str, Any]]:
        """How many stored articles have each field filled (non-empty), per site
        (and per ``month`` / ``day`` with ``by``): ``[{"site", "period", "articles",
        FIELD: count, ...}]``."""
        from sqlalchemy import Text

        t = _ARTICLE_TABLE
        cols = [func.count().label("articles")]
        for name in fields:
            col = t.c[name]
            if isinstance(col.type, JSON):
                text = func.coalesce(col.cast(Text), "")
                filled = col.is_not(None) & text.not_in(["", "[]", "{}", "null", '""'])
            else:
                filled = col.is_not(None) & (func.length(col.cast(Text)) > 0)
            cols.append(func.sum(case((filled, 1), else_=0)).label(name))
        keys = [t.c.site]
        if by:
            keys.append(func.substr(t.c.published_at, 1, {"month": 7, "day": 10}[by]).label("period"))
        stmt = self._article_filters(select(*keys, *cols).group_by(*keys), site, since, until)
        rows = self._read(lambda conn: [dict(r) for r in conn.execute(stmt).mappings()])
        for row in rows:
            row.setdefault("period", None)
            for name in ("articles", *fields):
                row[name] = int(row[name] or 0)
        return sorted(rows, key=lambda r: (r["site"] or "", r["period"] or ""))

    def top_values(self, column: str, site: str | None = None, since: Any = None, until: Any = None,
                   limit: int = 20) -> list[tuple[str, int]]:
        """The most frequent values of an article column; list columns (``byline``,
        ``tags``) count each element.  List columns are counted while streaming."""
        from collections import Counter

        t = _ARTICLE_TABLE
        col = t.c[column]
        if isinstance(col.type, JSON):
            counter: Counter[str] = Counter()
            stmt = self._article_filters(select(col).where(col.is_not(None)), site, since, until)
            for row in self._stream(stmt, 5000):
                value = row[column]
                if isinstance(value, str):
                    try:
                        value = json.loads(value)
                    except ValueError:
                        value = [value]
                for v in value or []:
                    if v not in (None, ""):
                        counter[str(v)] += 1
            return counter.most_common(limit)
        n = func.count().label("n")
        stmt = self._article_filters(
            select(col, n).where(col.is_not(None), col != "").group_by(col), site, since, until
        ).order_by(n.desc(), col).limit(limit)
        return self._read(lambda conn: [(str(v), int(c)) for v, c in conn.execute(stmt)])

    def list_runs(self, site: str | None = None, *, spider: str | None = None,
                  statuses: Sequence[str] | None = None, since: Any = None, until: Any = None,
                  before_id: int | None = None, limit: int | None = None,
                  newest_first: bool = True) -> list[dict[str, Any]]:
        """``crawl_runs`` rows as dicts.  ``site`` matches the run's own site *or* a
        run whose ``stats["sites"]`` mentions it (multi-site spiders) — the latter is
        filtered here in Python.  ``since`` / ``until`` filter on ``started_at``."""
        t = CrawlRun.__table__
        order = (t.c.id.desc(),) if newest_first else (t.c.id.asc(),)
        stmt = select(t).order_by(*order)
        start, end = date_range(since, until)
        if spider:
            stmt = stmt.where(t.c.spider == spider)
        if statuses:
            stmt = stmt.where(t.c.status.in_(list(statuses)))
        if before_id is not None:
            stmt = stmt.where(t.c.id < before_id)
        if start is not None:
            stmt = stmt.where(t.c.started_at >= start)
        if end is not None:
            stmt = stmt.where(t.c.started_at < end)
        wanted = normalize_site(site)
        if limit is not None and not wanted:
            stmt = stmt.limit(limit)
        out: list[dict[str, Any]] = []
        for row in self._stream(stmt, 500):
            run = dict(row)
            if wanted and run.get("site") != wanted and wanted not in ((run.get("stats") or {}).get("sites") or {}):
                continue
            out.append(run)
            if limit is not None and len(out) >= limit:
                break
        return out

    def list_locks(self) -> list[dict[str, Any]]:
        """Every ``run_locks`` row, with ``alive``: whether its holder looks alive
        (on this host: the pid exists; elsewhere: we cannot tell, ``None``)."""
        t = RunLock.__table__
        rows = self._read(lambda conn: [dict(r) for r in conn.execute(select(t).order_by(t.c.name)).mappings()])
        host = socket.gethostname()
        for row in rows:
            row["alive"] = _pid_alive(row.get("pid")) if row.get("hostname") == host else None
        return rows

    def storage_size(self) -> dict[str, int | None]:
        """``{"database_bytes", "raw_gzip_bytes", "pages"}``: the size of the database
        on disk (SQLite file + WAL, or ``pg_database_size``) and of the stored raw bodies."""
        t = _PAGE_TABLE
        stmt = select(func.count(), func.coalesce(func.sum(func.length(t.c.body_gz)), 0))
        pages, raw = self._read(lambda conn: tuple(conn.execute(stmt).one()))
        size: int | None = None
        if self.dialect == "sqlite":
            path = make_url(self.url).database
            if path and path != ":memory:" and os.path.exists(path):
                size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
        elif self.dialect == "postgresql":
            from sqlalchemy import text as sql_text

            size = self._read(lambda conn: conn.execute(sql_text("select pg_database_size(current_database())")).scalar())
        return {"database_bytes": int(size) if size is not None else None,
                "raw_gzip_bytes": int(raw or 0), "pages": int(pages or 0)}

    # -- archive crawling: locks, resume, incremental runs, re-parse (issue 3) ------------------
    def get_lock(self, name: str) -> dict[str, Any] | None:
        """The ``run_locks`` row ``name`` as a dict, or ``None``."""
        t = RunLock.__table__
        row = self._read(lambda conn: conn.execute(select(t).where(t.c.name == name)).mappings().first())
        return dict(row) if row else None

    def recent_runs(self, spider: str, *, limit: int = 200) -> list[dict[str, Any]]:
        """The newest ``crawl_runs`` rows of ``spider`` (newest first), at most ``limit``."""
        t = CrawlRun.__table__
        stmt = select(t).where(t.c.spider == spider).order_by(t.c.id.desc()).limit(limit)
        return self._read(lambda conn: [dict(r) for r in conn.execute(stmt).mappings()])

    def close_dead_run(self, run_id: int, *, error: str) -> bool:
        """Mark a run whose process died (row still ``running``) as ``interrupted``.

        Its counters are recovered from what it committed: pages (``pages.run_id``),
        new / updated articles (revisions of those pages), parse and HTTP errors.
        ``finished_at`` is the time of its last stored page.  ``False`` when the run
        is not ``running`` (already closed).
        """
        runs, p, r = CrawlRun.__table__, _PAGE_TABLE, _REVISION_TABLE

        def tx(conn: Connection) -> bool:
            row = conn.execute(select(runs.c.status, runs.c.stats, runs.c.started_at)
                               .where(runs.c.id == run_id)).first()
            if row is None or row.status != "running":
                return False
            pages, last, errors, parse_errors = conn.execute(
                select(func.count(), func.max(p.c.fetched_at),
                       func.sum(case((p.c.error.is_not(None), 1), else_=0)),
                       func.sum(case((p.c.parse_error.is_not(None), 1), else_=0)))
                .where(p.c.run_id == run_id)).one()
            new, updated = conn.execute(
                select(func.sum(case((r.c.revision == 1, 1), else_=0)),
                       func.sum(case((r.c.revision > 1, 1), else_=0)))
                .select_from(r.join(p, p.c.id == r.c.page_id)).where(p.c.run_id == run_id)).one()
            stats = dict(row.stats or {})
            stats["recovered"] = "counts recovered from the pages the run committed before it died"
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                status="interrupted", finished_at=last or row.started_at, error=error, stats=stats,
                pages_fetched=int(pages or 0), http_errors=int(errors or 0), parse_errors=int(parse_errors or 0),
                articles_new=int(new or 0), articles_updated=int(updated or 0),
            ))
            return True

        return self._write(tx, what="close_dead_run")

    def listing_pages(self, run_ids: Sequence[int], *, fetched_after: datetime | None = None) -> dict[str, int]:
        """``{url_key: page id}`` of the listing pages (2xx, with a body) stored by these
        runs (the latest page per URL; ``fetched_after``: only those fetched since): what
        a resumed run replays instead of refetching."""
        ids = sorted({int(i) for i in run_ids})
        if not ids:
            return {}
        t = _PAGE_TABLE
        stmt = (select(t.c.url_key, func.max(t.c.id))
                .where(t.c.run_id.in_(ids), t.c.kind == "listing", t.c.status >= 200, t.c.status < 300,
                       t.c.body_gz.is_not(None), t.c.url_key.is_not(None))
                .group_by(t.c.url_key))
        if fetched_after is not None:
            stmt = stmt.where(t.c.fetched_at >= fetched_after)
        return self._read(lambda conn: {k: int(v) for k, v in conn.execute(stmt)})

    def get_page(self, page_id: int, *, with_body: bool = True) -> dict[str, Any] | None:
        """One ``pages`` row as a dict (``body``: the decoded body bytes)."""
        t = _PAGE_TABLE
        row = self._read(lambda conn: conn.execute(select(t).where(t.c.id == page_id)).mappings().first())
        if row is None:
            return None
        page = dict(row)
        if with_body:
            gz = page.get("body_gz")
            page["body"] = gzip.decompress(gz) if gz is not None else None
        return page

    def known_article_ids(self, site: str, ids: Iterable[str | int]) -> set[str]:
        """The subset of ``ids`` (site article ids) the archive holds an article for."""
        wanted = sorted({str(i) for i in ids})
        t = _ARTICLE_TABLE
        site = normalize_site(site)

        def run(conn: Connection) -> set[str]:
            found: set[str] = set()
            for k in range(0, len(wanted), _CHUNK):
                stmt = select(t.c.site_article_id).where(t.c.site == site,
                                                         t.c.site_article_id.in_(wanted[k : k + _CHUNK]))
                found.update(conn.execute(stmt).scalars())
            return found

        return self._read(run) if wanted else set()

    def newest_published(self, site: str) -> datetime | None:
        """The newest ``published_utc`` among the articles of ``site``."""
        t = _ARTICLE_TABLE
        stmt = select(func.max(t.c.published_utc)).where(t.c.site == normalize_site(site))
        return to_utc(self._read(lambda conn: conn.execute(stmt).scalar()))

    def stored_versions(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{url: what a revisit needs}`` for the ``urls`` whose page the archive holds
        (latest 2xx page per canonical URL): ``article_id``, ``url`` (as stored),
        ``etag``, ``last_modified``, ``body_sha256`` and ``seen_at`` -- the last time we
        fetched the page or confirmed it unchanged (``articles.last_seen_at``), UTC."""
        keys: dict[str, list[str]] = {}
        for u in urls:
            keys.setdefault(canonicalize_url(u), []).append(u)
        if not keys:
            return {}
        p, a = _PAGE_TABLE, _ARTICLE_TABLE
        found: dict[str, dict[str, Any]] = {}
        wanted = sorted(keys)

        def run(conn) -> None:
            for k in range(0, len(wanted), 500):
                latest = (select(func.max(p.c.id)).where(p.c.url_key.in_(wanted[k:k + 500]),
                                                        p.c.status >= 200, p.c.status < 300)
                          .group_by(p.c.url_key))
                stmt = (select(p.c.url_key, p.c.url, p.c.headers, p.c.body_sha256, p.c.fetched_at,
                               p.c.article_id, a.c.last_seen_at)
                        .select_from(p.outerjoin(a, a.c.id == p.c.article_id))
                        .where(p.c.id.in_(latest.scalar_subquery())))
                for row in conn.execute(stmt).mappings():
                    headers = {str(name).lower(): value for name, value in (row["headers"] or {}).items()}
                    seen = [t for t in (to_utc(row["fetched_at"]), to_utc(row["last_seen_at"])) if t is not None]
                    version = {"article_id": row["article_id"], "url": row["url"], "etag": headers.get("etag"),
                               "last_modified": headers.get("last-modified"),
                               "body_sha256": row["body_sha256"], "seen_at": max(seen) if seen else None}
                    for original in keys.get(row["url_key"], ()):
                        found[original] = version

        self._read(run)
        return found

    def revisit_candidates(self, site: str, published_since: datetime, *, seen_before: datetime | None = None,
                           limit: int | None = None) -> list[dict[str, Any]]:
        """Articles of ``site`` published at or after ``published_since`` (newest first),
        with what a conditional request needs from their latest stored 2xx page:
        ``{"article_id", "canonical_url", "published_at", "page_id", "url", "etag",
        "last_modified", "body_sha256"}``.  ``seen_before``: only articles last seen
        before then (a restarted run does not check them again)."""
        a, p = _ARTICLE_TABLE, _PAGE_TABLE
        latest = (select(func.max(p.c.id))
                  .where(p.c.article_id == a.c.id, p.c.status >= 200, p.c.status < 300)
                  .correlate(a).scalar_subquery())
        stmt = (select(a.c.id.label("article_id"), a.c.canonical_url, a.c.published_at,
                       p.c.id.label("page_id"), p.c.url, p.c.headers, p.c.body_sha256)
                .select_from(a.join(p, p.c.id == latest))
                .where(a.c.site == normalize_site(site), a.c.published_utc >= published_since)
                .order_by(a.c.published_utc.desc(), a.c.id.desc()))
        if seen_before is not None:
            stmt = stmt.where(or_(a.c.last_seen_at.is_(None), a.c.last_seen_at < seen_before))
        if limit is not None:
            stmt = stmt.limit(limit)
        out = []
        for row in self._read(lambda conn: [dict(r) for r in conn.execute(stmt).mappings()]):
            headers = row.pop("headers") or {}
            row["etag"] = _header(headers, "etag")
            row["last_modified"] = _header(headers, "last-modified")
            out.append(row)
        return out

    def touch_articles(self, seen: Sequence[tuple[int, Any]]) -> int:
        """Bookkeeping for articles found unchanged without storing anything (an HTTP
        304, or the same body again): ``last_seen_at`` moves forward.  ``seen`` is
        ``[(article_id, when)]``; returns how many were given."""
        touches = [{"_id": int(aid), "_seen": to_utc(when) or utcnow()} for aid, when in seen]
        if touches:
            self._write(lambda conn: self._apply_updates(conn, [], touches), what="touch articles")
        return len(touches)

    def count_reparse_sources(self, site: str | None = None, since: Any = None, until: Any = None) -> int:
        """How many articles :meth:`iter_reparse_sources` visits."""
        t = _ARTICLE_TABLE
        stmt = self._article_filters(select(func.count()).select_from(t), site, since, until)
        return self._read(lambda conn: conn.execute(stmt).scalar_one())

    def iter_reparse_sources(self, site: str | None = None, since: Any = None, until: Any = None,
                             batch: int = 200) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
        """``(article row, its latest stored 2xx page with ``body``)`` per article, by
        article id, ``batch`` articles per read (memory flat; no long-lived cursor, so
        writes in between are fine).  The page is ``None`` when none is stored."""
        a, p = _ARTICLE_TABLE, _PAGE_TABLE
        last = 0
        while True:
            stmt = self._article_filters(select(a).where(a.c.id > last), site, since, until)
            stmt = stmt.order_by(a.c.id).limit(batch)

            def chunk(conn: Connection):
                rows = [dict(r) for r in conn.execute(stmt).mappings()]
                if not rows:
                    return rows, {}
                ids = [r["id"] for r in rows]
                latest = (select(func.max(p.c.id)).where(p.c.article_id.in_(ids), p.c.status >= 200,
                                                         p.c.status < 300, p.c.body_gz.is_not(None))
                          .group_by(p.c.article_id))
                pages = {r["article_id"]: dict(r) for r in conn.execute(
                    select(p).where(p.c.id.in_(latest.scalar_subquery()))).mappings()}
                return rows, pages

            rows, pages = self._read(chunk)
            if not rows:
                return
            for row in rows:
                page = pages.pop(row["id"], None)
                if page is not None:
                    page["body"] = gzip.decompress(page["body_gz"])
                yield row, page
            last = rows[-1]["id"]

    def iter_unparsed_pages(self, site: str | None = None, batch: int = 200) -> Iterator[dict[str, Any]]:
        """Article pages (2xx, with a body) that are linked to no article because the
        parser refused them: the latest page per URL, by id, with ``body``."""
        p = _PAGE_TABLE
        latest = (select(func.max(p.c.id))
                  .where(p.c.kind == "article", p.c.status >= 200, p.c.status < 300, p.c.article_id.is_(None),
                         p.c.parse_error.is_not(None), p.c.body_gz.is_not(None))
                  .group_by(p.c.url_key))
        if site:
            latest = latest.where(p.c.site == normalize_site(site))
        last = 0
        while True:
            stmt = select(p).where(p.c.id.in_(latest.scalar_subquery()), p.c.id > last).order_by(p.c.id).limit(batch)
            rows = self._read(lambda conn: [dict(r) for r in conn.execute(stmt).mappings()])
            if not rows:
                return
            for row in rows:
                row["body"] = gzip.decompress(row["body_gz"])
                yield row
            last = rows[-1]["id"]

    def _page_window(self, t, stmt, site: str | None, since: Any, until: Any):
        start, end = date_range(since, until)
        stmt = stmt.where(t.c.status.is_not(None))
        if site:
            stmt = stmt.where(t.c.site == normalize_site(site))
        if start is not None:
            stmt = stmt.where(t.c.fetched_at >= start)
        if end is not None:
            stmt = stmt.where(t.c.fetched_at < end)
        return stmt

    def count_responses(self, site: str | None = None, since: Any = None, until: Any = None) -> int:
        """Stored pages that are HTTP responses (not download failures), filtered on
        ``site`` and ``fetched_at`` like :meth:`iter_responses`."""
        t = _PAGE_TABLE
        stmt = self._page_window(t, select(func.count()).select_from(t), site, since, until)
        return self._read(lambda conn: conn.execute(stmt).scalar_one())

    def iter_responses(self, site: str | None = None, since: Any = None, until: Any = None,
                       batch: int = 200) -> Iterator[dict[str, Any]]:
        """Stored HTTP responses by id (keyset pages of ``batch``: memory flat, no
        long-lived read transaction), each with ``revisit_of``: the id of the first
        earlier page in the same window with the same URL key, status and payload
        digest (``payload_sha256``), or ``None``.  ``body_gz`` is left compressed."""
        p = _PAGE_TABLE
        q = p.alias("earlier")
        earlier = self._page_window(q, select(func.min(q.c.id)), site, since, until).where(
            q.c.url_key == p.c.url_key, q.c.payload_sha256 == p.c.payload_sha256,
            q.c.status == p.c.status, q.c.id < p.c.id,
        ).correlate(p).scalar_subquery()
        last = 0
        while True:
            stmt = self._page_window(p, select(p, earlier.label("revisit_of")).where(p.c.id > last),
                                     site, since, until).order_by(p.c.id).limit(batch)
            rows = self._read(lambda conn: [dict(r) for r in conn.execute(stmt).mappings()])
            if not rows:
                return
            yield from rows
            last = rows[-1]["id"]

    def revise_articles(self, entries: Sequence[dict[str, Any]]) -> list[str]:
        """Write re-parsed articles, one transaction; one outcome per entry.

        Entry: ``{"article": dict, "page_id", "page_url", "fetched_at", "article_id",
        "expected_revision"}``.  With ``article_id``: a new revision (``"updated"``),
        unless the row's revision is no longer ``expected_revision`` (a crawl wrote
        one meanwhile: ``"conflict"``, nothing written).  Without: a new article from a
        page the old parser refused (``"new"``; the page is linked to it and its
        ``parse_error`` cleared), or ``"exists"`` when the article is already stored.
        ``first_seen_at`` / ``last_seen_at`` are left alone: a re-parse is not a visit.
        """
        now = utcnow()
        prepared = []
        for e in entries:
            prep = self._prepare({"page": {"url": e.get("page_url"), "fetched_at": e.get("fetched_at")},
                                  "article": e["article"]}, None, now)
            prepared.append(prep)
        a, p = _ARTICLE_TABLE, _PAGE_TABLE

        def tx(conn: Connection) -> list[str]:
            outcomes: list[str] = []
            revisions: list[dict[str, Any]] = []
            for e, prep in zip(entries, prepared):
                if prep.article_row is None:
                    outcomes.append("parse-error")
                    continue
                aid = e.get("article_id")
                if aid is None:
                    stmt = self._insert(a).on_conflict_do_nothing().returning(a.c.id)
                    aid = conn.execute(stmt, prep.article_row).scalar()
                    if aid is None:
                        outcomes.append("exists")
                        continue
                    conn.execute(update(p).where(p.c.id == e["page_id"]).values(article_id=aid, parse_error=None))
                    revision = 1
                    outcomes.append("new")
                else:
                    stmt = select(a.c.revision).where(a.c.id == aid)
                    if self.dialect == "postgresql":
                        stmt = stmt.with_for_update()
                    current = conn.execute(stmt).scalar()
                    if current is None or current != e.get("expected_revision", current):
                        outcomes.append("conflict")
                        continue
                    revision = current + 1
                    params = self._update_params(prep, aid, revision)
                    params.pop("last_seen_at", None)
                    conn.execute(update(a).where(a.c.id == bindparam("_id")), [params])
                    outcomes.append("updated")
                revisions.append({"article_id": aid, "revision": revision, "content_hash": prep.hash,
                                  "fetched_at": prep.fetched, "page_id": e.get("page_id"), "data": prep.data})
            if revisions:
                conn.execute(insert(_REVISION_TABLE), revisions)
            return outcomes

        return self._write(tx, what=f"re-parse batch of {len(entries)}") if entries else []


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


__all__ = [
    "Archive",
    "ArchiveError",
    "DEFAULT_URL",
    "OUTCOMES",
    "RUN_COUNTERS",
    "WIB",
    "create_archive_engine",
    "date_range",
    "default_url",
    "mask_database_url",
    "normalize_site",
    "site_of",
    "to_utc",
]
